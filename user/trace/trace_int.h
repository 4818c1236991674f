/* Private to user/trace*.c: the tracer context and each signal's readers.
 * The public API is user/trace/trace.h. */
#ifndef SWARM_TRACE_INT_H
#define SWARM_TRACE_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "trace.h"

#define TRACE_TOP_MAX 64
#define TRACE_USDT_MAX 8    /* binaries with probes: one link each */
#define TRACE_USDT_SITES 64 /* probe sites per binary */
/* BPF_TRACE_UPROBE_MULTI: the bus probe program's attach type (uapi 6.6+,
 * newer than the Debian 12 headers) */
#define TRACE_UPROBE_MULTI 48

struct jsonw;
struct swarm_bpf__bss;
struct ring_buffer;

/* One exited process kept for the "slowest spawns" table. */
struct trace_slow {
	uint64_t fork_exec_ns;
	uint32_t pid;
	uint32_t exit_code;
	char comm[TRACE_COMM_LEN];
};

/* What the loader hands over (trace_load.c): the maps the tracer reads
 * and the programs it attaches itself; -1 where a signal is off. */
struct tracer_fds {
	int events, procs, tracked, leaks, locks, inodes, bss;
	int fd_refresh, fd_snapshot, bus_probe;
};

struct tracer {
	pid_t root;
	unsigned want;          /* signals asked for */
	unsigned on;            /* signals loaded and attached */
	unsigned top;
	unsigned agent_depth;   /* as set in the object's rodata */
	uint64_t start_ns;
	struct tracer_opts opts;
	struct tracer_fds fd;
	struct swarm_bpf__bss *bss; /* the object's counters, mapped */
	size_t bss_len;
	struct ring_buffer *rb;
	int refresh;            /* iter/task link of fd_refresh, or -1 */
	uint64_t refreshed_ns;
	int usdt[TRACE_USDT_MAX];  /* uprobe_multi links the holder did not take */
	unsigned nusdt;
	unsigned probe_links;   /* uprobe_multi links made */
	char exes[4][256];      /* executables of the seeded tree (USDT) */
	unsigned nexes;
	int holder;             /* socket to the process holding the links */
	int holder_pidfd;
	bool posix_locks;       /* posix_lock_inode attached too */
	bool iters_pending;     /* the fd iterators are still to come */
	uint64_t exit_events;
	struct trace_slow slow[TRACE_TOP_MAX];
	unsigned nslow;
};

/* trace.c: append "signal (reason)" to why for a signal that is off. */
void trace_note_off(char *why, size_t whylen, unsigned s, const char *reason);

/* trace_env.c: privileges, /proc tree walk. */
int trace_env_check(char *why, size_t whylen);
/* Call fn(pid, ppid) for root and every descendant found in /proc,
 * parents before children. */
int trace_proc_tree(pid_t root, int (*fn)(pid_t pid, pid_t ppid, void *arg), void *arg);

/* trace_spawn.c: the tree (tracked + procs maps) and the exit ring. */
int trace_spawn_seed(struct tracer *t, pid_t pid, pid_t ppid);
int trace_spawn_ring(struct tracer *t);
int trace_spawn_json(struct tracer *t, struct jsonw *w);
int trace_spawn_text(struct tracer *t, FILE *f);
void trace_spawn_clear(struct tracer *t);

/* trace_fd.c */
/* Recount every tracked process, waiting up to wait_ms for the iterator
 * (TRACE_ITERS_WAIT_MS: it is bound to come, if it loads at all). */
#define TRACE_ITERS_WAIT_MS 5000
int trace_fd_refresh(struct tracer *t, int wait_ms);
int trace_fd_json(struct tracer *t, struct jsonw *w);
int trace_fd_text(struct tracer *t, FILE *f);

/* trace_flock.c */
int trace_flock_json(struct tracer *t, struct jsonw *w);
int trace_flock_text(struct tracer *t, FILE *f);
void trace_flock_clear(struct tracer *t);

/* trace_btf.c: a memfd holding the kernel BTF cut to the object's CO-RE
 * needs, if this is the kernel it was cut from; -ENOENT otherwise. */
int trace_btf_open(void);

/* trace_usdt.c: where a binary's USDT probes are, and one uprobe_multi
 * link over them (the cookie of each site says which probe it is). */
struct usdt_want {
	const char *name;
	uint64_t cookie;
};
struct usdt_site {
	uint64_t offset;        /* in the file */
	uint64_t cookie;
};
/* Sites of provider's probes named in want; -ENOENT if there are none. */
int usdt_sites(const char *path, const char *provider, const struct usdt_want *want,
	       size_t nwant, struct usdt_site *out, size_t max, size_t *n);
/* A link fd, or negative errno (-EINVAL: kernel older than 6.6). */
int uprobe_multi_link(int prog_fd, const char *path, const struct usdt_site *s, size_t n);

/* trace_latency.c: attaches the USDT probes of the bus. */
int trace_latency_attach(struct tracer *t);
int trace_latency_json(struct tracer *t, struct jsonw *w);
int trace_latency_text(struct tracer *t, FILE *f);
void trace_latency_clear(struct tracer *t);

/* trace_load.c: a helper process opens, loads and attaches the BPF
 * object and hands over the fds in struct tracer_fds; it then holds the
 * links until the tracer closes (or dies). */
int trace_load(struct tracer *t, char *why, size_t whylen);
/* The fd iterators (fd_refresh, fd_snapshot), which the holder sends in a
 * second reply: take them if they came within wait_ms. 0 they are here,
 * -EAGAIN not yet, -ENOTSUP they will not come. */
int trace_iters_take(struct tracer *t, int wait_ms);
/* Give the holder a link to keep (closed here); kept here if it cannot. */
void trace_hold(struct tracer *t, int link_fd);
/* Let the holder go; wait for the programs to be off unless background. */
void trace_release(struct tracer *t, bool background);

/* trace_json.c: a log2 histogram as {"count","p50","p95","p99"[,"max"],
 * "log2_slots"}, max included when max_us >= 0. */
void trace_json_pcts(struct jsonw *w, const uint32_t *slots, double max_us);
/* "dev":"major:minor" of a kernel dev_t (major << 20 | minor). */
void trace_json_dev(struct jsonw *w, uint32_t dev);
/* Percentile (0..1) of a log2 histogram in us, capped at max_us if >= 0. */
double trace_pct(const uint32_t *slots, double p, double max_us);
/* Delete every key of a hash map (for tracer_clear). */
void trace_map_clear(int map_fd, size_t key_size);

#endif
