/*
 * The coordinator mesh across hosts, over NATS JetStream (libnats).
 *
 * One JetStream stream per swarm, "SWARM_<id>", file storage, work-queue
 * retention, subjects swarm.<id>.>:
 *   swarm.<id>.task    master -> any coordinator; Nats-Msg-Id
 *                      "<id>:<task>:<attempt>" (server-side de-duplication
 *                      of a publish the master retried)
 *   swarm.<id>.result  coordinator -> master; Nats-Msg-Id
 *                      "<id>:<task>:<delivery>:result"; headers carry the
 *                      task, delivery count, coordinator, status, exit code
 *   swarm.<id>.hb      coordinator -> master: liveness and the deliveries
 *                      it just took (the delivery history of each task)
 *   swarm.<id>         master -> coordinators, plain NATS (not stored): the
 *                      run is over (the stream's removal says it too)
 * Durable pull consumers with explicit ack: "tasks" (shared by every
 * coordinator: each task goes to one of them at a time, AckWait and
 * MaxDeliver apply), "results" and "hb" (read by the master).
 *
 * A coordinator publishes a task's result (and waits for the stream to
 * store it) BEFORE it acks the task. So a coordinator that dies at any
 * point loses nothing: unacked tasks come back to the others after
 * AckWait, and a result published twice is counted once by the master
 * (struct ledger, by task id). A task delivered MaxDeliver times without a
 * result is reported failed with its delivery history.
 *
 * libnats traps avoided: no asynchronous subscription (each would get its
 * own thread) -- only pull and synchronous subscriptions; the connection
 * uses SendAsap so acks and heartbeats are not held back by the flusher.
 *
 * Without libnats at build time (no HAVE_NATS) every entry point returns
 * -ENOTSUP and nm_available() is 0: callers print NM_NO_SUPPORT_MSG.
 */
#ifndef SWARM_NATS_MESH_H
#define SWARM_NATS_MESH_H

#include <stddef.h>
#include <stdint.h>

#include "nats_failover.h"
#include "nats_ledger.h"
#include "util.h"

#define NM_NO_SUPPORT_MSG "this build lacks NATS support (rebuild with libnats-dev installed: make deps && make)"
#define NM_DEF_ACK_WAIT_NS    (30ull * 1000000000ull)
#define NM_DEF_MAX_DELIVER    5u
#define NM_DEF_CONNECT_NS     (10ull * 1000000000ull)
#define NM_MAX_OUTPUT         (256u << 10)   /* result bytes carried */
#define NM_URL_MAX            1024
#define NM_MAX_KERNEL         (256u << 10)   /* a host's kernel summary */

/* 1 when built with libnats. */
int nm_available(void);
/* Once every mesh object of the process is closed: wait (up to 2 s) for
 * libnats' internal threads to unwind, so the process never exits under
 * them. */
void nm_library_close(void);
/* Checks "nats://HOST:PORT[,nats://HOST:PORT...]" (also tls://): 0 or
 * -EINVAL. Done before anything else so a typo is a usage error. */
int nm_url_valid(const char *url);
/* 1 if s starts with nats:// or tls:// (a --bus value meant for us). */
int nm_is_url(const char *s);
/* SIGTERM, SIGINT or SIGHUP if one is pending (blocked, not yet read):
 * the waits for the server or the swarm give up at once (-EINTR). */
int nm_stop_pending(void);
/* Text for a negative errno from this module, naming the NATS cause. */
const char *nm_strerror(int err);

struct nm_cfg {
	const char *url;
	const char *swarm;            /* swarm id: [A-Za-z0-9_-]{1,64} */
	const char *name;             /* this process: "master", "c1", ... */
	uint64_t ack_wait_ns;         /* 0: NM_DEF_ACK_WAIT_NS */
	unsigned max_deliver;         /* 0: NM_DEF_MAX_DELIVER */
	uint64_t connect_ns;          /* how long to keep trying to reach the
	                                 server / the swarm; 0: NM_DEF_CONNECT_NS */
	uint64_t heartbeat_ns;        /* coordinator heartbeat; 0: 1 s */
	uint64_t failover_ns;         /* master: a coordinator silent this long
	                                 is dead, its tasks handed back
	                                 (nats_failover.h); 0: 3 s */
};

