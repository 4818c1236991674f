/* `swarm coordinator --join nats://...`: a coordinator on any host. Tasks
 * come from the swarm's JetStream stream (nats_mesh.h), go to W local
 * workers over a private /dev/shm bus of this host (the same worker pool
 * as a one-host coordinator), and every outcome goes back as a result
 * published before its task is acked. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "coord_nats.h"
#include "coord_node_loop.h"
#include "coord_pool.h"
#include "coord_sys.h"
#include "json.h"
#include "nats_mesh.h"
#include "report.h"
#include "run_logs.h"
#include "setup_step.h"
#include "spawn_process.h"
#include "swarm.h"

/* A pool task that remembers its NATS delivery (task must stay first:
 * the pool hands back the struct task pointer). */
struct ntask {
	struct task t;
	struct nm_task *nt;
	struct ntask *next;
};

struct nnode {
	const struct nats_node_opts *o;
	struct nm_coord *nc;
	struct bus *bus;
	struct inbox *self;
	struct node_loop loop;
	int notify_fd, logs_fd;
	int ev_nats, ev_hook;         /* epoll tags */
	uint64_t last_tick;           /* the tracer's once a second */
	struct ntask *tasks;          /* every task taken, freed at exit */
	int ended, paused;
	unsigned want;                /* tasks we may hold when not paused */
	char prefix[NAME_MAX_LEN + 1];
	char logs[PATH_MAX];
	char cmd[PATH_MAX];
	char **argv;
};

static void node_done(void *arg, struct task *t, const char *out, size_t len)
{
	struct nnode *n = arg;
	struct ntask *nt = (struct ntask *)t;
	struct nm_result r = {
		.status = t->status, .exit_code = t->exit_code,
		.dur_us = t->t_end_ns > t->t_start_ns ? (t->t_end_ns - t->t_start_ns) / 1000 : 0,
		.lat_us = t->latency_ns / 1000,
		.agent = t->agent, .reason = t->reason, .out = out, .out_len = len,
	};

	if (!nt->nt)
		return;
	/* Stopped by us, not failed by the agent: another coordinator
	 * should run it, now. */
	if (t->status == TS_INTERRUPTED)
		nm_coord_release(n->nc, nt->nt);
	else
		nm_coord_done(n->nc, nt->nt, &r);
	nt->nt = NULL;
}

