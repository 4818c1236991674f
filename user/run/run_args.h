/* The swarm-shape options shared by `swarm run` and `swarm soak`:
 * -n, --topology, --coordinators, --workers, --max-parallel, --tasks,
 * --task-stdin, --timeout, --heartbeat, --logs, --user; parsed and checked
 * once. */
#ifndef SWARM_RUN_ARGS_H
#define SWARM_RUN_ARGS_H

#include <getopt.h>

#include "coord.h"
#include "priv.h"

/* getopt_long codes of the shared options; a command's own start at
 * RUN_OPT_OWN. */
enum {
	RUN_OPT_TOPO = 256, RUN_OPT_COORDS, RUN_OPT_WORKERS, RUN_OPT_MAXP,
	RUN_OPT_TASKS, RUN_OPT_STDIN, RUN_OPT_TIMEOUT, RUN_OPT_HB, RUN_OPT_LOGS,
	RUN_OPT_USER, RUN_OPT_OWN,
};

#define RUN_SHAPE_OPTIONS                                                   \
	{ "topology", required_argument, NULL, RUN_OPT_TOPO },              \
	{ "coordinators", required_argument, NULL, RUN_OPT_COORDS },        \
	{ "workers", required_argument, NULL, RUN_OPT_WORKERS },            \
	{ "max-parallel", required_argument, NULL, RUN_OPT_MAXP },          \
	{ "tasks", required_argument, NULL, RUN_OPT_TASKS },                \
	{ "task-stdin", no_argument, NULL, RUN_OPT_STDIN },                 \
	{ "timeout", required_argument, NULL, RUN_OPT_TIMEOUT },            \
	{ "heartbeat", required_argument, NULL, RUN_OPT_HB },               \
	{ "logs", required_argument, NULL, RUN_OPT_LOGS },                  \
	{ "user", required_argument, NULL, RUN_OPT_USER }

struct run_shape {
	const char *cmd;     /* "run" or "soak": prefix of every message */
	struct run_opts *o;
	int topo_set, n_set;
	int has_input;           /* ::: / :::: / stdin feed the tasks */
	struct priv_user user;   /* --user; o->user points here */
};

/* A positive agent count (1..COORD_MAX_AGENTS); prints the error line. */
int run_arg_count(const char *cmd, const char *opt, const char *s, unsigned *out);
/* A duration ("30", "30s", "2m", "1h"); prints the error line. */
int run_arg_secs(const char *cmd, const char *opt, const char *s, double *out);
/* Handle option c if it is a shape option ('n' included): 1 handled,
 * 0 not a shape option, -EINVAL bad value (line printed). */
int run_shape_opt(struct run_shape *sh, int c, const char *arg);
/* Fill the shape from what was given (flat default -n, hybrid W from -n);
 * one line for what does not fit. 0, -EINVAL (usage) or -EPERM (--user
 * without root: an environment error). */
int run_shape_check(struct run_shape *sh);
/* Plain commands' default parallelism: 2 x the CPUs online. */
unsigned run_default_parallel(void);

#endif
