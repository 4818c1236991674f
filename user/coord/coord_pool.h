/*
 * A worker pool: the part of a coordinator that spawns W agent processes
 * ("slots"), hands each at most one task at a time over the bus (or on the
 * command line / stdin for plain commands), matches answers to tasks, and
 * sees exits through one SIGCHLD signalfd registered in the owner's epoll
 * set (no fd per agent; every child of the owner's process is its agent).
 *
 * Used by the flat master (slots w1..wN) and by every hybrid coordinator
 * (slots cK-w1..cK-wW). The owner runs the epoll loop, drains its own inbox
 * and feeds each message to pool_on_msg(), and calls pool_on_children()
 * when the pool's fd is readable (epoll data.ptr points to an int holding
 * POOL_EV_CHILD).
 *
 * Agent protocol (bus mode): the slot's inbox gets MSG_TASK with the task
 * text; the agent's next MSG_DATA/MSG_RESULT is the answer, MSG_FAIL a
 * failure it reports itself, MSG_HEARTBEAT proof of life. When no task is
 * left the slot gets MSG_STOP. A one-shot agent may exit after answering:
 * if the next task it was sent is still unread in its inbox, a new process
 * is started in the same slot to take it. An agent that exits (any way)
 * with a task it has read but not answered fails that task at once.
 *
 * Stdout mode (plain commands): one process per task; the replacement
 * strings of replace.h are filled in (or the columns appended), or the
 * task is fed on stdin; the exit status decides success and the first
 * TASK_OUTPUT_MAX bytes of stdout are the result. Its stdout and stderr go
 * to the slot's log files, or (spool) to two memfds handed to on_spool
 * whole when the task ends, so the owner can print them ungarbled.
 * A task running past task_timeout_ns gets SIGTERM (its process group),
 * SIGKILL POOL_KILL_GRACE_NS later, and ends as TS_TIMEOUT; a failed or
 * timed-out task is tried again (at the end of the queue) until it has had
 * `retries` attempts.
 */
#ifndef SWARM_COORD_POOL_H
#define SWARM_COORD_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bus.h"
#include "report.h"
#include "tasks.h"

#define POOL_EV_CHILD 0x43484c44  /* tag of the pool's fd in epoll data */

struct priv_user;

struct pool_slot {
	unsigned idx;
	char name[NAME_MAX_LEN + 1];
	pid_t pid;                    /* 0: no process */
	struct task *task;            /* outstanding task, NULL when idle */
	unsigned answered;            /* answers from the current process */
	int stop_sent, hung, used;
	uint64_t last_seen_ns;
	off_t out_off;
	int spool[2];                 /* spool mode: stdout, stderr memfds */
	uint64_t deadline_ns, kill_ns;  /* --task-timeout: TERM, then KILL */
	int timed_out, halted;
	int heard, failed;            /* swarm top: read or spoke yet; died failing */
};

#define POOL_KILL_GRACE_NS 1000000000ull

struct pool_cfg {
	struct bus *bus;
	struct inbox *self;           /* our own inbox (we are its reader) */
	const char *self_name;        /* "master" or "cK": SWARM_PARENT */
	const char *prefix;           /* slot names are <prefix><n>, n 1-based */
	unsigned nslots;
	unsigned max_parallel;        /* 0: nslots */
	unsigned spawn_burst;         /* 0: POOL_SPAWN_BURST */
	uint64_t heartbeat_ns;        /* 0: off */
	int stdout_mode, task_stdin;
	int spool;                    /* stdout mode: output to on_spool */
	int append_args;              /* no replacement string: append columns */
	int want_output;              /* spool: read the result for on_done */
	uint64_t task_timeout_ns;     /* 0: none */
	unsigned retries;             /* attempts per task; 0 or 1: one */
	char *const *argv;            /* argv[0] resolved */
	/* Optional built-in agent run without exec (see spawn_process.h). */
	int (*applet)(int argc, char **argv);
	int applet_argc;
	char **applet_argv;
	int logs_fd;                  /* directory for per-agent logs */
	int cgroup_fd;                /* -1: none */
	const struct priv_user *user; /* NULL: agents run as we do */
	int set_nice, nice;           /* agents' nice value (spawn_req) */
	int new_pgroup;
	const char *swarm_id;
	int journal_fd;               /* -1, or "<slot> <task id>\n" lines */
	struct lat_samples *lat;      /* where answer latencies go, or NULL */
	/* A task reached its outcome; out/len is its output (may be NULL). */
	void (*on_done)(void *arg, struct task *t, const char *out, size_t len);
	/* A running task's worker went silent past the heartbeat. */
	void (*on_hung)(void *arg, struct task *t);
	/* Spool mode, after on_done of a task that ran: its stdout and
	 * stderr memfds, now the callee's to close. */
	void (*on_spool)(void *arg, struct task *t, int out_fd, int err_fd);
	/* A process was started in a slot (may be NULL). */
	void (*on_spawn)(void *arg, pid_t pid, const char *name);
	/* A process of a slot was reaped (may be NULL). */
	void (*on_exit)(void *arg, pid_t pid, int wstatus);
	/* The owner's inbox drain (pool_on_msg for each message): called
	 * before exits are acted on, so an agent that answered and exited
	 * is seen answering first (pool_on_children). */
	void (*drain)(void *arg);
	void *arg;
};

