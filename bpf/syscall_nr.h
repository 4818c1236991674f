/* x86-64 system call numbers of the fd-creating and fd-closing calls
 * and the bus read/write/flock calls (from asm/unistd_64.h, which clang -target bpf cannot include). Another
 * architecture needs its own table here. 32-bit compat calls use other
 * numbers and are not counted. */
#ifndef SWARM_SYSCALL_NR_H
#define SWARM_SYSCALL_NR_H

#ifndef __TARGET_ARCH_x86
#error "syscall_nr.h: only the x86-64 table is written"
#endif

#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_pipe 22
#define NR_dup 32
#define NR_dup2 33
#define NR_socket 41
#define NR_accept 43
#define NR_socketpair 53
#define NR_fcntl 72
#define NR_flock 73
#define NR_creat 85
#define NR_epoll_create 213
#define NR_mq_open 240
#define NR_inotify_init 253
#define NR_openat 257
#define NR_signalfd 282
#define NR_timerfd_create 283
#define NR_eventfd 284
#define NR_accept4 288
#define NR_signalfd4 289
#define NR_eventfd2 290
#define NR_epoll_create1 291
#define NR_dup3 292
#define NR_pipe2 293
#define NR_inotify_init1 294
#define NR_preadv 295
#define NR_pwritev 296
#define NR_perf_event_open 298
#define NR_fanotify_init 300
#define NR_open_by_handle_at 304
#define NR_memfd_create 319
#define NR_userfaultfd 323
#define NR_io_uring_setup 425
#define NR_open_tree 428
#define NR_fsopen 430
#define NR_fsmount 432
#define NR_fspick 433
#define NR_pidfd_open 434
#define NR_close_range 436
#define NR_openat2 437
#define NR_pidfd_getfd 438
#define NR_landlock_create_ruleset 444
#define NR_memfd_secret 447

#endif
