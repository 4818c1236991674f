/*
 * `swarm run` with a plain command, GNU parallel style: the options that
 * only make sense there (-j, -k, --tag, -0, --colsep, --task-timeout,
 * --retries, --halt, --joblog, --resume, --resume-failed, --dry-run,
 * --eta/--progress/--bar, --shuf), deciding whether a run is a plain
 * command at all, and reading its tasks. See docs/run.md "Plain commands".
 */
#ifndef SWARM_RUN_PLAIN_H
#define SWARM_RUN_PLAIN_H

#include <getopt.h>

#include "coord.h"
#include "run_args.h"
#include "run_input.h"

enum {
	PLAIN_OPT_KEEP = 400, PLAIN_OPT_TAG, PLAIN_OPT_NULL, PLAIN_OPT_COLSEP,
	PLAIN_OPT_TTIMEOUT, PLAIN_OPT_RETRIES, PLAIN_OPT_HALT, PLAIN_OPT_JOBLOG,
	PLAIN_OPT_RESUME, PLAIN_OPT_RESUME_FAILED, PLAIN_OPT_DRYRUN,
	PLAIN_OPT_PROGRESS, PLAIN_OPT_SHUF, PLAIN_OPT_JOBS,
};

#define PLAIN_OPTIONS                                                      \
	{ "jobs", required_argument, NULL, 'j' },                          \
	{ "keep-order", no_argument, NULL, 'k' },                          \
	{ "tag", no_argument, NULL, PLAIN_OPT_TAG },                       \
	{ "null", no_argument, NULL, '0' },                                \
	{ "colsep", required_argument, NULL, PLAIN_OPT_COLSEP },           \
	{ "task-timeout", required_argument, NULL, PLAIN_OPT_TTIMEOUT },   \
	{ "retries", required_argument, NULL, PLAIN_OPT_RETRIES },         \
	{ "halt", required_argument, NULL, PLAIN_OPT_HALT },               \
	{ "joblog", required_argument, NULL, PLAIN_OPT_JOBLOG },           \
	{ "resume", no_argument, NULL, PLAIN_OPT_RESUME },                 \
	{ "resume-failed", no_argument, NULL, PLAIN_OPT_RESUME_FAILED },   \
	{ "dry-run", no_argument, NULL, PLAIN_OPT_DRYRUN },                \
	{ "eta", no_argument, NULL, PLAIN_OPT_PROGRESS },                  \
	{ "progress", no_argument, NULL, PLAIN_OPT_PROGRESS },             \
	{ "bar", no_argument, NULL, PLAIN_OPT_PROGRESS },                  \
	{ "shuf", no_argument, NULL, PLAIN_OPT_SHUF }

struct run_plain {
	struct plain_opts g;
	struct input_cfg in;
	struct task_list tl;
	const char *jobs;         /* -j as given */
	const char *colsep;
	int null_sep, shuf, dry_run, resume, resume_failed;
	int gnu_opt;              /* an option above that needs GNU mode */
	int has_input, is_plain;
};

/* Handle option c if it is one of PLAIN_OPTIONS: 1 handled, 0 not ours,
 * -EINVAL bad value (line printed). */
int plain_opt(struct run_plain *pl, int c, const char *arg);
/* Before run_shape_check: cut ::: / :::: off o->argv and decide where the
 * tasks come from (sh->has_input). -EINVAL with the line printed. */
int plain_sources(struct run_plain *pl, struct run_shape *sh, int nats);
/* After it: decide plain / GNU mode, -j, read and filter the tasks (set
 * o->tasks, o->plain, o->gnu). 1: --dry-run printed everything, 0: run,
 * -EINVAL usage (line printed), other -errno (line printed). */
int plain_prepare(struct run_plain *pl, struct run_shape *sh, int json, int nats);
void plain_free(struct run_plain *pl);

#endif