/* ------------------------------------------------------------------ master */

enum nm_ev_kind {
	NM_EV_RESULT = 1,   /* first result of a task (duplicates never show) */
	NM_EV_FAILED,       /* a task exhausted MaxDeliver without a result */
	NM_EV_HEARTBEAT,    /* a coordinator is alive */
	NM_EV_FAILOVER,     /* coord declared dead: hb_held open tasks handed
	                       back, dur_us after its last heartbeat */
};

struct nm_event {
	int kind;
	uint32_t task;
	uint32_t attempt;             /* delivery that produced the result */
	int status, exit_code;        /* as the coordinator sent them */
	uint64_t dur_us;
	uint64_t lat_us;              /* the answer on its host's bus; 0: unknown */
	char coord[NAME_MAX_LEN + 1];
	char agent[NAME_MAX_LEN + 1];
	char reason[128];
	const void *out;              /* result output; valid until next poll */
	uint32_t out_len;
	/* NM_EV_HEARTBEAT */
	uint64_t hb_done, hb_held;
	unsigned hb_want;             /* tasks it may hold: its worker count */
	int hb_returned;              /* it had been declared dead (failover) */
	int hb_pid;
	char hb_host[NAME_MAX_LEN + 1];
};

struct nm_master;

/* Connect, create the swarm's stream and consumers (-EEXIST if a stream
 * for this swarm id already exists). ntasks bounds the task ids. */
int nm_master_open(const struct nm_cfg *cfg, uint32_t ntasks,
		   struct nm_master **out);
/* Queue task `task` (0-based) for publishing; publishes are pipelined
 * (up to 4096 unacknowledged). */
int nm_master_publish(struct nm_master *m, uint32_t task, const void *text,
		      size_t len);
/* Wait until the stream stored every queued task; whatever failed or was
 * not acknowledged is published again with the same Nats-Msg-Id (so a
 * server restart neither loses nor doubles a task) until deadline_ns
 * (CLOCK_MONOTONIC): 0, or -ETIMEDOUT / -errno. */
int nm_master_publish_wait(struct nm_master *m, uint64_t deadline_ns);
/* Next event: 1 with *ev filled, 0 if none came within timeout_ms. */
int nm_master_poll(struct nm_master *m, int timeout_ms, struct nm_event *ev);
/* A local coordinator exited: hand its open tasks back now rather than
 * after the silence. 1 with *ev (NM_EV_FAILOVER) when it held some. */
int nm_master_coord_gone(struct nm_master *m, const char *coord,
			 struct nm_event *ev);
/* Failovers so far, for the report. */
const struct failover *nm_master_failover(const struct nm_master *m);
/* The ledger: outcome and delivery history of every task. */
const struct ledger *nm_master_ledger(const struct nm_master *m);
/* 1 when the server holds no task that can still be delivered (nothing
 * pending, nothing awaiting an ack): every task still open then has been
 * given up by the server. 0 otherwise; -errno if it cannot be asked. */
int nm_master_drained(struct nm_master *m);
/* Reconnects seen so far (the server went away and came back). */
uint64_t nm_master_reconnects(const struct nm_master *m);
/* Tell every coordinator "pause" (stop its workers, take no more tasks,
 * keep its heartbeat and its tasks' leases) or "resume". Safe from any
 * thread (it only publishes on the connection); not stored, so a
 * coordinator that joins later learns it from the next one. */
int nm_master_notice(struct nm_master *m, const char *word);
/* Tell every coordinator the run is over now (nm_master_close does it
 * too, once): they finish and send their kernel summaries. */
