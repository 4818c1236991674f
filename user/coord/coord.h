/*
 * The coordinator: `swarm run` (the master) and `swarm coordinator` (one
 * node of the hybrid mesh). See README "swarm run" for the protocol.
 *
 * Names on the bus: the master's inbox is "master"; hybrid coordinators are
 * "c1".."cC" (a replacement for a dead cK is "cKr1", "cKr2", ...); workers
 * are "w1".."wN" (flat) or "<coordinator>-w1".. (hybrid).
 */
#ifndef SWARM_COORD_H
#define SWARM_COORD_H

#include <stdint.h>

#include "report.h"
#include "setup_step.h"
#include "tasks.h"

struct coord_kernel;
struct priv_user;
struct top_snap;
struct timeline;

#define COORD_DEFAULT_TIMEOUT_S 600.0
#define COORD_STOP_GRACE_MS     2000   /* agents get this long to exit on STOP */
#define COORD_MAX_RESTARTS      3      /* replacements per coordinator slot */
#define COORD_MAX_AGENTS        100000

/* Optional hooks for kernel tracing (user/trace/trace.h, another module):
 * started() runs once the bus and the swarm's cgroup exist and before the
 * first agent is spawned (cgroup_id 0: no cgroup, filter on master_pid's
 * tree); finished() runs after the last agent is reaped, before the report
 * is printed, so the tracer can fill its struct report_kernel.
 * spawned() names every process the master starts (workers in flat,
 * coordinators in hybrid) by its bus name. tick() runs about once a second
 * from the master's loop, and whenever event_fd (> 0; 0 or -1: none) is
 * readable. Any of them may be NULL. */
struct run_hooks {
	void (*started)(void *arg, const char *bus_dir, uint64_t cgroup_id,
			int master_pid);
	void (*finished)(void *arg);
	void (*spawned)(void *arg, int pid, const char *name);
	void (*tick)(void *arg);
	/* Kernel histograms for --metrics-*, read when they are published;
	 * returns 0 when *k was filled. */
	int (*kernel_sample)(void *arg, struct coord_kernel *k);
	/* swarm top: the top lock waits and fd-growth suspects into s
	 * (user/top/top.h), on request only; 0 when traced. */
	int (*top_sample)(void *arg, struct top_snap *s);
	int event_fd;
	void *arg;
};

/* --halt WHEN,fail|success=N|P% (GNU parallel's). */
enum { HALT_NEVER, HALT_SOON, HALT_NOW };
struct halt_spec {
	int when;
	int on_success;         /* success=...; else fail=... */
	unsigned count;         /* N, or 0 with pct */
	double pct;             /* P% of all tasks, or 0 */
};

/* Plain commands in GNU parallel mode (flat topology; see docs/run.md). */
struct plain_opts {
	int gnu_out;            /* task output on our stdout/stderr (not --json) */
	int append_args;        /* no replacement string: append the columns */
	int keep_order, tag, progress;
	double task_timeout_s;  /* 0: none */
	unsigned retries;       /* attempts per task; 0 or 1: one */
	struct halt_spec halt;
	const char *halt_text;  /* as given, for messages */
	const char *joblog;
	int joblog_append;      /* --resume / --resume-failed */
};

/* `--bus nats://...`: the hybrid topology across hosts (docs/nats.md). */
struct nats_run_opts {
	const char *url;            /* nats://HOST:PORT (checked by the CLI) */
	const char *swarm;          /* swarm id; NULL: random */
	double ack_wait_s;          /* 0: default (30 s) */
	unsigned max_deliver;       /* 0: default (5) */
};

struct run_opts {
	int hybrid;
	unsigned n;                 /* flat: workers; hybrid: C * W */
	unsigned coordinators, workers;
	const char *tasks_file;     /* NULL: one generated task per worker */
	double timeout_s, heartbeat_s;
	unsigned max_parallel;      /* per coordinator; 0: all */
	const char *logs_dir;       /* NULL: ${TMPDIR:-/tmp}/swarm-run-<id> */
	const char *results_file;
	int keep, task_stdin;
	char **argv;                /* CMD ARGS, NULL-terminated */
	/* CMD is a built-in agent of this binary: run it without exec. */
	int (*applet)(int argc, char **argv);
	const struct run_hooks *hooks;  /* NULL: none */
	const char *metrics_file;       /* node_exporter textfile, or NULL */
	const char *metrics_listen;     /* "127.0.0.1:PORT", or NULL */
	/* --user: agents and coordinators run as this user (see priv.h). */
	const struct priv_user *user;
	/* Tasks already read (plain input, run_input.h), moved into the run;
	 * NULL: the master reads tasks_file or generates them. */
	struct task_list *tasks;
	int plain;                       /* a plain command (stdout mode) */
	const struct plain_opts *gnu;    /* GNU parallel mode, or NULL */
	struct timeline *timeline;       /* --timeline (run_timeline.h), or NULL */
	const struct nats_run_opts *nats;  /* NULL: the /dev/shm mesh */
};

/* Run a swarm to completion (or timeout / signal) and fill rep. kernel is
 * the optional tracing section for the report. Returns the exit code
 * (enum exit_code, or 128+signal when interrupted); on setup failure a
 * negative errno and *step names the failed step (setup_step.h: its
 * words and exit code). */
int coord_run(const struct run_opts *o, const struct report_kernel *kernel,
	      struct run_report *rep, enum setup_step *step);

/* What `swarm coordinator` is told about its workers, one host or NATS
 * (coord_node_loop.h turns it into the pool's configuration). */
struct node_workers {
	unsigned workers, max_parallel;
	double heartbeat_s;           /* hung detection; 0: off */
	int stdout_mode, task_stdin;
	int set_nice, nice;           /* --agent-nice: the workers' nice value */
	char **argv;                  /* the agent command */
	int (*applet)(int argc, char **argv);
};

struct node_opts {
	const char *dir, *name, *parent;
	const char *logs_dir;
	struct node_workers w;
};

/* Serve one hybrid coordinator slot until the master's STOP and every task
 * is answered. Returns an exit code. */
int coord_node(const struct node_opts *o);

#endif
