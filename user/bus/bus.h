/*
 * The /dev/shm bus: one private directory per swarm, one append-only inbox
 * log per agent, writers serialised by flock, one reader per inbox.
 *
 * Files inside the swarm directory (all reached through the checked dirfd):
 *   meta                 "swarm-bus 1" marker + limits (text, key=value)
 *   <name>.inbox         mmap'd header: futex words, tail, cursor, counters,
 *                        the reader's dedup table; writers flock() it
 *   <name>.<seg>.seg     append-only segments of CRC32-framed records
 *
 * Guarantees: a send that returned 0 is stored and will be delivered at
 * least once; a torn or corrupt frame is never delivered; per-sender order
 * is kept within an inbox; a reader that dies before inbox_commit() gets the
 * same messages again; a resend with the same (sender, seq) is suppressed.
 *
 * All functions return 0 (or a count) on success and a negative errno on
 * failure. Errors that mean something specific here:
 *   -ENOBUFS  inbox full (backpressure: the reader is not keeping up)
 *   -ENOSPC   the filesystem under the bus is full
 *   -EMSGSIZE payload larger than BUS_MAX_PAYLOAD
 *   -ELOOP    a symlink where a bus file should be (refused)
 *   -EPERM    wrong owner or mode on the bus directory or a file in it,
 *             or a bus file with a second (hard) link
 *   -EBUSY    another process is reading this inbox
 *   -ENOENT   no such bus / inbox
 *   -EBADMSG  the directory is not a swarm bus (bad meta)
 */
#ifndef SWARM_BUS_H
#define SWARM_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "swarm.h"
#include "util.h"

#define BUS_MAX_PAYLOAD   (1u << 20)       /* 1 MiB per message */
#define BUS_SEG_MAX       (4u << 20)       /* segment rolls over past this */
#define BUS_DEF_MAX_MSGS  65536u           /* per inbox, until read */
#define BUS_DEF_MAX_BYTES (64ull << 20)    /* per inbox, until read */
#define BUS_DEFAULT_BASE  "/dev/shm"
#define BUS_META_MAGIC    "swarm-bus 1"     /* first line of <bus>/meta */

struct bus;    /* an opened swarm directory */
struct inbox;  /* an opened inbox (as destination, own identity, or reader) */

struct bus_limits {
	uint64_t max_msgs;   /* 0 = default */
	uint64_t max_bytes;  /* 0 = default */
};

/* Create a new private bus under base (NULL = $SWARM_SHM or /dev/shm)
 * named swarm-<id> (id NULL = random). */
int bus_create(const char *base, const char *id, const struct bus_limits *lim,
	       struct bus **out);
/* Open an existing bus by path; checks owner, mode 0700, no symlink, meta. */
int bus_open(const char *path, struct bus **out);
void bus_close(struct bus *b);
/* Remove every file of the bus and the directory itself, then close. */
int bus_destroy(struct bus *b);
/* Destroy the bus swarm-<id> under base (NULL = $SWARM_SHM or /dev/shm),
 * checked like bus_open; 0 also when it is not there. For a creator that
 * knows a dead owner's bus by its id. */
int bus_remove(const char *base, const char *id);
/* Owner lock (bus_owner.c). The creator of a swarm's bus holds it while
 * it lives; it goes with the process, so a bus whose lock is free was left
 * by a dead owner. bus_hold: take it (keep the bus open to keep it).
 * bus_disown: drop it and remove the lock file, for a bus deliberately
 * left behind (run --keep), which gc then leaves alone too.
 * bus_owner_gone: 1 the owner is dead (and we now hold its lock until
 * bus_close/bus_destroy), 0 it lives, -ENOENT the bus has no owner lock
 * (swarm init, an older swarm), other -errno. */
int bus_hold(struct bus *b);
int bus_disown(struct bus *b);
int bus_owner_gone(struct bus *b);
/* The same question for a watcher, who must not take the lock: 1 the
 * owner lives (its lock is held), 0 it is gone, -ENOENT no owner.lock
 * (let go on purpose, or the bus is not a swarm's), other -errno. */
int bus_owner_alive(struct bus *b);
/* The pid in <bus>/master.pid (written by a running master for other
 * tools), read from the bus directory dirfd: 0, -ENOENT (no master wrote
 * one), -EINVAL (not one pid), other -errno. Not proof the master lives. */
int bus_master_pid(int dirfd, pid_t *out);
/* The base bus_create uses when given NULL. */
const char *bus_default_base(void);

