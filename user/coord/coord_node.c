/* `swarm coordinator`: one node of the hybrid mesh. Takes tasks from the
 * master (or a peer), serves them to its W workers through a pool,
 * forwards every outcome to the master, exits after the master's STOP
 * once nothing is left.
 *
 * Crash safety: a worker's answer is committed (removed from our inbox)
 * only after its result was forwarded, and the journal line naming a
 * worker's next task is written only after that commit. So if we die,
 * every answer not yet forwarded is still in our inbox and belongs to the
 * last journal line of its worker: the master salvages it from there. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord.h"
#include "coord_node_loop.h"
#include "coord_pool.h"
#include "coord_proto.h"
#include "coord_sys.h"
#include "fault.h"
#include "run_timeline.h"
#include "swarm.h"

struct node {
	const struct node_opts *o;
	struct bus *bus;
	struct inbox *self, *parent;
	struct node_loop loop;
	int notify_fd, journal_fd, logs_fd;
	int procs_fd;               /* logs/cK.procs: workers' pids, for --timeline */
	struct task **tasks;
	size_t ntasks, cap;
	int stop_seen;
	uint64_t sent;
	unsigned fds_peak;
	uint64_t last_sample;
	char prefix[NAME_MAX_LEN + 1];
	char *buf;
};

static void send_parent(struct node *n, uint32_t type, const void *data,
			size_t len)
{
	struct bus_out o = { .data = data, .len = (uint32_t)len, .type = type };
	int err;

	while ((err = inbox_send(n->parent, n->self, &o)) == -ENOBUFS)
		inbox_wait_space(n->parent, len, 100);
	if (!err)
		n->sent++;
}

/* The master cannot see our workers start or end (they are not its
 * children): one line each in cK.procs, read after the run for a
 * --timeline (user/run/run_timeline_procs.c). One small O_APPEND write next
 * to a spawn of ~1 ms. */
static void procs_log(struct node *n, int spawned, pid_t pid, const char *name, int ws)
{
	char line[NAME_MAX_LEN + 64];
	int len = timeline_procs_line(line, sizeof(line), spawned, pid, now_ns(), name, ws);

	if (n->procs_fd >= 0 && len > 0 && write_full(n->procs_fd, line, (size_t)len)) {
		close(n->procs_fd);   /* full disk: the timeline just lacks pids */
		n->procs_fd = -1;
	}
}

static void node_spawned(void *arg, pid_t pid, const char *name)
{
	procs_log(arg, 1, pid, name, 0);
}

static void node_reaped(void *arg, pid_t pid, int wstatus)
{
	procs_log(arg, 0, pid, NULL, wstatus);
}

static void node_done(void *arg, struct task *t, const char *out, size_t len)
{
	struct node *n = arg;
	struct proto_result r = {
		.id = t->id, .status = t->status, .exit_code = t->exit_code,
		.dur_us = (t->t_end_ns - t->t_start_ns) / 1000,
		.lat_us = t->latency_ns / 1000, .out = out,
		.out_len = (uint32_t)len,
	};
	int l;

	snprintf(r.agent, sizeof(r.agent), "%s", t->agent);
	snprintf(r.reason, sizeof(r.reason), "%s", t->reason);
	l = proto_result_encode(n->buf, TASK_OUTPUT_MAX + 512, &r);
	if (l < 0)
		return;
	/* Dying here: the answer is still in our inbox, salvaged. */
	FAULT_POINT("coord-result");
	send_parent(n, MSG_RESULT, n->buf, (size_t)l);
	/* Dying here: forwarded and salvaged, counted once (a duplicate). */
	FAULT_POINT("coord-forward");
	/* Forwarded: now the answer may leave our inbox (see top). */
	inbox_commit(n->self);
}

static void node_hung(void *arg, struct task *t)
{
	struct node *n = arg;
	char buf[128];
	int l = proto_hung_encode(buf, sizeof(buf), t->id, t->agent);

	if (l > 0)
		send_parent(n, MSG_CONTROL, buf, (size_t)l);
}

