/*
 * The steps a coordinator takes before its swarm runs, one table for every
 * master and coordinator (one host and NATS): each step's words for the
 * error line, and which of its errors are the user's arguments (exit 2,
 * EXIT_USAGE) rather than the environment's (exit 3, EXIT_ENV). Exit codes
 * are chosen here and nowhere else.
 */
#ifndef SWARM_SETUP_STEP_H
#define SWARM_SETUP_STEP_H

enum setup_step {
	STEP_START = 0,        /* before anything: memory, signals */
	STEP_TASKS,            /* reading --tasks / generating them */
	STEP_COMMAND,          /* resolving CMD, checking --user can run it */
	STEP_SELF,             /* locating the swarm binary itself */
	STEP_RESULTS,          /* opening --results */
	STEP_PRIVS,            /* dropping privileges */
	STEP_BUS,              /* creating the bus */
	STEP_PIDFILE,          /* writing master.pid */
	STEP_LOGS,             /* creating (or checking) the log directory */
	STEP_INBOX,            /* opening the master inbox */
	STEP_LOOP,             /* the event loop: epoll, signalfd */
	STEP_METRICS,          /* --metrics-file / --metrics-listen */
	STEP_AGENTS,           /* starting the agents (flat) */
	STEP_COORDS,           /* starting the coordinators (hybrid, NATS) */
	STEP_POOL,             /* a coordinator's worker pool */
	STEP_NATS_CONNECT,     /* reaching the NATS server */
	STEP_NATS_SWARM,       /* creating the swarm's stream */
	STEP_NATS_PUBLISH,     /* publishing the tasks */
	STEP_NATS_JOIN,        /* a coordinator joining a swarm */
	STEP_MAX
};

/* "reading the tasks", ...: for "swarm: run: <what> failed: <why>". */
const char *setup_step_text(enum setup_step s);
/* EXIT_USAGE or EXIT_ENV for a setup failure err (negative errno). */
int setup_step_exit(enum setup_step s, int err);
/* 1 if the step talks to NATS (its errors read with nm_strerror). */
int setup_step_is_nats(enum setup_step s);

#endif