const char *bus_path(const struct bus *b);
const char *bus_id(const struct bus *b);
int bus_dirfd(const struct bus *b);
/* Bytes the bus occupies on its filesystem (allocated blocks). */
uint64_t bus_disk_bytes(const struct bus *b);

/* Open (creating if missing) the inbox of agent `name`. */
int inbox_open(struct bus *b, const char *name, struct inbox **out);
void inbox_close(struct inbox *in);
const char *inbox_name(const struct inbox *in);

/* ---- sending ---- */
struct bus_out {
	const void *data;
	uint32_t len;
	uint32_t type;       /* enum msg_type */
	uint64_t seq;        /* 0 = next from the sender's counter; explicit
	                        seqs must increase per (sender, inbox) */
};

/* Append one message to `to` from `from` (whose inbox header keeps the
 * sender's sequence counter). One flock, one write. */
int inbox_send(struct inbox *to, struct inbox *from, const struct bus_out *m);
/* Append n messages under one lock with one write; all or nothing. */
int inbox_send_batch(struct inbox *to, struct inbox *from,
		     const struct bus_out *m, size_t n);
/* Block up to timeout_ms (-1 forever) until `to` has room for a message of
 * len bytes; 0 when there is room, -ETIMEDOUT otherwise. */
int inbox_wait_space(struct inbox *to, size_t len, int timeout_ms);

/* ---- receiving (one reader per inbox) ---- */
struct bus_msg {
	char from[NAME_MAX_LEN + 1];
	uint64_t seq;
	uint64_t ts_ns;      /* CLOCK_REALTIME at send */
	uint32_t type;
	uint32_t len;
	const void *data;    /* valid until the next inbox_next() */
};

struct bus_read_stats {
	uint64_t delivered;  /* frames returned by inbox_next */
	uint64_t duplicates; /* suppressed (sender, seq) already seen */
	uint64_t corrupt;    /* frames skipped: bad crc/length/magic */
	uint64_t corrupt_bytes;
};

/* Finish what a writer killed mid-send left (its intent record): adopt its
 * whole frames, cut a torn tail, clear the intent. Every send does this
 * first; call it on an inbox nobody will send to again (a dead
 * coordinator's, before salvaging it) so nothing is left half-done. */
int inbox_repair(struct inbox *in);
/* Become the inbox's reader (exclusive; -EBUSY if another process is). */
int inbox_reader_begin(struct inbox *in);
/* Next message after the read position: 1 = got one, 0 = none now. */
int inbox_next(struct inbox *in, struct bus_msg *m);
/* Make everything returned so far consumed: advances the committed cursor,
 * records seen seqs, frees fully read segments. */
int inbox_commit(struct inbox *in);
/* Put back the message the last inbox_next returned (it will be returned
 * again); used to leave a STOP in place. Only the last one can be put back. */
void inbox_unread(struct inbox *in);
/* Forget uncommitted reads: the next inbox_next starts at the cursor. */
void inbox_rewind(struct inbox *in);
/* Block up to timeout_ms (-1 forever) until a message is there to read.
 * 1 = data, 0 = timed out. Futex wake-up, with a slow poll as fallback. */
int inbox_wait(struct inbox *in, int timeout_ms);
const struct bus_read_stats *inbox_read_stats(const struct inbox *in);

/* An eventfd that becomes readable when `in` gets new data, for epoll
 * loops (a helper thread waits on the inbox futex and signals it).
 * Read the eventfd to re-arm. Stopped by inbox_close. */
int inbox_notify_fd(struct inbox *in);

/* ---- inspection (any process; no reader lock) ---- */
struct inbox_info {
	char name[NAME_MAX_LEN + 1];
	uint64_t depth;       /* messages stored, not yet committed */
	uint64_t bytes;       /* bytes stored, not yet committed */
	uint64_t msgs_in;     /* total ever accepted */
	uint64_t msgs_out;    /* total ever committed */
	uint64_t segments;    /* segment files present */
	uint32_t waiters;     /* readers blocked right now */
	int reader_pid;       /* pid holding the reader lock, 0 if none */
	uint64_t max_msgs, max_bytes;
};
int inbox_info(struct inbox *in, struct inbox_info *out);
/* Call fn for every inbox of the bus, in name order. */
int bus_list(struct bus *b, int (*fn)(const struct inbox_info *, void *),
	     void *arg);

/* Human text for a bus error (e.g. -ENOBUFS -> "inbox full"). */
const char *bus_strerror(int err);

#endif