static void take_tasks(struct nnode *n)
{
	struct nm_task *mt;
	struct ntask *nt;
	uint64_t junk;

	/* Re-arm the eventfd; EAGAIN just means nothing was signalled. */
	if (read(nm_coord_fd(n->nc), &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		return;
	while (nm_coord_take(n->nc, &mt) == 1) {
		nt = calloc(1, sizeof(*nt) + mt->len + 1);
		if (!nt) {
			nm_coord_release(n->nc, mt);
			continue;
		}
		nt->nt = mt;
		nt->t.id = mt->task;
		nt->t.len = mt->len;
		nt->t.text = (char *)(nt + 1);
		memcpy(nt->t.text, mt->text, mt->len);
		nt->t.owner = -1;
		nt->t.attempts = mt->attempt;
		nt->next = n->tasks;
		n->tasks = nt;
		if (pool_add(n->loop.pool, &nt->t)) {
			nm_coord_release(n->nc, mt);
			nt->nt = NULL;
		}
	}
	if (nm_coord_link(n->nc) == NM_LINK_ENDED && !n->ended) {
		n->ended = 1;
		pool_no_more(n->loop.pool);
	}
}

static void drain_inbox(struct nnode *n)
{
	struct bus_msg m;
	uint64_t junk;

	if (read(n->notify_fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		return;
	while (inbox_next(n->self, &m) == 1)
		pool_on_msg(n->loop.pool, &m);   /* only our workers write here */
	inbox_commit(n->self);
}

static void node_drain(void *arg)
{
	drain_inbox(arg);
}

/* The same checks as swarm run's logs directory (run_logs.h): the default
 * name is predictable, so one made first by another user, or a symlink
 * planted there, is refused rather than written into. */
static int open_logs(struct nnode *n)
{
	char leaf[NAME_MAX + 1];
	int l = snprintf(leaf, sizeof(leaf), "swarm-%s-%s", n->o->swarm, n->o->name);

	if (l < 0 || (size_t)l >= sizeof(leaf))
		return -ENAMETOOLONG;
	return run_logs_open(n->o->logs_dir, leaf, n->logs, sizeof(n->logs),
			     &n->logs_fd);
}

static int setup_local(struct nnode *n, enum setup_step *step)
{
	const struct nats_node_opts *o = n->o;
	size_t i = 0;
	int err;

	*step = STEP_COMMAND;
	if ((err = spawn_resolve(o->w.argv[0], n->cmd, sizeof(n->cmd))))
		return err;
	while (o->w.argv[i])
		i++;
	n->argv = calloc(i + 1, sizeof(char *));
	if (!n->argv)
		return -ENOMEM;
	memcpy(n->argv, o->w.argv, i * sizeof(char *));
	n->argv[0] = n->cmd;
	*step = STEP_BUS;
	if ((err = bus_create(NULL, o->bus_id, NULL, &n->bus)))
		return err;
	bus_hold(n->bus);      /* for swarm gc; best effort, like the master */
	if ((err = inbox_open(n->bus, o->name, &n->self)) ||
	    (err = inbox_reader_begin(n->self)))
		return err;
	n->notify_fd = inbox_notify_fd(n->self);
	if (n->notify_fd < 0)
		return n->notify_fd;
	*step = STEP_LOGS;
	return open_logs(n);
}

static int setup_loop(struct nnode *n, enum setup_step *step)
{
	const struct nats_node_opts *o = n->o;
	struct node_workers w = o->w;
	struct pool_cfg c;
	int err;

	*step = STEP_LOOP;
	if ((err = node_loop_open(&n->loop, n->notify_fd)) ||
	    (err = node_loop_add(&n->loop, nm_coord_fd(n->nc), &n->ev_nats)))
		return err;
	if (o->hooks && o->hooks->event_fd > 0 &&
	    (err = node_loop_add(&n->loop, o->hooks->event_fd, &n->ev_hook)))
		return err;
	w.argv = n->argv;
	node_pool_cfg(&c, &w, n->bus, n->self, o->name, n->prefix,
		      sizeof(n->prefix), n->logs_fd);
	c.on_done = node_done;
	c.drain = node_drain;
	c.arg = n;
	*step = STEP_POOL;
	err = node_loop_pool(&n->loop, &c);
	return err;
}

static void drop_local(struct nnode *n)
{
	if (n->loop.pool)
		pool_free(n->loop.pool);
	n->loop.pool = NULL;
	if (n->self)
		inbox_close(n->self);
	n->self = NULL;
	bus_destroy(n->bus);
	n->bus = NULL;
}

/* The tracer: when its ring buffer has events, and once a second. */
static void tick_hooks(struct nnode *n)
{
	const struct run_hooks *h = n->o->hooks;

	n->last_tick = now_ns();
	if (h && h->tick)
		h->tick(h->arg);
}

/* This host's kernel section for the master's report, once the workers
 * are gone (their exits counted). Best effort: a run without it is only
 * less explained. */
static void kernel_fn(struct jsonw *w, void *arg)
{
	report_kernel_value(w, arg);
}

static void send_kernel(struct nnode *n)
{
	char *json;
	size_t len;
	int err;

	if (!n->o->kernel)
		return;
	tick_hooks(n);
	err = jsonw_render(kernel_fn, (void *)n->o->kernel, &json, &len);
	if (!err)
		err = nm_coord_send_kernel(n->nc, json, len);
	if (err)
		fprintf(stderr, "swarm: coordinator %s: kernel summary not sent: %s\n",
			n->o->name, nm_strerror(err));
	free(json);
}

/* The master's pause / resume (swarm pause): the workers stop, no task
 * is taken or started; this process keeps its heartbeat and its tasks'
 * leases, so nobody takes it for dead and no task is redelivered. */
static void follow_pause(struct nnode *n)
{
	int p = nm_coord_paused(n->nc);

	if (p == n->paused)
		return;
	n->paused = p;
	nm_coord_want(n->nc, p ? 0 : n->want);
	pool_signal(n->loop.pool, p ? SIGSTOP : SIGCONT);
	if (!p)
		pool_touch(n->loop.pool);   /* frozen time is not silence */
	fprintf(stderr, "swarm: coordinator %s %s\n", n->o->name,
		p ? "paused" : "resumed");
}

static void node_poll(void *arg)
{
	drain_inbox(arg);
	take_tasks(arg);
}

static void node_event(void *arg, int *tag)
{
	struct nnode *n = arg;

	if (tag == &n->ev_hook)
		tick_hooks(n);
}

/* Once a round: the tracer's tick, the master's pause, the end. Holds
 * the workers while paused. */
static int node_after(void *arg)
{
	struct nnode *n = arg;

	if (now_ns() - n->last_tick >= 1000000000ull)
		tick_hooks(n);
	follow_pause(n);
	if (n->ended && pool_pending(n->loop.pool)) {
		/* The master has every outcome: what still runs here is a
		 * redelivered copy nobody waits for. */
		if (n->paused)
			pool_signal(n->loop.pool, SIGCONT);
		n->paused = 0;
		pool_abort(n->loop.pool, TS_INTERRUPTED, "end of the swarm");
	}
	return n->paused;
}

static int node_ended(void *arg)
{
	return ((struct nnode *)arg)->ended;
}

static void run(struct nnode *n)
{
	const struct node_transport t = {
		.poll = node_poll, .on_event = node_event, .after = node_after,
		.ended = node_ended, .arg = n,
	};
	const struct node_workers *w = &n->o->w;

	/* Hold as many tasks as we have workers: the rest stay in the
	 * stream for other coordinators. */
	n->want = w->max_parallel && w->max_parallel < w->workers ?
		  w->max_parallel : w->workers;
	nm_coord_want(n->nc, n->want);
	node_loop_run(&n->loop, &t);
}

int coord_nats_node(const struct nats_node_opts *o)
{
	struct nm_cfg cfg = {
		.url = o->url, .swarm = o->swarm, .name = o->name,
		.connect_ns = (uint64_t)(o->connect_s * 1e9),
	};
	enum setup_step step = STEP_NATS_CONNECT;
	struct nnode n;
	struct ntask *t;
	int err, code = EXIT_OK;

	memset(&n, 0, sizeof(n));
	n.o = o;
	n.loop.epfd = n.loop.sigfd = -1;
	n.notify_fd = n.logs_fd = -1;
	/* Blocked before any thread starts (libnats', the bus notifier), so
	 * only the signalfd sees them; workers get an empty mask back. */
	coord_block_signals();
	err = setup_local(&n, &step);
	if (!err) {
		step = STEP_NATS_JOIN;
		err = nm_coord_open(&cfg, &n.nc);
	}
	if (!err)
		err = setup_loop(&n, &step);
	if (err == -EINTR && nm_stop_pending()) {
		/* Stopped before the swarm was there: nothing taken, nothing
		 * to hand back. */
		fprintf(stderr, "swarm: coordinator %s: stopped while waiting for "
			"swarm %s\n", o->name, o->swarm);
		code = 128 + nm_stop_pending();
		goto out;
	}
	if (err) {
		if (step == STEP_LOGS && err == -EPERM)
			fprintf(stderr, "swarm: coordinator %s: opening the log directory "
				"%s failed: it exists and is not ours alone, or is a "
				"symlink\n", o->name, n.logs);
		else
			fprintf(stderr, "swarm: coordinator %s: %s failed: %s\n", o->name,
				setup_step_text(step),
				err == -ENOTSUP || setup_step_is_nats(step)
					? nm_strerror(err) : bus_strerror(err));
		code = err == -ENOTSUP ? EXIT_ENV : setup_step_exit(step, err);
		goto out;
	}
	fprintf(stderr, "swarm: coordinator %s joined swarm %s at %s with %u workers\n",
		o->name, o->swarm, o->url, o->w.workers);
	run(&n);
	if (n.loop.stop_sig) {
		/* Leaving early: hand back what runs here, so the others get
		 * it now, not after AckWait. The local side goes first: with
		 * the server gone, stopping the fetch thread (quiesce) can
		 * wait seconds on NATS, and whoever sent the signal may not
		 * wait that long before SIGKILL. Tasks fetched meanwhile are
		 * handed back by quiesce. */
		pool_abort(n.loop.pool, TS_INTERRUPTED, "interrupt");
		pool_shutdown(n.loop.pool, 0);
		drop_local(&n);
		nm_coord_quiesce(n.nc);
		code = 128 + n.loop.stop_sig;
	} else {
		pool_shutdown(n.loop.pool, COORD_STOP_GRACE_MS);
	}
	send_kernel(&n);
	/* The workers are gone: drop the local bus now, before the NATS
	 * waits below, which can last seconds with the server gone; a kill
	 * during them then leaves nothing in /dev/shm. */
	drop_local(&n);
	/* Results handed over are stored before we go (bounded wait). */
	nm_coord_flush(n.nc, 5000);
out:
	drop_local(&n);
	nm_coord_close(n.nc);     /* gives back whatever is left unfinished */
	while ((t = n.tasks)) {
		n.tasks = t->next;
		free(t);
	}
	if (n.logs_fd >= 0)
		close(n.logs_fd);
	node_loop_close(&n.loop);
	free(n.argv);
	return code;
}
