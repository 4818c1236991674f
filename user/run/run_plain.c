/* Plain commands, GNU parallel style: options, mode, input, --dry-run. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "replace.h"
#include "run_joblog.h"
#include "run_plain.h"

/* --halt never | 0 | 1 | 2 | now|soon,fail|success=N|P% */
static int parse_halt(const char *s, struct halt_spec *h)
{
	const char *comma = strchr(s, ','), *val;
	char *end;
	size_t wl;
	double v;

	memset(h, 0, sizeof(*h));
	if (!strcmp(s, "never") || !strcmp(s, "0"))
		return 0;
	if (!strcmp(s, "1") || !strcmp(s, "2")) {
		h->when = *s == '1' ? HALT_SOON : HALT_NOW;
		h->count = 1;
		return 0;
	}
	if (!comma)
		return -EINVAL;
	wl = (size_t)(comma - s);
	if (wl == 3 && !strncmp(s, "now", 3))
		h->when = HALT_NOW;
	else if (wl == 4 && !strncmp(s, "soon", 4))
		h->when = HALT_SOON;
	else
		return -EINVAL;
	if (!strncmp(comma + 1, "fail=", 5))
		val = comma + 6;
	else if (!strncmp(comma + 1, "success=", 8))
		val = comma + 9, h->on_success = 1;
	else
		return -EINVAL;
	errno = 0;
	v = strtod(val, &end);
	if (errno || end == val || v <= 0)
		return -EINVAL;
	if (*end == '%' && !end[1] && v <= 100) {
		h->pct = v;
		return 0;
	}
	if (*end || v != (double)(unsigned)v)
		return -EINVAL;
	h->count = (unsigned)v;
	return 0;
}

/* -j N | +N | -N (CPUs plus/minus N) | N% (of the CPUs) | 0 (as many as
 * there are tasks, up to 1024). */
static int parse_jobs(const char *s, unsigned ntasks, unsigned *out)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), v;
	char *end;

	if (cpus < 1)
		cpus = 1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == '%' && !end[1] && v > 0)
		v = cpus * v / 100;
	else if (*end)
		return -EINVAL;
	else if (*s == '+' || *s == '-')
		v = cpus + v;
	else if (v == 0)
		v = ntasks ? (ntasks < 1024 ? ntasks : 1024) : 1;
	if (v < 1)
		v = 1;
	if (v > COORD_MAX_AGENTS)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int plain_opt(struct run_plain *pl, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'j': pl->jobs = arg; return 1;
	case 'k': pl->g.keep_order = pl->gnu_opt = 1; return 1;
	case PLAIN_OPT_TAG: pl->g.tag = pl->gnu_opt = 1; return 1;
	case '0': pl->null_sep = 1; return 1;
	case PLAIN_OPT_COLSEP: pl->colsep = arg; return 1;
	case PLAIN_OPT_TTIMEOUT:
		pl->gnu_opt = 1;
		if (run_arg_secs("run", "--task-timeout", arg, &pl->g.task_timeout_s))
			return -EINVAL;
		if (pl->g.task_timeout_s <= 0) {
			die_msg("run: --task-timeout must be more than 0");
			return -EINVAL;
		}
		return 1;
	case PLAIN_OPT_RETRIES:
		pl->gnu_opt = 1;
		if (parse_u64(arg, &v) || v < 1 || v > 1000) {
			die_msg("run: --retries wants a number of attempts from 1 to 1000, "
				"not '%s'", arg);
			return -EINVAL;
		}
		pl->g.retries = (unsigned)v;
		return 1;
	case PLAIN_OPT_HALT:
		pl->gnu_opt = 1;
		pl->g.halt_text = arg;
		if (parse_halt(arg, &pl->g.halt)) {
			die_msg("run: --halt wants now|soon,fail=N|success=N|fail=P%%|"
				"success=P%% (or never, 0, 1, 2), not '%s'", arg);
			return -EINVAL;
		}
		return 1;
	case PLAIN_OPT_JOBLOG: pl->g.joblog = arg; pl->gnu_opt = 1; return 1;
	case PLAIN_OPT_RESUME: pl->resume = pl->gnu_opt = 1; return 1;
	case PLAIN_OPT_RESUME_FAILED: pl->resume_failed = pl->gnu_opt = 1; return 1;
	case PLAIN_OPT_DRYRUN: pl->dry_run = 1; return 1;
	case PLAIN_OPT_PROGRESS: pl->g.progress = pl->gnu_opt = 1; return 1;
	case PLAIN_OPT_SHUF: pl->shuf = 1; return 1;
	}
	return 0;
}

