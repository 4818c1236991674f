/* The flat topology: the master serves its N agents itself through one
 * worker pool (coord_pool.c) on the master inbox. The master's loop
 * (coord_master.c) calls it only through topo_flat at the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "coord_master.h"
#include "replace.h"
#include "run_joblog.h"
#include "run_timeline.h"
#include "top.h"

static void flat_done(void *arg, struct task *t, const char *out, size_t len)
{
	struct master *m = arg;
	int dup = m->flags[t->id] & TF_RECORDED;

	master_task_done(m, t, out, len);
	if (!dup)
		timeline_task(m->o->timeline, t, 0);
}

static void flat_spawned(void *arg, pid_t pid, const char *name)
{
	const struct run_hooks *h = ((struct master *)arg)->o->hooks;

	timeline_spawned(((struct master *)arg)->o->timeline, pid, name, TL_AGENT,
			 now_ns());
	if (h && h->spawned)
		h->spawned(h->arg, (int)pid, name);
}

static void flat_exited(void *arg, pid_t pid, int wstatus)
{
	timeline_exited(((struct master *)arg)->o->timeline, pid, now_ns(), wstatus);
}


/* Spool mode: the output of a task that ended (fds -1: it never ran). */
static void flat_spool(void *arg, struct task *t, int out_fd, int err_fd)
{
	struct master *m = arg;
	struct stat st;

	if (m->joblog && out_fd >= 0 && t->attempts) {
		char **argv = NULL, *cmd = NULL;
		const char *cols[64];
		struct replace_in in = { .cols = cols, .ncols = 1, .seq = t->id + 1,
					 .slot = t->slot };

		/* the command line again, only for the log */
		in.ncols = task_columns(t, cols, 64);
		if (replace_argv(m->o->argv, &in,
				 m->o->gnu->append_args && !m->o->task_stdin, &argv) == 0)
			cmd = replace_cmdline(argv);
		joblog_line(m->joblog, t, m->wall_off,
			    m->o->task_stdin ? (uint64_t)t->len + 1 : 0,
			    fstat(out_fd, &st) == 0 ? (uint64_t)st.st_size : 0,
			    cmd ? cmd : t->text);
		free(cmd);
		free(argv);
	}
	run_output_done(m->out, (size_t)(t - m->tl.v), t->text, t->len, out_fd, err_fd);
}

static void clear_progress(void *arg)
{
	progress_clear(&((struct master *)arg)->prog);
}


/* The pool reads our inbox before it acts on exits (coord_pool.h). */
static void flat_drain(void *arg)
{
	master_drain(arg);
}

static int flat_start(struct master *m)
{
	struct pool_cfg c = {
		.bus = m->bus, .self = m->self, .self_name = "master",
		.prefix = "w", .nslots = m->o->n,
		.max_parallel = m->o->max_parallel,
		.heartbeat_ns = (uint64_t)(m->o->heartbeat_s * 1e9),
		.stdout_mode = m->stdout_mode, .task_stdin = m->o->task_stdin,
		.argv = m->argv, .logs_fd = m->logs_fd,
		.applet = m->o->applet, .applet_argv = m->argv + 1,
		.cgroup_fd = m->have_cg ? m->cg.dirfd : -1, .new_pgroup = 1,
		.user = m->o->user, .set_nice = m->boosted, .nice = m->nice0,
		.swarm_id = bus_id(m->bus), .journal_fd = -1, .lat = &m->lat,
		.on_done = flat_done, .on_spawn = flat_spawned,
		.on_exit = flat_exited, .drain = flat_drain, .arg = m,
	};
	const struct plain_opts *g = m->o->gnu;
	size_t i;
	int err;

	if (g) {
		struct run_output_cfg oc = { .ntasks = m->tl.n, .keep_order = g->keep_order,
					     .tag = g->tag, .out_fd = 1, .err_fd = 2,
					     .before_write = clear_progress, .arg = m };

		c.spool = 1;
		c.append_args = g->append_args;
		c.want_output = m->results != NULL;
		c.task_timeout_ns = (uint64_t)(g->task_timeout_s * 1e9);
		c.retries = g->retries;
		c.on_spool = flat_spool;
		m->wall_off = (int64_t)wall_ns() - (int64_t)now_ns();
		progress_init(&m->prog, g->progress);
		if ((err = run_output_new(&oc, &m->out)))
			return err;
	} else if (m->o->plain) {
		c.append_args = 1;
	}

	while (m->argv[c.applet_argc + 1])
		c.applet_argc++;
	err = pool_new(&c, m->epfd, &m->pool);
	if (err)
		return err;
	for (i = 0; i < m->tl.n; i++)
		if ((err = pool_add(m->pool, &m->tl.v[i])))
			return err;
	pool_no_more(m->pool);
	pool_fill(m->pool);   /* the first burst; the loop starts the rest */
	return 0;
}

