/* One interface over the two buses the benchmarks compare:
 *   swarm    — libswarm (user/bus/bus.h): append-only inbox log, flock,
 *              futex wake-up of a blocked reader;
 *   baseline — the reference protocol: one file per message, per-sender
 *              sequence file under flock + fsync, message written to a temp
 *              file under the inbox flock, fsync, rename into the inbox
 *              directory, fsync of the directory; the reader polls the
 *              directory every 100 ms.
 * The load generators only see this interface, so both systems run the
 * same workload code. */
#ifndef BENCH_BACKEND_H
#define BENCH_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct be_bus;
struct be_tx;
struct be_rx;

struct be_msg {
	const void *data;
	uint32_t len;
};

struct backend {
	const char *name;
	/* Parent: make a fresh bus; its path goes to the children. */
	int (*create)(char *path, size_t cap);
	int (*destroy)(const char *path);
	/* Children: their own handles (nothing shared across fork). */
	int (*tx_open)(const char *path, const char *from, const char *to,
		       struct be_tx **out);
	int (*send)(struct be_tx *t, const void *data, uint32_t len);
	int (*send_batch)(struct be_tx *t, const struct be_msg *m, size_t n);
	void (*tx_close)(struct be_tx *t);
	/* Inboxes must exist before senders start (the parent makes them). */
	int (*inbox_make)(const char *path, const char *name);
	int (*rx_open)(const char *path, const char *name, struct be_rx **out);
	/* 1 = a message is there, 0 = timed out; blocks (swarm) or polls
	 * every 100 ms (baseline). */
	int (*rx_wait)(struct be_rx *r, int timeout_ms);
	/* 1 = got one (m valid until the next call), 0 = none now. */
	int (*rx_next)(struct be_rx *r, struct be_msg *m);
	int (*rx_commit)(struct be_rx *r);
	void (*rx_close)(struct be_rx *r);
	/* Bytes the bus occupies now (allocated blocks). */
	uint64_t (*disk_bytes)(const char *path);
};

extern const struct backend be_swarm;
extern const struct backend be_files;

const struct backend *backend_by_name(const char *name);

#endif
