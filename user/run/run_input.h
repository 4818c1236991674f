/*
 * Where a plain command's tasks come from, GNU parallel style: `--tasks
 * FILE` and `:::: FILE` (one task per line, or per NUL with -0; '-' is
 * stdin), `::: A B C` (one task per argument), stdin when nothing else is
 * given. Several sources combine like GNU parallel's: every combination,
 * the last source varying fastest, each source adding its columns ({1},
 * {2}, ...). --colsep REGEX (POSIX extended) splits each record into more
 * columns.
 *
 * Record rules: as tasks.h for lines (a final "\r" dropped, empty lines
 * skipped, a NUL byte is an error); with -0 records end at NUL and may hold
 * newlines; empty records are skipped; `:::` arguments are taken as they
 * are, empty ones included.
 */
#ifndef SWARM_RUN_INPUT_H
#define SWARM_RUN_INPUT_H

#include <stddef.h>

#include "tasks.h"

enum { IN_ARGS, IN_FILE };

struct input_src {
	int kind;
	char **args;        /* IN_ARGS: nargs arguments */
	size_t nargs;
	const char *path;   /* IN_FILE: a path, "-" for stdin */
};

struct input_cfg {
	struct input_src *src;
	size_t nsrc;
	int null_sep;       /* -0 */
	const char *colsep; /* --colsep, or NULL */
};

/* Cut CMD at its first ::: or :::: (a NULL goes there) and add what
 * follows as sources. 0, -EINVAL (an empty group: *bad names it) or
 * -ENOMEM. */
int input_split_argv(char **argv, struct input_cfg *c, const char **bad);
/* Add one file source (`--tasks FILE`, stdin). */
int input_add_file(struct input_cfg *c, const char *path);
/* Build the task list; on failure err holds one line for the user. */
int input_load(const struct input_cfg *c, struct task_list *tl, char *err,
	       size_t errlen);
void input_free(struct input_cfg *c);

#endif