static int flat_on_msg(struct master *m, const struct bus_msg *msg)
{
	return m->pool && pool_on_msg(m->pool, msg);
}

static void flat_on_event(struct master *m, void *ev)
{
	(void)ev;   /* POOL_EV_CHILD: the pool's SIGCHLD signalfd */
	if (m->pool)
		pool_on_children(m->pool);
}

/* --halt is decided while an outcome is recorded (maybe deep inside the
 * pool's exit handling) and carried out here. While paused nothing new
 * starts and no timeout runs. */
static void flat_step(struct master *m, int *more, int *tick_ms)
{
	if (!m->pool)
		return;
	if (m->halt_pending) {
		m->halt_pending = 0;
		m->halted = 1;
		pool_halt(m->pool, m->o->gnu->halt.when == HALT_NOW, "--halt");
	}
	if (m->paused)
		return;
	*more = pool_fill(m->pool);
	*tick_ms = pool_tick(m->pool, now_ns());
}

static void flat_signal(struct master *m, int sig)
{
	if (m->pool)
		pool_signal(m->pool, sig);
}

/* Frozen time does not count against the heartbeat. */
static void flat_resumed(struct master *m)
{
	if (m->pool)
		pool_touch(m->pool);
}

static void flat_abort(struct master *m, int status, const char *why)
{
	if (m->pool)
		pool_abort(m->pool, status, why);
}

static void flat_finish(struct master *m, int grace_ms)
{
	if (m->pool)
		pool_shutdown(m->pool, grace_ms);
}

static void flat_after(struct master *m)
{
	(void)m;   /* agents' spawns and exits went to the timeline live */
}

static size_t flat_pending(struct master *m)
{
	return m->pool ? pool_pending(m->pool) : 0;
}

static void flat_sample(struct master *m, struct coord_sample *s)
{
	struct pool_stats ps;

	if (!m->pool)
		return;
	pool_get_stats(m->pool, &ps);
	s->workers_alive = pool_alive(m->pool);
	s->workers_spawned = ps.processes;
	s->messages = ps.msgs_sent + ps.msgs_recv;
}

static void flat_report(struct master *m, struct run_report *r)
{
	struct pool_stats ps;

	if (!m->pool)
		return;
	pool_get_stats(m->pool, &ps);
	r->agents = ps.agents;
	r->messages = ps.msgs_sent + ps.msgs_recv;
	if (ps.spawn_last_ns)
		r->spawn_s = (double)(ps.spawn_last_ns - m->t0) / 1e9;
	r->retried = ps.retried;
}

static void flat_status(struct master *m, FILE *f, struct jsonw *w)
{
	if (m->pool)
		pool_status(m->pool, f, w);
}

static void flat_free(struct master *m)
{
	if (m->pool)
		pool_free(m->pool);
	m->pool = NULL;
}

const struct topology topo_flat = {
	.name = "flat", .members = "agents",
	.start = flat_start, .on_msg = flat_on_msg, .on_event = flat_on_event,
	.step = flat_step, .signal = flat_signal,
	.pause = master_pause_tree, .resumed = flat_resumed,
	.abort = flat_abort, .finish = flat_finish, .after = flat_after,
	.pending = flat_pending, .sample = flat_sample, .report = flat_report,
	.status = flat_status, .top = top_flat, .free = flat_free,
};