void nm_master_end(struct nm_master *m);
/* A coordinator's kernel summary (nm_coord_send_kernel): 1 with *json
 * (malloc'd, NUL-terminated, one JSON object checked whole) and coord
 * (NAME_MAX_LEN + 1 bytes) filled, 0 if none came within timeout_ms,
 * -EBADMSG for one refused (unnamed, too big, not JSON), -errno. */
int nm_master_kernel(struct nm_master *m, int timeout_ms, char *coord,
		     char **json, size_t *len);
/* Close: tells every coordinator the swarm is over (end notice);
 * remove_stream also deletes the swarm's stream (kept for inspection
 * otherwise: `nats stream info SWARM_<id>`). */
void nm_master_close(struct nm_master *m, int remove_stream);

/* ------------------------------------------------------------- coordinator */

struct nm_task {
	uint32_t task;                /* task id */
	uint32_t attempt;             /* JetStream delivery count, 1-based */
	uint32_t len;
	const char *text;             /* NUL-terminated, len bytes */
};

struct nm_result {
	int status, exit_code;
	uint64_t dur_us;
	uint64_t lat_us;              /* its answer's time on the local bus */
	const char *agent, *reason;   /* may be NULL */
	const void *out;              /* truncated to NM_MAX_OUTPUT */
	size_t out_len;
};

enum nm_link {
	NM_LINK_UP = 0,
	NM_LINK_DOWN,        /* reconnecting; queued work waits */
	NM_LINK_ENDED,       /* the swarm's stream is gone: the run is over */
};

struct nm_coord_stats {
	uint64_t taken, done, released, redeliveries, publish_retries;
	uint64_t reconnects;
	unsigned held;                /* taken, not yet acked */
};

struct nm_coord;

/* Connect and bind to the swarm's task consumer, waiting up to
 * cfg->connect_ns for the master to create it; starts the one NATS thread
 * of this process (fetch, publish, ack, heartbeat, in-progress). */
int nm_coord_open(const struct nm_cfg *cfg, struct nm_coord **out);
/* An eventfd, readable when tasks are ready or the link state changed;
 * read it (8 bytes) to re-arm. */
int nm_coord_fd(const struct nm_coord *c);
/* How many tasks this coordinator may hold at once (its free capacity);
 * the thread fetches up to that many. */
void nm_coord_want(struct nm_coord *c, unsigned n);
/* Pop a fetched task: 1 with *t set, 0 none ready. */
int nm_coord_take(struct nm_coord *c, struct nm_task **t);
/* Hand back the outcome of t: the thread publishes the result, waits for
 * the stream to store it, then acks the task; t is freed by the module. */
int nm_coord_done(struct nm_coord *c, struct nm_task *t,
		  const struct nm_result *r);
/* Give t back unworked (negative ack: the server redelivers it at once,
 * to this coordinator or another); t is freed by the module. */
void nm_coord_release(struct nm_coord *c, struct nm_task *t);
int nm_coord_link(const struct nm_coord *c);
/* Send this host's kernel summary (one JSON object, <= NM_MAX_KERNEL)
 * to the master, which puts it in its report under this coordinator. */
int nm_coord_send_kernel(struct nm_coord *c, const char *json, size_t len);
/* 1 while the master's last notice was "pause" (nm_master_notice). */
int nm_coord_paused(const struct nm_coord *c);
void nm_coord_get_stats(const struct nm_coord *c, struct nm_coord_stats *st);
/* Wait up to timeout_ms until every result handed over is stored and
 * acked: 0, or -ETIMEDOUT with results still queued. */
int nm_coord_flush(struct nm_coord *c, int timeout_ms);
/* Stop taking tasks (waits for a fetch in flight) and give back every
 * task fetched but not yet taken; tasks already taken stay the caller's
 * to finish or release. Call first when leaving early, so what is handed
 * back goes to the other coordinators, not back to us. */
void nm_coord_quiesce(struct nm_coord *c);
/* Release the tasks not yet handed to nm_coord_done (and any still ready),
 * stop the thread, close. Results not yet stored are lost with the
 * process, and their tasks come back to other coordinators. */
void nm_coord_close(struct nm_coord *c);

#endif