/* A pipe, a file or a socket on stdin carries tasks; a terminal or
 * /dev/null (cron, systemd, CI) does not. */
static int stdin_feeds(void)
{
	struct stat st;

	if (isatty(0) || fstat(0, &st))
		return 0;
	return S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode);
}

int plain_sources(struct run_plain *pl, struct run_shape *sh, int nats)
{
	struct run_opts *o = sh->o;
	struct input_cfg argv_src = { 0 };
	const char *bad = NULL;
	int err, trigger;
	size_t i;

	err = input_split_argv(o->argv, &argv_src, &bad);
	if (err == -EINVAL)
		die_msg("run: '%s' must be followed by at least one %s", bad,
			!strcmp(bad, ":::") ? "argument" : "file");
	if (err)
		goto out;
	if (!o->argv[0]) {
		die_msg("run: no command before '%s' (see 'swarm run --help')",
			argv_src.src[0].kind == IN_ARGS ? ":::" : "::::");
		err = -EINVAL;
		goto out;
	}
	trigger = replace_has(o->argv) || o->task_stdin || argv_src.nsrc || pl->jobs ||
		  pl->gnu_opt || pl->null_sep || pl->colsep || pl->dry_run || pl->shuf;
	pl->is_plain = trigger;
	/* --tasks is a source of a plain command (so -0 and --colsep apply);
	 * an agent swarm's task file is read by the master as before. */
	/* ::: groups keep their place among the :::: files. */
	{
		struct input_cfg all = { 0 };

		if (o->tasks_file && trigger)
			err = input_add_file(&all, o->tasks_file);
		for (i = 0; i < argv_src.nsrc && !err; i++) {
			const struct input_src *s = &argv_src.src[i];

			if (s->kind == IN_FILE) {
				err = input_add_file(&all, s->path);
			} else {
				struct input_src *n = realloc(all.src, (all.nsrc + 1) * sizeof(*n));

				if (!n) {
					err = -ENOMEM;
					break;
				}
				all.src = n;
				all.src[all.nsrc++] = *s;
			}
		}
		input_free(&pl->in);
		pl->in = all;
	}
	if (err)
		goto out;
	/* Nothing named: stdin, as GNU parallel and xargs read it, unless -n
	 * (an agent swarm's size: generated tasks) or a hybrid/NATS run. */
	if (!pl->in.nsrc && !o->tasks_file && !sh->n_set && !o->hybrid && !nats &&
	    !o->coordinators && !o->workers && stdin_feeds()) {
		if ((err = input_add_file(&pl->in, "-")))
			goto out;
		pl->is_plain = 1;
	}
	pl->has_input = pl->in.nsrc > 0;
	sh->has_input = pl->has_input;
out:
	input_free(&argv_src);
	if (err == -ENOMEM)
		die_msg("run: out of memory");
	return err;
}

static void shuffle(struct task_list *tl)
{
	size_t i;

	for (i = tl->n; i > 1; i--) {
		uint64_t r;
		struct task tmp;
		size_t j;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint64_t)rand();
		j = (size_t)(r % i);
		tmp = tl->v[i - 1];
		tl->v[i - 1] = tl->v[j];
		tl->v[j] = tmp;
	}
}

/* --resume / --resume-failed: drop the tasks the joblog says are done. */
static int resume(struct run_plain *pl)
{
	unsigned char *skip = calloc(pl->tl.n ? pl->tl.n : 1, 1);
	size_t bad = 0, i, k = 0;
	int err;

	if (!skip)
		return -ENOMEM;
	err = joblog_resume(pl->g.joblog, pl->resume_failed, skip, pl->tl.n, &bad);
	if (err == -EINVAL)
		die_msg("run: --joblog %s, line %zu: not a GNU parallel joblog line",
			pl->g.joblog, bad);
	else if (err)
		die_msg("run: cannot read the joblog %s: %s", pl->g.joblog, strerror(-err));
	if (!err) {
		pl->tl.id_limit = pl->tl.n;
		for (i = 0; i < pl->tl.n; i++)
			if (!skip[pl->tl.v[i].id])
				pl->tl.v[k++] = pl->tl.v[i];
		pl->tl.n = k;
	}
	free(skip);
	return err;
}

