/* Parsing and checking the shape of a swarm for `run` and `soak`. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "run_args.h"
#include "swarm.h"

int run_arg_count(const char *cmd, const char *opt, const char *s, unsigned *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v < 1 || v > COORD_MAX_AGENTS) {
		die_msg("%s: %s wants a number from 1 to %u, not '%s'", cmd, opt,
			COORD_MAX_AGENTS, s);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

int run_arg_secs(const char *cmd, const char *opt, const char *s, double *out)
{
	if (parse_seconds(s, out)) {
		die_msg("%s: %s wants a duration like 30, 30s, 2m or 1h, not '%s'",
			cmd, opt, s);
		return -EINVAL;
	}
	return 0;
}

static int ok(int err)
{
	return err ? err : 1;
}

static int user_opt(struct run_shape *sh, const char *arg)
{
	int err = priv_user_lookup(arg, &sh->user);

	if (err == -ENOENT)
		die_msg("%s: --user: no such user '%s'", sh->cmd, arg);
	else if (err)
		die_msg("%s: --user wants a user name or uid, not '%s' (%s)",
			sh->cmd, arg, strerror(-err));
	if (!err && sh->user.uid == 0) {
		die_msg("%s: --user %s is root: agents would run as root; leave "
			"--user out to run them as yourself", sh->cmd, arg);
		err = -EINVAL;
	}
	if (err)
		return -EINVAL;
	sh->o->user = &sh->user;
	return 0;
}

int run_shape_opt(struct run_shape *sh, int c, const char *arg)
{
	struct run_opts *o = sh->o;

	switch (c) {
	case 'n':
		sh->n_set = 1;
		return ok(run_arg_count(sh->cmd, "-n", arg, &o->n));
	case RUN_OPT_TOPO:
		if (strcmp(arg, "flat") && strcmp(arg, "hybrid")) {
			die_msg("%s: --topology is flat or hybrid, not '%s'", sh->cmd, arg);
			return -EINVAL;
		}
		o->hybrid = !strcmp(arg, "hybrid");
		sh->topo_set = 1;
		return 1;
	case RUN_OPT_COORDS: return ok(run_arg_count(sh->cmd, "--coordinators", arg, &o->coordinators));
	case RUN_OPT_WORKERS: return ok(run_arg_count(sh->cmd, "--workers", arg, &o->workers));
	case RUN_OPT_MAXP: return ok(run_arg_count(sh->cmd, "--max-parallel", arg, &o->max_parallel));
	case RUN_OPT_TASKS: o->tasks_file = arg; return 1;
	case RUN_OPT_STDIN: o->task_stdin = 1; return 1;
	case RUN_OPT_TIMEOUT: return ok(run_arg_secs(sh->cmd, "--timeout", arg, &o->timeout_s));
	case RUN_OPT_HB: return ok(run_arg_secs(sh->cmd, "--heartbeat", arg, &o->heartbeat_s));
	case RUN_OPT_LOGS: o->logs_dir = arg; return 1;
	case RUN_OPT_USER: return ok(user_opt(sh, arg));
	}
	return 0;
}

unsigned run_default_parallel(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n * 2 : 2;
}

int run_shape_check(struct run_shape *sh)
{
	struct run_opts *o = sh->o;

	if (o->coordinators || o->workers) {
		if (sh->topo_set && !o->hybrid) {
			die_msg("%s: --coordinators/--workers need --topology hybrid", sh->cmd);
			return -EINVAL;
		}
		o->hybrid = 1;
	}
	/* Before anything starts (the tracer's own notice included). */
	if (o->user && priv_can_switch_user()) {
		die_msg("%s: --user %s needs root (CAP_SETUID and CAP_SETGID)",
			sh->cmd, o->user->name);
		return -EPERM;
	}
	if (o->task_stdin && !o->tasks_file && !sh->has_input) {
		die_msg("%s: --task-stdin needs tasks: --tasks FILE, ::: ARGS or "
			"a pipe on stdin", sh->cmd);
		return -EINVAL;
	}
	if (o->timeout_s <= 0) {
		die_msg("%s: --timeout must be more than 0", sh->cmd);
		return -EINVAL;
	}
	if (!o->hybrid) {
		if (!sh->n_set)
			o->n = o->tasks_file ? run_default_parallel() : 1;
		return 0;
	}
	if (!o->coordinators) {
		die_msg("%s: hybrid needs --coordinators C (and --workers W or -n N)", sh->cmd);
		return -EINVAL;
	}
	if (!o->workers) {
		if (!sh->n_set) {
			die_msg("%s: hybrid needs --workers W or -n N", sh->cmd);
			return -EINVAL;
		}
		o->workers = (o->n + o->coordinators - 1) / o->coordinators;
	}
	if ((uint64_t)o->coordinators * o->workers > COORD_MAX_AGENTS) {
		die_msg("%s: %u x %u agents is more than the limit of %u", sh->cmd,
			o->coordinators, o->workers, COORD_MAX_AGENTS);
		return -EINVAL;
	}
	o->n = o->coordinators * o->workers;
	return 0;
}

