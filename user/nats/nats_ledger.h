/*
 * The master's book of a NATS run: for every task, whether its outcome is
 * in, which coordinator took which delivery, and how many extra results
 * arrived for it. JetStream delivers at least once, so a task can be
 * worked on more than once (a coordinator killed after publishing its
 * result but before acking, an AckWait that ran out); the ledger is what
 * makes every task count exactly once in the report.
 *
 * Pure bookkeeping, no libnats: built in every configuration and unit
 * tested on its own.
 */
#ifndef SWARM_NATS_LEDGER_H
#define SWARM_NATS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define LEDGER_HIST_MAX   8      /* deliveries remembered per task */
#define LEDGER_COORDS_MAX 4096   /* distinct coordinator names */

enum ledger_state {
	LEDGER_OPEN = 0,     /* published, no outcome yet */
	LEDGER_DONE,         /* first result counted */
	LEDGER_EXHAUSTED,    /* MaxDeliver reached without a result */
};

enum ledger_what {
	LEDGER_TAKEN = 1,    /* a coordinator reported it took this delivery */
	LEDGER_RESULT,       /* the counted result came from this delivery */
	LEDGER_DUP,          /* a further result, ignored */
};

struct ledger_hist {
	uint16_t coord;      /* index into the coordinator names */
	uint8_t attempt;     /* JetStream delivery count (clamped to 255) */
	uint8_t what;        /* enum ledger_what */
};

struct ledger_task {
	uint8_t state;
	uint8_t nhist;
	uint8_t max_attempt; /* highest delivery seen for this task */
	uint8_t lost_hist;   /* history entries that did not fit */
	int32_t status;      /* result status as the coordinator sent it */
	struct ledger_hist hist[LEDGER_HIST_MAX];
};

struct ledger {
	struct ledger_task *t;
	uint32_t n;
	char (*coords)[NAME_MAX_LEN + 1];
	uint32_t ncoords;
	uint64_t done, exhausted, duplicates, redelivered_tasks;
};

int ledger_init(struct ledger *l, uint32_t ntasks);
void ledger_free(struct ledger *l);

/* A coordinator took delivery `attempt` of `task`. 0, or -EINVAL for an
 * unknown task / bad name, -ENOSPC when too many coordinator names. */
int ledger_taken(struct ledger *l, uint32_t task, uint32_t attempt,
		 const char *coord);
/* A result arrived. 1: first one, counts; 0: duplicate (ignored, counted
 * in l->duplicates); -EINVAL for an unknown task. A result after the task
 * was declared exhausted still counts (the work was done after all). */
int ledger_result(struct ledger *l, uint32_t task, uint32_t attempt,
		  const char *coord, int status);
/* The server gave up on `task` after `deliveries` deliveries. 1: newly
 * failed; 0: it already had an outcome; -EINVAL unknown task. */
int ledger_exhausted(struct ledger *l, uint32_t task, uint32_t deliveries);

/* Tasks with no outcome yet. */
uint64_t ledger_open(const struct ledger *l);
/* "1:c1 2:c2=result" style history; returns the length written. */
size_t ledger_history(const struct ledger *l, uint32_t task, char *buf,
		      size_t cap);

#endif