static int dry_run(struct run_plain *pl, struct run_opts *o)
{
	size_t i;

	for (i = 0; i < pl->tl.n; i++) {
		const struct task *t = &pl->tl.v[i];
		const char *cols[64];
		struct replace_in in = { .cols = cols, .ncols = 1, .seq = t->id + 1,
					 .slot = (unsigned)(i % o->n) + 1 };
		char **argv, *line;

		in.ncols = task_columns(t, cols, 64);
		if (replace_argv(o->argv, &in, pl->g.append_args && !o->task_stdin, &argv))
			return -ENOMEM;
		line = replace_cmdline(argv);
		free(argv);
		if (!line)
			return -ENOMEM;
		printf("%s\n", line);
		free(line);
	}
	fflush(stdout);
	return 1;
}

int plain_prepare(struct run_plain *pl, struct run_shape *sh, int json, int nats)
{
	struct run_opts *o = sh->o;
	char err_line[256] = "";
	int err, gnu;

	if (pl->jobs && (o->hybrid || nats)) {
		die_msg("run: -j is for the flat topology; a hybrid swarm's size is "
			"--coordinators C --workers W");
		return -EINVAL;
	}
	if (pl->jobs && sh->n_set) {
		die_msg("run: -n and -j both give the number of agents; use one "
			"(-j for plain commands, -n for agent swarms)");
		return -EINVAL;
	}
	if (!pl->is_plain)
		return 0;
	gnu = !json && !o->hybrid && !nats;
	if (!gnu && (pl->gnu_opt || pl->dry_run)) {
		die_msg("run: -k, --tag, --task-timeout, --retries, --halt, --joblog, "
			"--resume, --eta and --dry-run are for plain commands in the flat "
			"topology without --json (the report would share stdout with the "
			"tasks' output; use --results FILE)");
		return -EINVAL;
	}
	/* Coordinators get a task's text over the bus, not its columns, and
	 * the NATS master reads only --tasks. */
	if (o->hybrid && (pl->colsep || pl->in.nsrc > 1 ||
			  (!replace_has(o->argv) && !o->task_stdin))) {
		die_msg("run: a hybrid plain command needs {} (or --task-stdin) and "
			"one input without --colsep");
		return -EINVAL;
	}
	if (nats && pl->in.nsrc && !(pl->in.nsrc == 1 && o->tasks_file)) {
		die_msg("run: --bus nats:// reads its tasks from --tasks FILE only");
		return -EINVAL;
	}
	if ((pl->resume || pl->resume_failed) && !pl->g.joblog) {
		die_msg("run: --resume and --resume-failed need --joblog FILE");
		return -EINVAL;
	}
	if (!pl->has_input && !sh->n_set && !o->hybrid) {
		die_msg("run: no tasks: give --tasks FILE, ::: ARGS, :::: FILE or pipe "
			"them on stdin (-n N without them: N tasks 'task <i>')");
		return -EINVAL;
	}
	pl->g.append_args = !replace_has(o->argv);
	pl->g.gnu_out = gnu;
	pl->g.joblog_append = pl->resume || pl->resume_failed;
	/* The NATS master reads --tasks itself (and '-' only once). */
	if (nats) {
		o->plain = 1;
		return 0;
	}
	if (pl->has_input) {
		pl->in.null_sep = pl->null_sep;
		pl->in.colsep = pl->colsep;
		err = input_load(&pl->in, &pl->tl, err_line, sizeof(err_line));
		if (err) {
			die_msg("run: %s", err_line[0] ? err_line : strerror(-err));
			return err == -ENOMEM ? err : -EINVAL;
		}
		if (pl->g.joblog_append && (err = resume(pl)))
			return err == -ENOMEM ? err : -EINVAL;
		if (pl->shuf)
			shuffle(&pl->tl);
		o->tasks = &pl->tl;
	} else if ((err = tasks_generate(o->n, &pl->tl))) {
		die_msg("run: out of memory");
		return err;
	} else {
		o->tasks = &pl->tl;
	}
	if (pl->jobs && parse_jobs(pl->jobs, pl->has_input ? (unsigned)pl->tl.n : 0,
				   &o->n)) {
		die_msg("run: -j wants N, +N, -N, N%% or 0, not '%s'", pl->jobs);
		return -EINVAL;
	}
	if (!pl->jobs && !sh->n_set && !o->hybrid)
		o->n = run_default_parallel();
	o->plain = 1;
	o->gnu = gnu ? &pl->g : NULL;
	if (pl->dry_run)
		return dry_run(pl, o);
	return 0;
}

void plain_free(struct run_plain *pl)
{
	input_free(&pl->in);
	tasks_free(&pl->tl);
}
