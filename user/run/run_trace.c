/* `swarm run` <-> the tracer: open before the swarm, poll from the loop,
 * name agents, report, close after the report. See user/run/run_trace.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_trace.h"
#include "coord_metrics.h"
#include "hist.h"
#include "json.h"
#include "run_timeline.h"
#include "top.h"
#include "trace.h"
#include "util.h"

struct pid_name {
	pid_t pid;
	char name[NAME_MAX_LEN + 1];
};

struct run_trace {
	struct tracer *tr;
	double attach_s;
	uint64_t last_names;        /* name_growers() runs once a second */
	pid_t master;
	struct pid_name *names;     /* every process the master started */
	size_t n, cap;
	char buf[NAME_MAX_LEN + 1]; /* agent_name's answer from /proc */
	char why[256];
	struct report_kernel kern;
	struct run_hooks hooks;
	struct timeline *tl;        /* --timeline, or NULL */
};

static void on_spawned(void *arg, int pid, const char *name)
{
	struct run_trace *rt = arg;
	struct pid_name *v;

	if (rt->n == rt->cap) {
		size_t cap = rt->cap ? rt->cap * 2 : 256;

		v = realloc(rt->names, cap * sizeof(*v));
		if (!v)
			return; /* the fd report just shows no name for it */
		rt->names = v;
		rt->cap = cap;
	}
	rt->names[rt->n].pid = pid;
	snprintf(rt->names[rt->n].name, sizeof(rt->names[rt->n].name), "%s", name);
	rt->n++;
}

static const char *name_from_environ(struct run_trace *rt, pid_t pid);

static int known(const struct run_trace *rt, pid_t pid)
{
	size_t i;

	for (i = rt->n; i-- > 0;)
		if (rt->names[i].pid == pid)
			return 1;
	return pid == rt->master;
}

/* A process the master did not start (a hybrid worker, an agent's own
 * child) is named from its environment; do it while it lives if it is
 * growing its fd table, since a leaker's record outlives it. */
static void name_growers(struct run_trace *rt)
{
	struct fd_top top[32];
	const char *name;
	size_t n = 0, i;

	if (!(tracer_signals(rt->tr) & TRACE_FD) ||
	    tracer_fd_top(rt->tr, top, 32, &n))
		return;
	for (i = 0; i < n && top[i].p.now - top[i].p.base >= FD_SUSPECT_GROWTH; i++)
		if (!top[i].p.exit_ns && !known(rt, top[i].pid) &&
		    (name = name_from_environ(rt, top[i].pid)))
			on_spawned(rt, (int)top[i].pid, name);
}

static void on_tick(void *arg)
{
	struct run_trace *rt = arg;
	uint64_t now = now_ns(), fds, procs;

	tracer_poll(rt->tr, 0);
	/* the poll recounts every process's fds about once a second */
	if (rt->tl && !tracer_fd_tree(rt->tr, &fds, &procs))
		timeline_tree_fds(rt->tl, now, fds, procs);
	if (now - rt->last_names >= 1000000000ull) {
		rt->last_names = now;
		name_growers(rt);
	}
}

static int kernel_sample(void *arg, struct coord_kernel *k)
{
	struct run_trace *rt = arg;
	struct spawn_totals sp;
	struct flock_totals fl;
	struct lat_totals lt;

	memset(k, 0, sizeof(*k));
	k->signals = tracer_signals(rt->tr);
	k->ringbuf_drops = tracer_ringbuf_drops(rt->tr);
	if (!tracer_spawn_totals(rt->tr, &sp)) {
		memcpy(k->fork_exec_us, sp.fork_exec_us, sizeof(k->fork_exec_us));
		memcpy(k->exec_exit_us, sp.exec_exit_us, sizeof(k->exec_exit_us));
	}
	if (!tracer_flock_totals(rt->tr, &fl))
		memcpy(k->flock_wait_us, fl.wait_us, sizeof(k->flock_wait_us));
	if (!tracer_latency_totals(rt->tr, &lt))
		memcpy(k->write_read_us, lt.lat_us, sizeof(k->write_read_us));
	return 0;
}

static const char *agent_name(pid_t pid, void *arg);

