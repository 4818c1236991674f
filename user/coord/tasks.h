/*
 * Tasks of a run: loaded from a file (one task per line, like xargs -L1),
 * or generated (one per worker), and the `{}` substitution that turns a
 * plain command into one command line per task (as xargs -I{} and GNU
 * parallel do).
 *
 * Task file rules: lines end with "\n" (a final line without it counts);
 * a trailing "\r" is dropped; empty lines are skipped; a NUL byte or a line
 * longer than TASK_MAX_LEN is an error (-EINVAL / -E2BIG, with the 1-based
 * line number in *bad_line); at most TASK_MAX_COUNT tasks.
 */
#ifndef SWARM_TASKS_H
#define SWARM_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TASK_MAX_LEN    (256u << 10)   /* bytes per task line */
#define TASK_MAX_COUNT  (1u << 20)
#define TASK_OUTPUT_MAX (64u << 10)    /* result kept per task (stdout mode,
					  --results); longer is truncated */

enum task_state { TASK_QUEUED, TASK_RUNNING, TASK_DONE };

enum task_status {
	TS_NONE = 0,     /* no outcome yet */
	TS_OK,           /* answered / exited 0 in stdout mode */
	TS_FAILED,       /* agent answered MSG_FAIL, or non-zero exit (stdout mode) */
	TS_EXITED,       /* agent exited without answering */
	TS_SPAWN,        /* agent could not be started */
	TS_HUNG,         /* silent past --heartbeat, killed at the timeout */
	TS_TIMEOUT,      /* no answer by --timeout */
	TS_LOST,         /* its coordinator died too often; never ran */
	TS_INTERRUPTED,  /* run stopped by SIGINT/SIGTERM */
	TS_NOT_STARTED,  /* never ran: the run ended first (timeout, signal, --halt) */
	TS_KILLED,       /* running when --halt now stopped the run */
};

struct task {
	uint32_t id;             /* 0-based position in the task list */
	uint32_t len;
	char *text;              /* NUL-terminated, len bytes */
	/* Plain commands: the columns ({1} {2} ...) back to back, each
	 * NUL-terminated; ncols 0: one column, the text. */
	char *cols;
	uint32_t ncols;
	uint32_t slot;           /* 1-based slot of its last attempt ({%}) */
	/* outcome, filled by the coordinator */
	uint8_t state, status;
	int exit_code;           /* agent exit code, -signal, or 0 */
	int owner;               /* hybrid: coordinator index, -1 none */
	uint32_t attempts;
	uint64_t t_start_ns, t_end_ns;  /* CLOCK_MONOTONIC */
	uint64_t latency_ns;     /* answer frame: send -> receive */
	char agent[NAME_MAX_LEN + 1];
	char reason[128];
};

struct task_list {
	struct task *v;
	size_t n;
	char *buf;               /* backing store of every text */
	char *buf2;              /* more backing store (columns), or NULL */
	size_t id_limit;         /* every id is below it (0: n) */
};

/* Read fd to its end into a NUL-terminated malloc'd buffer (*out, *len
 * bytes), refusing more than TASK_MAX_COUNT * 64 bytes (-E2BIG). */
int tasks_slurp(int fd, char **out, size_t *len);
int tasks_load_fd(int fd, struct task_list *tl, size_t *bad_line);
/* t's columns into cols[0..]: its text alone, or each of its ncols values
 * when it has 2..max of them. Returns how many were filled. */
size_t task_columns(const struct task *t, const char **cols, size_t max);
int tasks_load_file(const char *path, struct task_list *tl, size_t *bad_line);
/* The one line every master prints for tasks_load_file's err at bad_line
 * (0: the file as a whole). */
void tasks_load_error(const char *path, size_t bad_line, int err, char *buf,
		      size_t len);
/* n generated tasks: "task <i>" for i in 1..n. */
int tasks_generate(size_t n, struct task_list *tl);
void tasks_free(struct task_list *tl);

/* 1 if any argument holds "{}". */
int tasks_has_placeholder(char *const *argv);
/* New argv (NULL-terminated, one malloc block, free() it) with every "{}"
 * in every argument replaced by task. */
int tasks_substitute(char *const *argv, const char *task, char ***out);

const char *task_status_name(int status);

#endif
