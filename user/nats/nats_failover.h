/*
 * Coordinator failover across hosts, the master's side: who holds which
 * task (as the coordinators' heartbeats say), when each coordinator was
 * last heard of, and the hand-over of a silent or dead one's open tasks.
 *
 * Without it a coordinator that dies (kill -9, its host gone or cut off)
 * keeps its tasks until the server's AckWait runs out (30 s by default;
 * in-progress notes keep a living one's tasks for ever). With it the
 * master, which hears every coordinator's heartbeat once a second,
 * declares one dead after `silence` without a word (or at once when it
 * was a local coordinator that exited) and answers each of its open
 * deliveries with a negative ack on the delivery's own ack subject: the
 * server then hands the task to the next coordinator that fetches. The
 * JetStream rules are unchanged -- a NAK is what the dead coordinator
 * would have sent on a clean exit -- and AckWait stays the backstop for a
 * delivery the master never heard of (taken in the instant before death).
 *
 * A coordinator declared dead that speaks again (a partition healed) is
 * alive again; the results it then sends for tasks already redone are
 * duplicates the ledger counts once.
 *
 * Pure bookkeeping, no libnats (the caller sends the NAKs): built in
 * every configuration and unit tested on its own.
 */
#ifndef SWARM_NATS_FAILOVER_H
#define SWARM_NATS_FAILOVER_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define FO_DEF_SILENCE_NS (3000000000ull) /* 3 heartbeats missed */
#define FO_REPLY_MAX      255             /* an ack subject we accept */
#define FO_RECORDS_MAX    64              /* failovers kept for the report */
#define FO_COORDS_MAX     4096

enum fo_cause { FO_SILENT = 1, FO_EXITED };

struct fo_record {                     /* one coordinator declared dead */
	char coord[NAME_MAX_LEN + 1];
	int cause;                     /* enum fo_cause */
	int returned;                  /* it spoke again afterwards */
	uint64_t last_ns;              /* last heard of (monotonic) */
	uint64_t detect_ns;            /* declared dead */
	uint64_t retaken_ns;           /* last of its tasks taken elsewhere */
	uint32_t tasks;                /* open deliveries handed back */
	uint32_t retaken;              /* ... taken again since */
};

struct fo_task {
	char *reply;                   /* ack subject of the latest delivery */
	uint32_t attempt;              /* its delivery count */
	int32_t coord;                 /* its holder, -1 none known */
	int32_t rec;                   /* record waiting for its re-take, -1 */
};

struct fo_coord {
	char name[NAME_MAX_LEN + 1];
	uint64_t last_ns;
	int dead;
};

struct failover {
	struct fo_task *t;
	uint32_t n;
	struct fo_coord *c;
	uint32_t nc, capc;
	struct fo_record rec[FO_RECORDS_MAX];
	uint32_t nrec;
	uint64_t failovers;            /* all of them, also past nrec */
	uint64_t silence_ns;
	uint64_t link_since_ns;        /* our own link last came up */
};

/* silence_ns 0: FO_DEF_SILENCE_NS. 0 or -ENOMEM. */
int fo_init(struct failover *f, uint32_t ntasks, uint64_t silence_ns);
void fo_free(struct failover *f);

/* A heartbeat of coord at now: 1 if it had been declared dead (it is
 * alive again), 0 otherwise, -EINVAL / -ENOSPC for a bad name / too many. */
int fo_heartbeat(struct failover *f, const char *coord, uint64_t now);
/* coord took delivery `attempt` of task; reply is its ack subject (NULL
 * when the coordinator did not send it: no NAK possible, AckWait then). */
int fo_taken(struct failover *f, uint32_t task, uint32_t attempt,
	     const char *coord, const char *reply, uint64_t now);
/* The task has its outcome: nothing to hand back any more. */
void fo_settled(struct failover *f, uint32_t task);
/* Our own link to the server came (back) up at now: nobody counts as
 * silent for the time we could not hear them. */
void fo_link_up(struct failover *f, uint64_t now);

/* The first living coordinator silent for longer than silence_ns: its
 * name, or NULL. */
const char *fo_next_silent(const struct failover *f, uint64_t now);
/* Declare coord dead: nak(arg, task, reply) for each of its open
 * deliveries. Returns the number handed back (0 when it held none or
 * was already dead), -ENOENT for a name never heard of. */
int fo_declare_dead(struct failover *f, const char *coord, int cause,
		    uint64_t now,
		    void (*nak)(void *arg, uint32_t task, const char *reply),
		    void *arg);

/* The report: "failovers":[{coordinator, cause, detect_ms, tasks,
 * retaken, reassign_ms, returned}] (times from when it was last heard
 * of; reassign_ms null until every task was taken again), and text. */
struct jsonw;
void fo_json(const struct failover *f, struct jsonw *w);
void fo_text(const struct failover *f, FILE *out);

#endif