/* swarm top: contended locks by total wait, then fd-growth suspects. */
static int top_sample(void *arg, struct top_snap *s)
{
	struct run_trace *rt = arg;
	struct flock_top lk[TOP_MAX_LOCKS];
	struct fd_top fd[TOP_MAX_FDS];
	size_t n = 0, i;

	tracer_poll(rt->tr, 0);
	if (!tracer_flock_top(rt->tr, lk, TOP_MAX_LOCKS, &n))
		for (i = 0; i < n && lk[i].st.wait_ns_total; i++) {
			struct top_lock *l = &s->locks[s->nlocks++];
			size_t pl = strlen(lk[i].path);

			l->wait_us = lk[i].st.wait_ns_total / 1000;
			l->max_us = lk[i].st.wait_ns_max / 1000;
			l->acquisitions = lk[i].st.acquisitions;
			/* Read while the BPF side counts: keep them coherent. */
			l->contended = lk[i].st.contended < l->acquisitions
				       ? lk[i].st.contended : l->acquisitions;
			snprintf(l->path, sizeof(l->path), "%s", pl >= sizeof(l->path)
				 ? lk[i].path + pl - (sizeof(l->path) - 1) : lk[i].path);
		}
	n = 0;
	if ((tracer_signals(rt->tr) & TRACE_FD) && !tracer_fd_top(rt->tr, fd, TOP_MAX_FDS, &n))
		for (i = 0; i < n && fd[i].p.now - fd[i].p.base >= FD_SUSPECT_GROWTH; i++) {
			struct top_fd *f = &s->fds[s->nfds++];
			const char *a = agent_name(fd[i].pid, rt);

			snprintf(f->agent, sizeof(f->agent), "%s", a && !name_valid(a) ? a : "-");
			f->pid = (int32_t)fd[i].pid;
			f->growth = (int64_t)(fd[i].p.now - fd[i].p.base);
			f->exited = fd[i].p.exit_ns != 0;
		}
	return 0;
}

/* SWARM_AGENT of a live process (agents' children inherit it). */
static const char *name_from_environ(struct run_trace *rt, pid_t pid)
{
	static const char key[] = "SWARM_AGENT=";
	char path[64], env[16384];
	ssize_t len;
	size_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	len = read_full(fd, env, sizeof(env) - 1);
	close(fd);
	if (len <= 0)
		return NULL;
	env[len] = '\0';
	while (off < (size_t)len) {
		const char *e = env + off;

		if (!strncmp(e, key, sizeof(key) - 1) &&
		    !name_valid(e + sizeof(key) - 1)) {
			snprintf(rt->buf, sizeof(rt->buf), "%s", e + sizeof(key) - 1);
			return rt->buf;
		}
		off += strlen(e) + 1;
	}
	return NULL;
}

static const char *agent_name(pid_t pid, void *arg)
{
	struct run_trace *rt = arg;
	size_t i;

	if (pid == rt->master)
		return "master";
	for (i = rt->n; i-- > 0;)  /* newest first: pids are reused */
		if (rt->names[i].pid == pid)
			return rt->names[i].name;
	return name_from_environ(rt, pid);
}

/* The tracer's object with "enabled" and "attach_s" put in front. */
static void emit_json(struct jsonw *w, void *arg)
{
	struct run_trace *rt = arg;

	jsonw_start_object(w);
	jsonw_bool_field(w, "enabled", true);
	jsonw_float_field(w, "attach_s", "%.3f", rt->attach_s);
	tracer_report_json(rt->tr, w);
	jsonw_end_object(w);
}