struct pool;

int pool_new(const struct pool_cfg *cfg, int epfd, struct pool **out);
void pool_free(struct pool *p);
/* Queue a task (kept by pointer; the caller owns it). */
int pool_add(struct pool *p, struct task *t);
/* No task will be added any more: idle agents get MSG_STOP. */
void pool_no_more(struct pool *p);
/* Hand queued tasks to idle or new agents, starting at most spawn_burst
 * (default POOL_SPAWN_BURST) processes; 1 if it stopped early (call again
 * soon). */
#define POOL_SPAWN_BURST 32
#define POOL_SPAWN_SLICE_NS 2000000ull   /* 2 ms of spawning per round */
int pool_fill(struct pool *p);
/* 1 if the message came from one of our slots (and was handled). */
int pool_on_msg(struct pool *p, const struct bus_msg *m);
/* Reap every agent that exited, and act on each exit. */
void pool_on_children(struct pool *p);
/* Heartbeat checks; returns ms until the next check is due (-1: none). */
int pool_tick(struct pool *p, uint64_t now);
/* Queued or running tasks left. */
size_t pool_pending(const struct pool *p);
unsigned pool_alive(const struct pool *p);
/* End every outstanding task with status (TS_TIMEOUT / TS_INTERRUPTED)
 * and kill the agents holding them. */
void pool_abort(struct pool *p, int status, const char *why);
/* --halt: queued tasks end as TS_NOT_STARTED; with kill, running ones get
 * SIGTERM and end as TS_KILLED when they exit. No more retries. */
void pool_halt(struct pool *p, int kill, const char *why);
/* Stop every agent: MSG_STOP to idle ones, wait up to grace_ms, then
 * SIGTERM, then SIGKILL; reaps them all. */
void pool_shutdown(struct pool *p, int grace_ms);
/* Signal every live agent (pause/resume fallback without a cgroup). */
void pool_signal(struct pool *p, int sig);
/* Restart every heartbeat clock (after a pause). */
void pool_touch(struct pool *p);
/* Status: one line per slot "name pid state task" into f, or (w not
 * NULL) one object per slot into w's open array. */
struct jsonw;
void pool_status(struct pool *p, FILE *f, struct jsonw *w);

/* swarm top: a slot whose agent has read its task (its inbox is empty)
 * is no longer "starting"; looks at up to max such slots. */
void pool_probe_started(struct pool *p, unsigned max);
/* The slots that ever ran a process (*n of them), for swarm top. */
const struct pool_slot *pool_slots(const struct pool *p, unsigned *n);

struct pool_stats {
	unsigned agents;              /* slots that ever ran a process */
	unsigned processes;           /* processes spawned */
	unsigned retried;             /* attempts that were tried again */
	uint64_t msgs_sent, msgs_recv, unexpected;
	uint64_t spawn_first_ns, spawn_last_ns;  /* CLOCK_MONOTONIC */
};
void pool_get_stats(const struct pool *p, struct pool_stats *st);

#endif
