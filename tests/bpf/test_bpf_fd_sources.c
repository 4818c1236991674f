/* fd leaks from every way a process gets an fd, against ground truth.
 *
 * For each source (sockets + socketpair + accept4, eventfd, memfd,
 * signalfd, timerfd, epoll, inotify, pidfd, SCM_RIGHTS receipt, io_uring
 * rings, io_uring IORING_OP_OPENAT, dup/dup2/dup3/F_DUPFD) a process C
 * forked by the traced root after attach makes a known number of fds and
 * exits holding them. At each step the tracer's count is compared with
 * /proc/C/fd (the kernel's table as the VFS shows it) and with the number
 * the test made: the count, the growth over the fork baseline, the count
 * by kind (live: iter/task_file; at exit: the leaks map) and, at exit,
 * that the most held file comes first, named as /proc names it, with its
 * fd count (also when four other files sit at lower fds). A process that
 * opens and closes thousands of fds of every kind is never a suspect. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <linux/io_uring.h>
#include <cmocka.h>

#include "bpf_harness.h"

#define N 20 /* fds made per source: over FD_SUSPECT_GROWTH, so kept at exit */
#define ANON_INODE_FS_MAGIC 0x09041934
#define PIDFS_MAGIC 0x50494446

struct source {
	const char *name;
	int (*prep)(void); /* before the count */
	int (*make)(const struct source *s);
	unsigned made;             /* fds make() adds */
	unsigned kinds[FD_KINDS];  /* ... by kind */
};

static char file_path[64]; /* a regular file the sources open */
static int scm_sock = -1;   /* SCM_RIGHTS: C's end of the socket pair */
static pid_t scm_sender;

/* --- ground truth: /proc/PID/fd ----------------------------------------- */

struct truth {
	unsigned total;
	unsigned kinds[FD_KINDS];
	/* the most held inode among fds >= 3, as the tracer groups them */
	unsigned top_count;
	unsigned top_kind;
	char top_link[256];
};

static unsigned kind_of(const char *link)
{
	struct statfs fs;
	struct stat sb;

	if (statfs(link, &fs) == 0 &&
	    (fs.f_type == ANON_INODE_FS_MAGIC || fs.f_type == PIDFS_MAGIC))
		return FD_KIND_ANON;
	if (stat(link, &sb))
		return FD_KIND_OTHER;
	switch (sb.st_mode & S_IFMT) {
	case S_IFREG: return FD_KIND_FILE;
	case S_IFDIR: return FD_KIND_DIR;
	case S_IFIFO: return FD_KIND_PIPE;
	case S_IFSOCK: return FD_KIND_SOCKET;
	case S_IFCHR: case S_IFBLK: return FD_KIND_DEV;
	}
	return FD_KIND_OTHER;
}

struct ino_count {
	dev_t dev;
	ino_t ino;
	unsigned count, kind, lowest;
};

static void proc_truth(pid_t pid, struct truth *tr)
{
	static struct ino_count seen[4096];
	char dir[64], link[128];
	unsigned nseen = 0, i, best = 0;
	struct dirent *de;
	struct stat sb;
	DIR *d;

	memset(tr, 0, sizeof(*tr));
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		unsigned fd, k;

		if (de->d_name[0] == '.')
			continue;
		fd = (unsigned)atoi(de->d_name);
		snprintf(link, sizeof(link), "%s/%u", dir, fd);
		k = kind_of(link);
		tr->total++;
		tr->kinds[k]++;
		if (fd < FD_STDIO || stat(link, &sb))
			continue;
		for (i = 0; i < nseen; i++)
			if (seen[i].dev == sb.st_dev && seen[i].ino == sb.st_ino)
				break;
		if (i == nseen && nseen < 4096)
			seen[nseen++] = (struct ino_count){ sb.st_dev, sb.st_ino, 0, k, fd };
		if (i < nseen) {
			seen[i].count++;
			if (fd < seen[i].lowest)
				seen[i].lowest = fd;
		}
	}
	closedir(d);
	for (i = 1; i < nseen; i++)
		if (seen[i].count > seen[best].count)
			best = i;
	if (nseen) {
		ssize_t r;

		tr->top_count = seen[best].count;
		tr->top_kind = seen[best].kind;
		snprintf(link, sizeof(link), "%s/%u", dir, seen[best].lowest);
		r = readlink(link, tr->top_link, sizeof(tr->top_link) - 1);
		tr->top_link[r > 0 ? r : 0] = '\0';
	}
}