static int add_task(struct node *n, const struct bus_msg *m)
{
	const char *text;
	size_t len;
	uint32_t id;
	struct task *t;

	if (proto_task_decode(m->data, m->len, &id, &text, &len))
		return -EBADMSG;
	if (n->ntasks == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 64;
		struct task **nt = realloc(n->tasks, cap * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		n->tasks = nt;
		n->cap = cap;
	}
	t = calloc(1, sizeof(*t) + len + 1);
	if (!t)
		return -ENOMEM;
	t->id = id;
	t->len = (uint32_t)len;
	t->text = (char *)(t + 1);
	memcpy(t->text, text, len);
	t->owner = -1;
	n->tasks[n->ntasks++] = t;
	return pool_add(n->loop.pool, t);
}

static int from_boss(struct node *n, const char *from)
{
	/* The master, or a peer coordinator of the mesh handing work over. */
	return !strcmp(from, n->o->parent) ||
	       (from[0] == 'c' && !strchr(from, '-') && !name_valid(from));
}

static void drain(struct node *n)
{
	struct bus_msg m;
	uint64_t junk;

	if (read(n->notify_fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		return;
	while (inbox_next(n->self, &m) == 1) {
		if (pool_on_msg(n->loop.pool, &m))
			continue;
		if (!from_boss(n, m.from))
			continue;
		if (m.type == MSG_TASK)
			add_task(n, &m);
		else if (m.type == MSG_STOP)
			n->stop_seen = 1;
	}
	inbox_commit(n->self);
	if (n->stop_seen)
		pool_no_more(n->loop.pool);
}

static void node_drain(void *arg)
{
	drain(arg);
}

static int setup(struct node *n)
{
	const struct node_opts *o = n->o;
	char file[NAME_MAX_LEN + 16];
	struct pool_cfg c;
	int err, lfd;

	/* Before the bus starts its notify thread (see coord_run). */
	coord_block_signals();
	if ((err = bus_open(o->dir, &n->bus)) ||
	    (err = inbox_open(n->bus, o->name, &n->self)) ||
	    (err = inbox_reader_begin(n->self)) ||
	    (err = inbox_open(n->bus, o->parent, &n->parent)))
		return err;
	n->notify_fd = inbox_notify_fd(n->self);
	if (n->notify_fd < 0)
		return n->notify_fd;
	lfd = open(o->logs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0)
		return -errno;
	n->logs_fd = lfd;   /* closed by coord_node */
	snprintf(file, sizeof(file), "%s.journal", o->name);
	n->journal_fd = openat(lfd, file, O_WRONLY | O_CREAT | O_APPEND |
			       O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (n->journal_fd < 0)
		return -errno;
	snprintf(file, sizeof(file), "%s.procs", o->name);
	n->procs_fd = openat(lfd, file, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC |
			     O_CLOEXEC | O_NOFOLLOW, 0600);   /* -1: no timeline pids */
	if ((err = node_loop_open(&n->loop, n->notify_fd)))
		return err;
	n->buf = malloc(TASK_OUTPUT_MAX + 512);
	if (!n->buf)
		return -ENOMEM;
	node_pool_cfg(&c, &o->w, n->bus, n->self, o->name, n->prefix,
		      sizeof(n->prefix), lfd);
	/* Many coordinators share the CPUs: smaller bursts keep each one
	 * answering while it spawns. */
	c.spawn_burst = 8;
	c.journal_fd = n->journal_fd;
	c.on_done = node_done;
	c.on_hung = node_hung;
	c.on_spawn = node_spawned;
	c.on_exit = node_reaped;
	c.drain = node_drain;
	c.arg = n;
	err = node_loop_pool(&n->loop, &c);
	return err;
}

static void sample(struct node *n, int force)
{
	uint64_t now = now_ns();
	unsigned fds;

	if (!force && now - n->last_sample < 100000000ull)
		return;
	n->last_sample = now;
	fds = proc_fd_count();
	if (fds > n->fds_peak)
		n->fds_peak = fds;
}

/* The master's STOP came: no more tasks. */
static int node_ended(void *arg)
{
	return ((struct node *)arg)->stop_seen;
}

static int node_after(void *arg)
{
	sample(arg, 0);
	return 0;
}

static void run(struct node *n)
{
	const struct node_transport t = {
		.poll = node_drain, .after = node_after, .ended = node_ended, .arg = n,
	};

	node_loop_run(&n->loop, &t);
}

static void send_stats(struct node *n)
{
	struct pool_stats ps;
	struct proto_stats st;
	char buf[256];
	int l;

	pool_get_stats(n->loop.pool, &ps);
	sample(n, 1);
	st.spawned = ps.agents;
	st.spawn_end_wall_ns = ps.spawn_last_ns
		? wall_ns() - (now_ns() - ps.spawn_last_ns) : 0;
	st.msgs = n->sent + ps.msgs_sent + ps.msgs_recv;
	st.fds_peak = n->fds_peak;
	st.rss_kb = proc_rss_peak_kb();
	st.agents_rss_kb = proc_children_rss_peak_kb();
	l = proto_stats_encode(buf, sizeof(buf), &st);
	if (l > 0)
		send_parent(n, MSG_CONTROL, buf, (size_t)l);
}

int coord_node(const struct node_opts *o)
{
	struct node n;
	size_t i;
	int err, code = EXIT_OK;

	memset(&n, 0, sizeof(n));
	n.o = o;
	n.loop.epfd = n.loop.sigfd = -1;
	n.notify_fd = n.journal_fd = n.logs_fd = n.procs_fd = -1;
	err = setup(&n);
	if (err) {
		fprintf(stderr, "swarm: coordinator %s: setup failed: %s\n", o->name,
			bus_strerror(err));
		code = EXIT_ENV;
		goto out;
	}
	run(&n);
	if (n.loop.stop_sig) {
		/* The master is tearing the swarm down: no grace. */
		pool_abort(n.loop.pool, TS_INTERRUPTED, "interrupt");
		pool_shutdown(n.loop.pool, 0);
		code = 128 + n.loop.stop_sig;
		goto out;
	}
	pool_shutdown(n.loop.pool, COORD_STOP_GRACE_MS);
	send_stats(&n);
out:
	if (n.loop.pool)
		pool_free(n.loop.pool);
	for (i = 0; i < n.ntasks; i++)
		free(n.tasks[i]);
	free(n.tasks);
	free(n.buf);
	if (n.parent)
		inbox_close(n.parent);
	if (n.self)
		inbox_close(n.self);
	if (n.bus)
		bus_close(n.bus);
	if (n.journal_fd >= 0)
		close(n.journal_fd);
	if (n.procs_fd >= 0)
		close(n.procs_fd);
	if (n.logs_fd >= 0)
		close(n.logs_fd);
	node_loop_close(&n.loop);
	return code;
}
