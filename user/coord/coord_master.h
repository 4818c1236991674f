/*
 * Master internals shared by coord_master.c (setup, loop, outcomes,
 * report), the two topologies behind struct topology (coord_flat.c: one
 * pool of agents; coord_hybrid.c: coordinator processes, hand-off),
 * coord_ctl.c (pause / resume / status requests) and coord_top.c.
 */
#ifndef SWARM_COORD_MASTER_H
#define SWARM_COORD_MASTER_H

#include <limits.h>
#include <stdio.h>

#include "bus.h"
#include "coord.h"
#include "coord_metrics.h"
#include "coord_pool.h"
#include "coord_proto.h"
#include "run_output.h"
#include "run_progress.h"
#include "setup_step.h"
#include "spawn_cgroup.h"
#include "tasks.h"

#define EV_INBOX  0x494e4258
#define EV_SIGNAL 0x5349474e
#define EV_COORD  0x434f4f52
#define EV_METRICS 0x4d455452
#define EV_HOOK    0x484f4f4b
#define EV_TOPO    0x544f504f   /* another fd of the topology's */

#define TF_HUNG     1   /* a coordinator flagged the task hung */
#define TF_RECORDED 2   /* outcome counted (later ones are duplicates) */

struct mcoord {                     /* one hybrid coordinator slot */
	int ev_kind;                /* EV_COORD: must stay first */
	unsigned idx, gen;
	char name[NAME_MAX_LEN + 1];
	pid_t pid;
	int pidfd;
	struct swarm_cgroup cg;
	int stats_got, finished;
	struct proto_stats st;
};

struct master;
struct top_snap;

/* What differs between the topologies, and nothing else: the master's
 * setup, loop, outcome recording and report are one code path. Every
 * member is set. */
struct topology {
	const char *name;     /* the report's topology: "flat" | "hybrid" */
	const char *members;  /* what status lists: "agents" | "coordinators" */
	int (*start)(struct master *m);
	/* A frame in the master inbox: 1 if it was this topology's. */
	int (*on_msg)(struct master *m, const struct bus_msg *msg);
	/* An epoll event it registered (POOL_EV_CHILD, EV_COORD). */
	void (*on_event)(struct master *m, void *ev);
	/* Once per loop pass: start more (*more: still more to start at
	 * once) and time out (*tick_ms: next deadline); untouched if idle. */
	void (*step)(struct master *m, int *more, int *tick_ms);
	void (*signal)(struct master *m, int sig);   /* to every member tree */
	/* swarm pause / resume: stop or restart every agent (and what the
	 * topology needs stopped with them); master_pause_tree for both
	 * one-host topologies. */
	void (*pause)(struct master *m, int on);
	void (*resumed)(struct master *m);
	/* Every open task gets status and why; then the members go. */
	void (*abort)(struct master *m, int status, const char *why);
	void (*finish)(struct master *m, int grace_ms);
	void (*after)(struct master *m);     /* run over, members gone */
	size_t (*pending)(struct master *m); /* tasks not yet started */
	void (*sample)(struct master *m, struct coord_sample *s);
	void (*report)(struct master *m, struct run_report *r);
	/* One text line per member into f, or (w) one object per member
	 * into w's open array. */
	void (*status)(struct master *m, FILE *f, struct jsonw *w);
	int (*top)(struct master *m, struct top_snap *s, uint64_t now);
	void (*free)(struct master *m);
};

extern const struct topology topo_flat, topo_hybrid, topo_nats;

struct master {
	const struct run_opts *o;
	const struct topology *topo;
	struct run_report *rep;
	struct bus *bus;
	struct inbox *self;
	int notify_fd, epfd, sigfd, logs_fd;
	int ev_inbox, ev_signal, ev_metrics, ev_hook;   /* epoll tags */
	uint64_t last_tick;         /* run_hooks.tick */
	struct coord_metrics *metrics;
	uint64_t last_publish;
	struct task_list tl;
	unsigned char *flags;       /* per task: TF_HUNG, TF_RECORDED */
	size_t done;
	struct swarm_cgroup cg;
	int have_cg, stdout_mode, paused;
	char logs_path[PATH_MAX];
	char exe[PATH_MAX];
	char **argv;                /* CMD with argv[0] resolved */
	struct pool *pool;          /* flat */
	struct mcoord *coords;      /* hybrid */
	unsigned ncoords;
	struct nats_master *nats;   /* NATS (coord_nats_master.c) */
	enum setup_step *step;      /* what start() is doing, for its errors */
	FILE *results;
	struct lat_samples lat;
	uint64_t t0, t0_wall, t_done, deadline, last_sample, paused_at;
	uint64_t msgs, spawn_end_ns;
	unsigned fds_peak;
	uint64_t shm_peak;
	int stop_sig;
	int boosted, nice0;         /* raised our priority; children get nice0 */
	/* GNU parallel mode (o->gnu): output, --joblog, progress, --halt */
	struct run_output *out;
	FILE *joblog;
	struct run_progress prog;
	int64_t wall_off;           /* wall_ns() - now_ns() */
	size_t n_ok, n_failed;
	int halt_pending, halted, halted_success;
	struct top_watch *top_watch;  /* swarm top's askers (coord_top.c) */
};

/* Record a task's outcome (both topologies; drops duplicates). */
void master_task_done(struct master *m, struct task *t, const char *out,
		      size_t len);
void master_sample(struct master *m, int force);
/* Freeze the swarm's cgroup (or SIGSTOP each member's tree): the whole
 * swarm, coordinators too, stops where it is. */
void master_pause_tree(struct master *m, int on);
/* Read and handle everything in the master inbox. */
void master_drain(struct master *m);


/* coord_spawn.c: start coordinator `name` (`swarm coordinator`, the
 * transport's arguments, the run's worker options, -- CMD) in cgroup cg
 * under the swarm's (made if cg->dirfd < 0), logging to <logs>/name.log;
 * bus_env: with the agent variables of the master's bus (a /dev/shm
 * coordinator), else our own environment. */
struct spawned;
int master_spawn_coord(struct master *m, const char *name,
		       const char *const *transport, int bus_env,
		       struct swarm_cgroup *cg, struct spawned *sp);

/* coord_top.c: swarm top's snapshot (user/top/top.h) for asker `from`
 * into buf; its length, or a negative errno. master_top_final sends the
 * last snapshot to the recent askers once the run is over; _free forgets
 * them. */
int master_top(struct master *m, const char *from, uint32_t seq, char *buf,
	       size_t cap);
void master_top_final(struct master *m);
void master_top_free(struct master *m);
/* Each topology's part of a snapshot (states, slow tasks, messages). */
int top_flat(struct master *m, struct top_snap *s, uint64_t now);
int top_hybrid(struct master *m, struct top_snap *s, uint64_t now);

/* coord_ctl.c: a MSG_CONTROL from "ctl-*": 1 if handled. */
int ctl_on_msg(struct master *m, const struct bus_msg *msg);

#endif