/* Short human section; the histograms are in --json and swarm-trace. */
static void emit_text(FILE *f, void *arg)
{
	struct run_trace *rt = arg;
	unsigned on = tracer_signals(rt->tr);
	struct spawn_totals sp;
	struct flock_totals fl;
	struct lat_totals lt;
	struct fd_top top[3];
	size_t n = 0, i;

	tracer_poll(rt->tr, 0);
	fprintf(f, "  kernel       traced: attach %.2f s, ring buffer drops %llu\n",
		rt->attach_s, (unsigned long long)tracer_ringbuf_drops(rt->tr));
	if ((on & TRACE_SPAWN) && !tracer_spawn_totals(rt->tr, &sp))
		fprintf(f, "    spawn      %llu forks, %llu execs, %llu exits; fork->exec "
			"p50 %.0f us, p99 %.0f us\n", (unsigned long long)sp.forks,
			(unsigned long long)sp.execs, (unsigned long long)sp.exits,
			hist_percentile(sp.fork_exec_us, HIST_SLOTS, 0.5),
			hist_percentile(sp.fork_exec_us, HIST_SLOTS, 0.99));
	if ((on & TRACE_FLOCK) && !tracer_flock_totals(rt->tr, &fl))
		fprintf(f, "    flock      %llu calls; wait p50 %.0f us, p99 %.0f us\n",
			(unsigned long long)fl.calls,
			hist_percentile(fl.wait_us, HIST_SLOTS, 0.5),
			hist_percentile(fl.wait_us, HIST_SLOTS, 0.99));
	if ((on & TRACE_FD) && !tracer_fd_top(rt->tr, top, 3, &n)) {
		for (i = 0; i < n && top[i].p.now - top[i].p.base >= FD_SUSPECT_GROWTH; i++) {
			const char *a = agent_name(top[i].pid, rt);

			fprintf(f, "    fd         suspect %s (pid %d, %.16s) %s %lld fds\n",
				a ? a : "?", (int)top[i].pid, top[i].p.comm,
				top[i].p.exit_ns ? "exited holding" : "grew by",
				(long long)(top[i].p.now - top[i].p.base));
		}
		if (!i)
			fputs("    fd         no process grew its fd table\n", f);
	}
	if ((on & TRACE_LATENCY) && !tracer_latency_totals(rt->tr, &lt))
		fprintf(f, "    latency    publish->consume p50 %.0f us, p95 %.0f us, p99 %.0f us "
			"(%llu samples)\n", hist_percentile(lt.lat_us, HIST_SLOTS, 0.5),
			hist_percentile(lt.lat_us, HIST_SLOTS, 0.95),
			hist_percentile(lt.lat_us, HIST_SLOTS, 0.99),
			(unsigned long long)lt.samples);
}

static void tl_exit(const struct spawn_exit_event *e, void *arg)
{
	timeline_kernel_exit(arg, e);
}

static void tl_lock(const struct flock_wait_event *e, void *arg)
{
	timeline_lock_wait(arg, e);
}

int run_trace_start(struct run_trace **out, const char *off, int agent_depth,
		    struct timeline *tl, FILE *err)
{
	struct tracer_opts o = { .signals = TRACE_ALL, .agent_depth = agent_depth,
				 .detach_background = 1, .lazy_fd_truth = 1 };
	struct run_trace *rt;
	uint64_t t0;
	int r;

	*out = NULL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	rt->master = getpid();
	if (off) {
		rt->kern.off_reason = off;
		*out = rt;
		return 0;
	}
	o.agent_name = agent_name;
	o.agent_arg = rt;
	rt->tl = tl;
	if (tl) {
		o.on_exit = tl_exit;
		o.on_lock_wait = tl_lock;
		o.lock_event_min_ns = TL_LOCK_MIN_NS;
		o.event_arg = tl;
	}
	t0 = now_ns();
	r = tracer_open(&rt->tr, rt->master, &o, rt->why, sizeof(rt->why));
	rt->attach_s = (double)(now_ns() - t0) / 1e9;
	if (r < 0 && !rt->why[0])
		snprintf(rt->why, sizeof(rt->why), "kernel tracing off: %s", strerror(-r));
	if (rt->why[0])
		fprintf(err, "swarm: %s\n", rt->why);
	if (r < 0) {
		rt->kern.off_reason = rt->why;
		*out = rt;
		return 0;
	}
	rt->kern.json = emit_json;
	rt->kern.emit_text = emit_text;
	rt->kern.arg = rt;
	rt->hooks.spawned = on_spawned;
	rt->hooks.tick = on_tick;
	rt->hooks.kernel_sample = kernel_sample;
	rt->hooks.top_sample = top_sample;
	rt->hooks.event_fd = tracer_event_fd(rt->tr);
	rt->hooks.arg = rt;
	*out = rt;
	return 0;
}

const struct report_kernel *run_trace_kernel(struct run_trace *rt)
{
	return &rt->kern;
}

const struct run_hooks *run_trace_hooks(struct run_trace *rt)
{
	return rt && rt->tr ? &rt->hooks : NULL;
}

void run_trace_drain(struct run_trace *rt)
{
	if (rt && rt->tr)
		tracer_poll(rt->tr, 0);
}

void run_trace_stop(struct run_trace *rt)
{
	if (!rt)
		return;
	tracer_close(rt->tr);
	free(rt->names);
	free(rt);
}