/* --- the sources (run in C) ---------------------------------------------- */

static int src_fail(const char *what)
{
	fprintf(stderr, "  source step failed: %s: %s\n", what, strerror(errno));
	return -1;
}

static int make_sockets(const struct source *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t alen;
	int l, c, i, sv[2];

	(void)s;
	/* abstract name: nothing on disk to clean up */
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "swarm-test-fd-%d", getpid());
	alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, alen) || listen(l, 8))
		return src_fail("listen");
	for (i = 0; i < 5; i++) {
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, alen))
			return src_fail("connect");
		if (accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK) < 0)
			return src_fail("accept4");
	}
	for (i = 0; i < 3; i++)
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
			return src_fail("socketpair");
	for (i = 0; i < 2; i++)
		if (socket(AF_INET, SOCK_DGRAM, 0) < 0)
			return src_fail("socket(AF_INET)");
	return 0; /* 1 + 5 + 5 + 6 + 2 */
}

static int make_eventfd(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (eventfd(0, EFD_CLOEXEC) < 0)
			return src_fail("eventfd");
	return 0;
}

static int make_memfd(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (memfd_create("swarm-test", MFD_CLOEXEC) < 0)
			return src_fail("memfd_create");
	return 0;
}

static int make_signalfd(const struct source *s)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	for (unsigned i = 0; i < s->made; i++)
		if (signalfd(-1, &m, SFD_CLOEXEC) < 0)
			return src_fail("signalfd");
	return 0;
}

static int make_timerfd(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) < 0)
			return src_fail("timerfd_create");
	return 0;
}

static int make_epoll(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (epoll_create1(EPOLL_CLOEXEC) < 0)
			return src_fail("epoll_create1");
	return 0;
}

static int make_inotify(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (inotify_init1(IN_CLOEXEC) < 0)
			return src_fail(errno == EMFILE ? "inotify_init1 (fs.inotify.max_user_instances "
						     "used up by other processes)"
						  : "inotify_init1");
	return 0;
}

static int make_pidfd(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (syscall(SYS_pidfd_open, getpid(), 0) < 0)
			return src_fail("pidfd_open");
	return 0;
}

static int make_dups(const struct source *s)
{
	int fd = open(file_path, O_RDONLY), i;

	(void)s;
	if (fd < 0)
		return src_fail("open");
	for (i = 0; i < 5; i++)
		if (dup(fd) < 0)
			return src_fail("dup");
	for (i = 0; i < 5; i++)
		if (dup2(fd, 200 + i) != 200 + i)
			return src_fail("dup2");
	for (i = 0; i < 5; i++)
		if (syscall(SYS_dup3, fd, 210 + i, O_CLOEXEC) != 210 + i)
			return src_fail("dup3");
	for (i = 0; i < 3; i++)
		if (fcntl(fd, F_DUPFD, 220) < 220)
			return src_fail("F_DUPFD");
	for (i = 0; i < 2; i++)
		if (fcntl(fd, F_DUPFD_CLOEXEC, 230) < 230)
			return src_fail("F_DUPFD_CLOEXEC");
	/* over an open fd, and onto itself: no new fd either way */
	if (dup2(fd, 200) != 200 || dup2(fd, fd) != fd)
		return src_fail("dup2 over an open fd");
	return 0; /* 1 + 5 + 5 + 5 + 3 + 2 */
}

/* SCM_RIGHTS: a helper process opens 10 files and 5 pipes and passes all
 * 20 fds to C over a socket pair made before the baseline was counted;
 * C never opened any of them. */
#define SCM_FILES 10
#define SCM_PIPES 5

