/* Private to user/bus*.c: the shared inbox header and handle structs. */
#ifndef SWARM_BUS_IMPL_H
#define SWARM_BUS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bus.h"

#define INBOX_MAGIC     0x42495753u /* "SWIB" */
#define INBOX_VERSION   1u
#define INBOX_HDR_SIZE  256u
#define INBOX_FILE_MIN  4096u       /* preallocated: mmap stores never SIGBUS */
#define DEDUP_SLOT_SIZE 72u
#define DEDUP_MAX_SLOTS 65536u

/* Positions pack (segment, offset) into one word so that a reader or
 * writer can publish both with one atomic store. */
#define POS(seg, off)   (((uint64_t)(seg) << 32) | (uint64_t)(off))
#define POS_SEG(p)      ((uint32_t)((p) >> 32))
#define POS_OFF(p)      ((uint32_t)(p))

/* Lives at offset 0 of <name>.inbox, mapped MAP_SHARED by every process
 * that uses the inbox. Writers change it only while holding flock(LOCK_EX);
 * the cursor and the out-counters belong to the single reader. */
struct inbox_hdr {
	uint32_t magic;
	uint32_t version;
	_Atomic uint32_t wake;          /* futex: bumped after each publish */
	_Atomic uint32_t waiters;       /* readers sleeping on wake */
	_Atomic uint32_t space;         /* futex: bumped after each commit */
	_Atomic uint32_t space_waiters; /* senders sleeping on space */
	_Atomic uint64_t tail;          /* POS: end of published data */
	_Atomic uint64_t cursor;        /* POS: committed read position */
	_Atomic uint64_t head_seg;      /* oldest segment that may exist */
	_Atomic uint64_t msgs_in, msgs_out;
	_Atomic uint64_t bytes_in, bytes_out;
	_Atomic uint64_t out_seq;       /* this agent's sender counter */
	_Atomic int32_t writer_pid;     /* set between write and publish */
	_Atomic int32_t reader_pid;     /* informational; lock is the truth */
	_Atomic uint32_t dedup_used;    /* slots stored after the header */
	uint32_t pad0;
	uint64_t max_msgs, max_bytes;
	uint64_t created_ns;
	/* Intent record of the writer named by writer_pid, so the next writer
	 * can finish or undo its append exactly (see recover_tail). */
	uint64_t wr_tail;               /* tail before the append */
	uint64_t wr_pos;                /* POS where the frames were written */
	uint64_t wr_msgs, wr_bytes;     /* msgs_in, bytes_in before */
	uint64_t wr_count, wr_total;    /* frames and bytes appended */
	uint8_t reserved[INBOX_HDR_SIZE - 176];
};
_Static_assert(sizeof(struct inbox_hdr) == INBOX_HDR_SIZE, "inbox header size");

struct bus {
	int dirfd;
	int parentfd;
	int ownerfd;         /* holds the owner lock (bus_owner.c), or -1 */
	char *path;
	char *name;          /* swarm-<id> */
	char id[NAME_MAX_LEN + 1];
	uint64_t max_msgs, max_bytes;
};

struct dedup_entry {
	char from[NAME_MAX_LEN + 1];
	uint64_t committed, pending;
	uint32_t slot;       /* index in the file, UINT32_MAX if not stored */
	int dirty;
	struct dedup_entry *next;
};

struct inbox {
	struct bus *bus;
	char name[NAME_MAX_LEN + 1];
	int hfd;                     /* header file; flock and OFD lock */
	int32_t pid;                 /* opener's pid, marks writer_pid (only !=0 matters) */
	struct inbox_hdr *hdr;

	int wfd;                     /* cached segment fd for writes */
	uint32_t wseg;
	char *wbuf;                  /* staging buffer for frames */
	size_t wbuf_cap;

	/* reader state (after inbox_reader_begin) */
	int reader;
	int rfd;
	uint32_t rfd_seg;
	uint64_t rpos;               /* POS of next unread frame */
	uint64_t busy_ns;            /* inbox_wait last found data (idle reclaim) */
	char *rbuf;
	size_t rbuf_cap, rbuf_len;
	uint64_t rbuf_pos;           /* POS of rbuf[0] */
	uint64_t pend_msgs, pend_bytes;
	struct dedup_entry **dedup;  /* hash buckets */
	uint32_t dedup_buckets;
	struct bus_read_stats stats;
	struct {                     /* undo record for inbox_unread */
		uint64_t rpos;
		uint64_t size;
		struct dedup_entry *entry;
		uint64_t pending;
		int dirty, valid;
	} last;
	uint32_t stats_entries;      /* dedup entries in memory */

	/* notify thread for epoll users */
	int efd;
	pthread_t thread;
	int thread_running;
	uint32_t notify_seen;        /* wake word when the thread was armed */
	_Atomic int thread_stop;
};

/* bus_inbox.c */
int seg_name(char *buf, size_t len, const char *inbox, uint32_t seg);
int bus_open_file(int dirfd, const char *name, int flags, int *fdout);

/* bus_wait.c */
int futex_wait_ms(_Atomic uint32_t *addr, uint32_t val, int timeout_ms);
void futex_wake_all(_Atomic uint32_t *addr);
void notify_stop(struct inbox *in);

/* bus_recv.c */
void reader_free(struct inbox *in);
int reader_has_data(struct inbox *in);
int inbox_reclaim(struct inbox *in);

/* bus_send.c */
int inbox_lock(struct inbox *in);
void inbox_unlock(struct inbox *in);

#endif