static int send_fds(int sock)
{
	char cbuf[CMSG_SPACE((SCM_FILES + 2 * SCM_PIPES) * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int fds[SCM_FILES + 2 * SCM_PIPES], i;

	for (i = 0; i < SCM_FILES; i++)
		if ((fds[i] = open(file_path, O_RDONLY)) < 0)
			return -1;
	for (i = 0; i < SCM_PIPES; i++)
		if (pipe(fds + SCM_FILES + 2 * i))
			return -1;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int prep_scm(void)
{
	int sv[2];
	char b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return src_fail("socketpair");
	scm_sender = fork();
	if (scm_sender < 0)
		return src_fail("fork");
	if (scm_sender == 0) {
		close(sv[1]);
		if (read(sv[0], &b, 1) != 1)
			_exit(1);
		_exit(send_fds(sv[0]) ? 1 : 0);
	}
	close(sv[0]);
	scm_sock = sv[1];
	return 0;
}

static int make_scm(const struct source *s)
{
	char cbuf[CMSG_SPACE(64 * sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int st;

	if (write(scm_sock, "g", 1) != 1 || recvmsg(scm_sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return src_fail("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS ||
	    (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) != s->made || (m.msg_flags & MSG_CTRUNC)) {
		errno = EPROTO;
		return src_fail("SCM_RIGHTS: not all fds arrived");
	}
	if (waitpid(scm_sender, &st, 0) != scm_sender || !WIFEXITED(st) || WEXITSTATUS(st)) {
		errno = ECHILD;
		return src_fail("sender");
	}
	return 0;
}

/* Four other files at lower fds than the leak, as an agent has its
 * inherited pipes and logs: the leak must still be what is named. */
static int prep_four_files(void)
{
	for (int i = 0; i < 4; i++)
		if (memfd_create("swarm-test-other", MFD_CLOEXEC) < 0)
			return src_fail("memfd_create");
	return 0;
}

static int make_opens(const struct source *s)
{
	for (unsigned i = 0; i < s->made; i++)
		if (open(file_path, O_RDONLY) < 0)
			return src_fail("open");
	return 0;
}

static int make_uring(const struct source *s)
{
	struct io_uring_params p;

	for (unsigned i = 0; i < s->made; i++) {
		memset(&p, 0, sizeof(p));
		if (syscall(__NR_io_uring_setup, 4, &p) < 0)
			return src_fail("io_uring_setup");
	}
	return 0;
}

/* One ring; N-1 IORING_OP_OPENAT through it: the kernel installs each
 * opened fd in the table, no open(2) is called. Raw syscalls and mmap. */
static int make_uring_openat(const struct source *s)
{
	struct io_uring_params p = { 0 };
	unsigned n = s->made - 1, i, got = 0, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail,
		 *cq_mask, tail;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	size_t sq_len, cq_len;
	char *sq, *cq;
	int fd = (int)syscall(__NR_io_uring_setup, 32, &p);

	if (fd < 0)
		return src_fail("io_uring_setup");
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	cq = p.features & IORING_FEAT_SINGLE_MMAP
		     ? sq
		     : mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			    IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return src_fail("mmap io_uring");
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cq_tail = (unsigned *)(cq + p.cq_off.tail);
	cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	tail = *sq_tail;
	for (i = 0; i < n; i++) {
		unsigned idx = (tail + i) & *sq_mask;
		struct io_uring_sqe *e = &sqes[idx];

		memset(e, 0, sizeof(*e));
		e->opcode = IORING_OP_OPENAT;
		e->fd = AT_FDCWD;
		e->addr = (uintptr_t)file_path;
		e->open_flags = O_RDONLY;
		e->user_data = i;
		sq_array[idx] = idx;
	}
	__atomic_store_n(sq_tail, tail + n, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, n, n, IORING_ENTER_GETEVENTS, NULL, 0) != (long)n)
		return src_fail("io_uring_enter");
	while (got < n) {
		unsigned head = *cq_head;

		if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
			if (syscall(__NR_io_uring_enter, fd, 0, 1, IORING_ENTER_GETEVENTS,
				    NULL, 0) < 0)
				return src_fail("io_uring_enter (wait)");
			continue;
		}
		if (cqes[head & *cq_mask].res < 0) {
			errno = -cqes[head & *cq_mask].res;
			return src_fail("IORING_OP_OPENAT");
		}
		__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
		got++;
	}
	return 0;
}

static const struct source sources[] = {
	{ "sockets", NULL, make_sockets, 19, { [FD_KIND_SOCKET] = 19 } },
	{ "eventfd", NULL, make_eventfd, N, { [FD_KIND_ANON] = N } },
	/* a memfd is a regular file on the kernel's internal tmpfs */
	{ "memfd", NULL, make_memfd, N, { [FD_KIND_FILE] = N } },
	{ "signalfd", NULL, make_signalfd, N, { [FD_KIND_ANON] = N } },
	{ "timerfd", NULL, make_timerfd, N, { [FD_KIND_ANON] = N } },
	{ "epoll", NULL, make_epoll, N, { [FD_KIND_ANON] = N } },
	{ "inotify", NULL, make_inotify, 17, { [FD_KIND_ANON] = 17 } },
	{ "pidfd", NULL, make_pidfd, N, { [FD_KIND_ANON] = N } },
	{ "scm_rights", prep_scm, make_scm, SCM_FILES + 2 * SCM_PIPES,
	  { [FD_KIND_FILE] = SCM_FILES, [FD_KIND_PIPE] = 2 * SCM_PIPES } },
	{ "io_uring", NULL, make_uring, N, { [FD_KIND_ANON] = N } },
	{ "io_uring_openat", NULL, make_uring_openat, N + 1,
	  { [FD_KIND_ANON] = 1, [FD_KIND_FILE] = N } },
	{ "dup", NULL, make_dups, 21, { [FD_KIND_FILE] = 21 } },
	{ "behind_four_files", prep_four_files, make_opens, N, { [FD_KIND_FILE] = N } },
};

/* C: step 0 (nothing done yet), prep, step 1, make, step 2, exit. Its pid
 * goes first down the done pipe: C is the only writer on it. */
static void source_child(struct traced *t, const struct source *s)
{
	pid_t me = getpid();

	if (write(t->child_done, &me, sizeof(me)) != sizeof(me) || traced_step(t, 0))
		_exit(1);
	if (traced_step(t, s->prep && s->prep() ? 1 : 0))
		_exit(1);
	if (traced_step(t, s->make(s) ? 1 : 0))
		_exit(1);
	_exit(0); /* holding every fd it made */
}

static void source_root(struct traced *t, void *arg)
{
	pid_t c = fork();

	if (c == 0)
		source_child(t, arg);
	if (c > 0)
		waitpid(c, NULL, 0);
}

/* The tracer's view of pid now: its record and its fds by kind. */
static void look(struct tracer *tr, pid_t pid, struct fd_proc *p, unsigned kinds[FD_KINDS])
{
	static struct fd_iter_rec recs[4096];
	size_t n, i;

	assert_int_equal(tracer_fd_refresh(tr), 0);
	assert_int_equal(tracer_fd_get(tr, pid, p), 0);
	assert_int_equal(tracer_fd_snapshot(tr, pid, recs, 4096, &n), 0);
	assert_int_equal((size_t)p->now, n);
	memset(kinds, 0, FD_KINDS * sizeof(kinds[0]));
	for (i = 0; i < n; i++)
		kinds[recs[i].kind < FD_KINDS ? recs[i].kind : FD_KIND_OTHER]++;
}

static void assert_kinds(const char *what, const unsigned *got, const unsigned *want)
{
	for (unsigned k = 0; k < FD_KINDS; k++)
		if (got[k] != want[k]) {
			fprintf(stderr, "  %s: kind %u: %u, truth %u\n", what, k, got[k], want[k]);
			fail_msg("%s: fds by kind differ from /proc", what);
		}
}

/* The tracer's name of an exited suspect's hold, as /proc showed it live. */
static int hold_matches(const struct fd_hold *h, const struct truth *tr)
{
	char path[256], want[256];
	size_t len;

	if (h->count != tr->top_count || h->kind != tr->top_kind)
		return 0;
	switch (h->kind) {
	case FD_KIND_FILE:
	case FD_KIND_DIR:
		/* /proc says "/memfd:x (deleted)"; the dentry walk "/memfd:x" */
		snprintf(want, sizeof(want), "%s", tr->top_link);
		len = strlen(want);
		if (len > 10 && !strcmp(want + len - 10, " (deleted)"))
			want[len - 10] = '\0';
		return !strcmp(trace_path_str(&h->path, path, sizeof(path)), want);
	case FD_KIND_ANON: /* "anon_inode:[eventfd]": the dentry name after ':' */
		return h->path.depth && strchr(tr->top_link, ':') &&
		       !strncmp(strchr(tr->top_link, ':') + 1, h->path.comp[0], TRACE_PATH_COMP);
	default: /* "socket:[ino]", "pipe:[ino]" */
		snprintf(want, sizeof(want), ":[%llu]", (unsigned long long)h->ino);
		return strstr(tr->top_link, want) != NULL;
	}
}

/* What a test holds, released by the teardown even when an assertion
 * failed half way: a tracer left open would hand its fds to the next
 * test's processes and fail that one too. */
static struct {
	struct traced t;
	struct tracer *tr;
	pid_t child;
	struct fd_leak leak;
} fx;

/* Fork the root, attach, let it fork C and wait for C's step 0. */
static void fx_start(void (*root)(struct traced *, void *), void *arg)
{
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(traced_start(&fx.t, root, arg), 0);
	fx.tr = traced_tracer(&fx.t, TRACE_FD);
	assert_non_null(fx.tr);
	traced_go(&fx.t);
	assert_int_equal(read(fx.t.done, &fx.child, sizeof(fx.child)), sizeof(fx.child));
	assert_int_equal(traced_wait(&fx.t), 0);
}

static void fx_step(void)
{
	traced_go(&fx.t);
	assert_int_equal(traced_wait(&fx.t), 0);
}

/* C exits (holding what it holds); the root follows. */
static void fx_exit(void)
{
	traced_go(&fx.t);
	traced_end(&fx.t);
	fx.t.pid = 0;
}

static int fx_teardown(void **state)
{
	(void)state;
	if (fx.t.pid > 0) {
		if (fx.child > 0)
			kill(fx.child, SIGKILL);
		traced_end(&fx.t);
	}
	tracer_close(fx.tr);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

static void run_source(const struct source *s)
{
	unsigned live[FD_KINDS], delta[FD_KINDS], k, i;
	struct fd_leak *l = &fx.leak;
	struct truth t0, t1, t2;
	struct fd_proc p0, p1, p2;
	struct tracer *tr;
	pid_t pid;

	fprintf(stderr, "  source %s: %u fds\n", s->name, s->made);
	fx_start(source_root, (void *)s);
	tr = fx.tr;
	pid = fx.child;

	/* forked after attach: the baseline is its count at fork, exact */
	look(tr, pid, &p0, live);
	proc_truth(pid, &t0);
	assert_false(p0.flags & FD_PREEXISTING);
	assert_int_equal(p0.base, t0.total);
	assert_int_equal(p0.now, t0.total);
	assert_kinds("at fork", live, t0.kinds);

	fx_step(); /* prep */
	look(tr, pid, &p1, live);
	proc_truth(pid, &t1);
	assert_int_equal(p1.now, t1.total);

	fx_step(); /* make */
	look(tr, pid, &p2, live);
	proc_truth(pid, &t2);
	assert_int_equal(t2.total - t1.total, s->made); /* the test did what it says */
	for (k = 0; k < FD_KINDS; k++)
		delta[k] = t2.kinds[k] - t1.kinds[k];
	assert_kinds("made (truth)", delta, s->kinds);
	assert_int_equal(p2.now, t2.total);
	assert_int_equal(p2.now - p1.now, s->made);
	assert_int_equal(p2.base, p0.base);
	assert_int_equal(p2.now - p2.base, t2.total - t0.total);
	assert_int_equal(p2.peak, p2.now);
	assert_kinds("live", live, t2.kinds);

	fx_exit();
	assert_int_equal(tracer_fd_leak(tr, pid, l), 0);
	assert_true(l->p.exit_ns != 0);
	assert_int_equal(l->p.base, p0.base);
	assert_int_equal(l->p.now, t2.total);
	assert_int_equal(l->scanned, t2.total);
	assert_kinds("at exit", l->kinds, t2.kinds);
	assert_true(l->nholds >= 1 && l->nholds <= FD_HOLDS);
	/* the most held file first, named as /proc named it; when every fd
	 * is its own file (sockets, memfds) no file stands out */
	if (t2.top_count > 1 && !hold_matches(&l->holds[0], &t2)) {
		fprintf(stderr, "  most held (truth): %u x %s\n", t2.top_count, t2.top_link);
		for (i = 0; i < l->nholds; i++)
			fprintf(stderr, "  hold %u: %u x kind %u ino %llu '%.32s'\n", i,
				l->holds[i].count, l->holds[i].kind,
				(unsigned long long)l->holds[i].ino, l->holds[i].path.comp[0]);
		fail_msg("%s: the exited suspect's first hold is not its most held file",
			 s->name);
	}
	for (i = 1; i < l->nholds; i++)
		assert_true(l->holds[i].count <= l->holds[i - 1].count);
}

/* io_uring may be switched off (kernel.io_uring_disabled) or absent:
 * then its tests say so and skip. */
static int uring_missing(void)
{
	struct io_uring_params p = { 0 };
	int fd = (int)syscall(__NR_io_uring_setup, 4, &p);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	fprintf(stderr, "SKIP io_uring: io_uring_setup: %s%s\n", strerror(errno),
		errno == EPERM ? " (sysctl kernel.io_uring_disabled)" : "");
	return 1;
}

static void test_fd_source(void **state)
{
	const struct source *s = *state;

	SKIP_UNLESS_ROOT();
	if ((s->make == make_uring || s->make == make_uring_openat) && uring_missing())
		skip();
	run_source(s);
}

/* --- healthy: thousands of fds opened and closed --------------------------- */

#define CHURN_ROUNDS 1000

static int churn(void)
{
	int i, fd, p[2], sv[2];

	for (i = 0; i < CHURN_ROUNDS; i++) {
		if ((fd = open(file_path, O_RDONLY)) < 0)
			return -1;
		close(fd);
		if (pipe(p))
			return -1;
		close(p[0]);
		close(p[1]);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return -1;
		close(sv[0]);
		close(sv[1]);
		if ((fd = eventfd(0, 0)) < 0)
			return -1;
		close(fd);
		if ((fd = epoll_create1(0)) < 0)
			return -1;
		close(dup(fd));
		close(fd);
	}
	return 0; /* 8000 fds made, none kept */
}

static void churn_child(struct traced *t, void *arg)
{
	pid_t me = getpid();

	(void)arg;
	if (write(t->child_done, &me, sizeof(me)) != sizeof(me) || traced_step(t, 0))
		_exit(1);
	if (traced_step(t, churn() ? 1 : 0))
		_exit(1);
	_exit(0);
}

static void churn_root(struct traced *t, void *arg)
{
	pid_t c = fork();

	if (c == 0)
		churn_child(t, arg);
	if (c > 0)
		waitpid(c, NULL, 0);
}

static void test_fd_churn_not_suspect(void **state)
{
	struct fd_top top[64];
	struct fd_proc p0, p;
	struct pollfd pfd;
	unsigned samples = 0;
	struct tracer *tr;
	size_t n, i;
	pid_t pid;

	(void)state;
	SKIP_UNLESS_ROOT();
	fx_start(churn_root, NULL);
	tr = fx.tr;
	pid = fx.child;
	assert_int_equal(tracer_fd_refresh(tr), 0);
	assert_int_equal(tracer_fd_get(tr, pid, &p0), 0);
	traced_go(&fx.t);
	/* recount while it churns: never more than the 2 it holds at once */
	pfd = (struct pollfd){ .fd = fx.t.done, .events = POLLIN };
	while (poll(&pfd, 1, 0) == 0) {
		assert_int_equal(tracer_fd_refresh(tr), 0);
		assert_int_equal(tracer_fd_get(tr, pid, &p), 0);
		assert_true(p.now - p.base <= 2);
		samples++;
	}
	assert_int_equal(traced_wait(&fx.t), 0);
	fprintf(stderr, "  %u recounts during %u fds opened and closed\n", samples,
		CHURN_ROUNDS * 8);
	assert_true(samples > 0);
	assert_int_equal(tracer_fd_refresh(tr), 0);
	assert_int_equal(tracer_fd_get(tr, pid, &p), 0);
	assert_int_equal(p.now, p0.now);
	assert_int_equal(p.base, p0.base);
	assert_true(p.peak - p.base <= 2);
	assert_int_equal(tracer_fd_top(tr, top, 64, &n), 0);
	for (i = 0; i < n; i++)
		if (top[i].pid == pid)
			assert_true(top[i].p.now - top[i].p.base < FD_SUSPECT_GROWTH);
	fx_exit();
	/* exited: not kept as a suspect */
	assert_int_equal(tracer_fd_leak(tr, pid, &fx.leak), -ENOENT);
}

static int group_setup(void **state)
{
	int fd;

	(void)state;
	snprintf(file_path, sizeof(file_path), "/dev/shm/swarm-test-fdsrc-%d", getpid());
	fd = open(file_path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(file_path);
	return 0;
}

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

int main(void)
{
	struct CMUnitTest tests[NSOURCES + 1] = {
		[NSOURCES] = cmocka_unit_test_teardown(test_fd_churn_not_suspect, fx_teardown),
	};

	for (size_t i = 0; i < NSOURCES; i++)
		tests[i] = (struct CMUnitTest){ .name = sources[i].name,
						.test_func = test_fd_source,
						.teardown_func = fx_teardown,
						.initial_state = (void *)&sources[i] };
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
