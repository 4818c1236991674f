/* `swarm run --topology hybrid --bus nats://...`: the third topology of
 * the one master (coord_master.c), whose coordinators may sit on any
 * host. Tasks go into the swarm's JetStream stream; C coordinators are
 * started here (`swarm coordinator --join`), any number more can join
 * from other hosts; results come back through the stream, counted once
 * per task (nats_ledger.h), read by the pump thread (nats_pump.h).
 *
 * Everything else is the master's, as on one host: the /dev/shm bus for
 * swarm status / pause / resume / top, the metrics, the swarm's cgroup
 * (a cgroup per local coordinator), outcomes, the report. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "coord_master.h"
#include "coord_nats.h"
#include "json.h"
#include "nats_mesh.h"
#include "nats_pump.h"
#include "spawn_process.h"
#include "top.h"

#define HIST_LEN 256
/* After SIGTERM: long enough for a coordinator to drop its bus, short
 * enough that a run whose server is gone still ends promptly. */
#define COORD_TERM_WAIT_MS 1500
#define NOTICE_EVERY_NS    1000000000ull  /* "pause" again, for late joiners */
#define HEARD_NS           3000000000ull  /* a member heard this recently is up */
/* After the end notice: how long the report waits for the kernel
 * summaries of the coordinators on other hosts (they stop their workers
 * first: COORD_STOP_GRACE_MS at most). */
#define KERNEL_WAIT_MS     (COORD_STOP_GRACE_MS + 1000)

struct lcoord {                     /* a coordinator started here */
	int ev_kind;                /* EV_COORD: must stay first */
	unsigned idx, gen;
	char name[NAME_MAX_LEN + 1];
	char bus_id[NAME_MAX_LEN + 1];  /* its private bus, removed if it dies */
	pid_t pid;
	int pidfd;
	struct swarm_cgroup cg;
};

struct member {                     /* any coordinator heard of */
	char name[NAME_MAX_LEN + 1];
	char host[NAME_MAX_LEN + 1];
	int pid;
	unsigned workers, restarts;
	uint64_t done, held, last_ns;
	int lost;                   /* declared dead, not heard since */
	char *kernel;               /* its host's kernel section (JSON) */
	size_t kernel_len;
};

struct nats_master {
	const struct nats_run_opts *no;
	struct nm_master *nm;
	struct nats_pump *pump;
	int ev_nats;
	char swarm[NAME_MAX_LEN + 1];
	struct lcoord *lc;
	unsigned nlc;
	struct member *mem;
	size_t nmem;
	uint64_t last_notice;
};

/* The report's "nats" section, rendered before the connection closes
 * (the report is printed after coord_run returns). */
struct nats_section {
	struct report_kernel k;
	char *json, *text;
	size_t json_len;
};

static struct member *member_find(struct nats_master *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->nmem; i++)
		if (!strcmp(n->mem[i].name, name))
			return &n->mem[i];
	return NULL;
}

/* The member of that name, made if new (NULL only without memory). */
static struct member *member(struct nats_master *n, const char *name)
{
	struct member *v = member_find(n, name);

	if (v)
		return v;
	v = realloc(n->mem, (n->nmem + 1) * sizeof(*v));
	if (!v)
		return NULL;
	n->mem = v;
	v = &n->mem[n->nmem++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	return v;
}

static int heard(const struct member *mb, uint64_t now)
{
	return !mb->lost && mb->last_ns && now - mb->last_ns < HEARD_NS;
}

static struct lcoord *local_by_name(struct nats_master *n, const char *name)
{
	unsigned i;

	for (i = 0; i < n->nlc; i++)
		if (!strcmp(n->lc[i].name, name))
			return &n->lc[i];
	return NULL;
}

static int spawn_local(struct master *m, struct lcoord *c)
{
	struct nats_master *n = m->nats;
	/* Its tree is ours: our tracer sees it, it need not trace. */
	const char *transport[] = { "--join", n->no->url, "--swarm", n->swarm,
				    "--bus-id", c->bus_id, "--no-trace", NULL };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	struct member *mb;
	struct spawned sp;
	int err;

	if (c->gen)
		snprintf(c->name, sizeof(c->name), "c%ur%u", c->idx + 1, c->gen);
	else
		snprintf(c->name, sizeof(c->name), "c%u", c->idx + 1);
	/* Unique on this host while the swarm's own bus is. */
	snprintf(c->bus_id, sizeof(c->bus_id), "%.48s-%.15s", n->swarm, c->name);
	err = master_spawn_coord(m, c->name, transport, 0, &c->cg, &sp);
	if (err)
		return err;
	c->pid = sp.pid;
	c->pidfd = sp.pidfd;
	epoll_ctl(m->epfd, EPOLL_CTL_ADD, c->pidfd, &ev);
	mb = member(n, c->name);
	if (mb) {
		mb->pid = c->pid;
		mb->workers = m->o->workers;
		mb->restarts = c->gen;
	}
	return 0;
}

static int publish(struct master *m)
{
	struct nats_master *n = m->nats;
	struct nm_cfg cfg = {
		.url = n->no->url, .swarm = n->swarm, .name = "master",
		.ack_wait_ns = (uint64_t)(n->no->ack_wait_s * 1e9),
		.max_deliver = n->no->max_deliver,
		.connect_ns = (uint64_t)((m->o->timeout_s < 10 ? m->o->timeout_s : 10) * 1e9),
	};
	uint32_t i;
	int err;

	*m->step = STEP_NATS_SWARM;
	if ((err = nm_master_open(&cfg, (uint32_t)m->tl.n, &n->nm))) {
		snprintf(m->rep->error, sizeof(m->rep->error), "%s at %s: %s",
			 setup_step_text(*m->step), n->no->url, nm_strerror(err));
		return err;
	}
	*m->step = STEP_NATS_PUBLISH;
	for (i = 0; i < m->tl.n && !err; i++)
		err = nm_master_publish(n->nm, i, m->tl.v[i].text, m->tl.v[i].len);
	if (!err)
		err = nm_master_publish_wait(n->nm, m->deadline);
	if (err)
		snprintf(m->rep->error, sizeof(m->rep->error), "%s: %s",
			 setup_step_text(*m->step), nm_strerror(err));
	return err;
}

static int nats_start(struct master *m)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct nats_master *n;
	unsigned i;
	int err;

	n = m->nats = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->no = m->o->nats;
	n->ev_nats = EV_TOPO;
	/* One name for the swarm everywhere: its stream, its bus here (so
	 * `swarm status ID` finds it), the coordinators' --swarm. */
	snprintf(n->swarm, sizeof(n->swarm), "%s", bus_id(m->bus));
	n->lc = calloc(m->o->coordinators ? m->o->coordinators : 1, sizeof(*n->lc));
	if (!n->lc)
		return -ENOMEM;
	if ((err = publish(m)))
		return err;
	*m->step = STEP_LOOP;
	if ((err = nats_pump_start(n->nm, &n->pump)))
		return err;
	ev.data.ptr = &n->ev_nats;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, nats_pump_fd(n->pump), &ev) < 0)
		return -errno;
	fprintf(stderr, "swarm: swarm %s on %s; other hosts join with: swarm coordinator "
		"--join %s --swarm %s --workers W -- CMD\n", n->swarm, n->no->url,
		n->no->url, n->swarm);
	*m->step = STEP_COORDS;
	for (i = 0; i < m->o->coordinators; i++) {
		n->lc[i].ev_kind = EV_COORD;
		n->lc[i].idx = i;
		n->lc[i].pidfd = -1;
		n->lc[i].cg.dirfd = -1;
		n->nlc++;
		if ((err = spawn_local(m, &n->lc[i])))
			return err;
	}
	*m->step = STEP_AGENTS;
	return 0;
}

static void on_result(struct master *m, const struct nm_event *ev)
{
	struct task *t = &m->tl.v[ev->task];
	uint64_t now = now_ns();

	t->state = TASK_DONE;
	t->status = (uint8_t)ev->status;
	t->exit_code = ev->exit_code;
	t->attempts = ev->attempt;
	t->t_end_ns = now;
	t->t_start_ns = now - ev->dur_us * 1000;
	snprintf(t->agent, sizeof(t->agent), "%s", ev->agent[0] ? ev->agent : ev->coord);
	snprintf(t->reason, sizeof(t->reason), "%s", ev->reason);
	t->latency_ns = ev->lat_us * 1000;
	/* The same figure as a one-host hybrid run: answer -> coordinator. */
	if (ev->lat_us && (t->status == TS_OK || t->status == TS_FAILED) &&
	    !(m->flags[t->id] & TF_RECORDED))
		lat_add(&m->lat, ev->lat_us);
	master_task_done(m, t, ev->out, ev->out_len);
}

static void on_failed(struct master *m, uint32_t task, const char *why)
{
	struct task *t = &m->tl.v[task];

	t->state = TASK_DONE;
	t->status = TS_LOST;
	t->t_end_ns = now_ns();
	snprintf(t->agent, sizeof(t->agent), "-");
	snprintf(t->reason, sizeof(t->reason), "%.*s", (int)sizeof(t->reason) - 1, why);
	master_task_done(m, t, NULL, 0);
}

static void on_heartbeat(struct master *m, const struct nm_event *ev)
{
	struct member *mb = member(m->nats, ev->coord);

	if (ev->hb_returned)
		fprintf(stderr, "swarm: coordinator %s is back; what it finished "
			"meanwhile counts once\n", ev->coord);
	if (!mb)
		return;
	mb->pid = ev->hb_pid;
	mb->workers = ev->hb_want;
	mb->done = ev->hb_done;
	mb->held = ev->hb_held;
	mb->last_ns = now_ns();
	mb->lost = 0;
	snprintf(mb->host, sizeof(mb->host), "%s", ev->hb_host);
}

static void handle(struct master *m, const struct pump_ev *e)
{
	const struct nm_event *ev = &e->ev;
	struct member *mb;

	m->msgs++;
	switch (ev->kind) {
	case NM_EV_RESULT:
		if (ev->task < m->tl.n)
			on_result(m, ev);
		break;
	case NM_EV_FAILED:
		if (ev->task < m->tl.n)
			on_failed(m, ev->task, e->why);
		break;
	case NM_EV_FAILOVER:
		fprintf(stderr, "swarm: coordinator %s lost (last heard of %.1f s ago): %llu "
			"open tasks handed to the others\n", ev->coord,
			(double)ev->dur_us / 1e6, (unsigned long long)ev->hb_held);
		if ((mb = member(m->nats, ev->coord)))
			mb->lost = 1;
		break;
	case NM_EV_HEARTBEAT:
		on_heartbeat(m, ev);
		break;
	}
}

static void take_events(struct master *m)
{
	struct pump_ev *e, *next;

	for (e = nats_pump_take(m->nats->pump); e; e = next) {
		next = e->next;
		handle(m, e);
		free(e);
	}
}

/* Collect a coordinator that has exited. One that was killed (or died)
 * could not remove its private bus: we know it by its id. */
static void reap_local(struct master *m, struct lcoord *c)
{
	int ws = 0;

	spawn_reap(c->pidfd, &ws);
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
	close(c->pidfd);
	c->pidfd = -1;
	bus_remove(NULL, c->bus_id);
	if (c->cg.dirfd >= 0) {
		/* Its workers die with it (PDEATHSIG); stragglers go now. */
		cgroup_kill(&c->cg);
		cgroup_wait_empty(&c->cg, 1000);
		cgroup_remove(&c->cg);
	}
}

static void on_local_exit(struct master *m, struct lcoord *c)
{
	struct member *mb;

	if (c->pidfd < 0)
		return;
	reap_local(m, c);
	take_events(m);    /* results it sent before it went */
	if (m->done == m->tl.n || m->stop_sig)
		return;
	/* Its unacked tasks go back to the others now (nats_failover.h),
	 * not after AckWait; a replacement keeps this host's share of the
	 * capacity. */
	nats_pump_coord_gone(m->nats->pump, c->name);
	if ((mb = member(m->nats, c->name)))
		mb->lost = 1;
	if (c->gen >= COORD_MAX_RESTARTS)
		return;
	c->gen++;
	m->rep->coordinator_restarts++;
	if (spawn_local(m, c))
		fprintf(stderr, "swarm: could not start a replacement for coordinator "
			"c%u; the others take its share\n", c->idx + 1);
}

static int nats_on_msg(struct master *m, const struct bus_msg *msg)
{
	(void)m;
	(void)msg;
	return 0;   /* coordinators answer over NATS; the bus is for ctl */
}

static void nats_on_event(struct master *m, void *ev)
{
	if (ev == &m->nats->ev_nats)
		take_events(m);
	else
		on_local_exit(m, ev);   /* EV_COORD: a local coordinator's pidfd */
}

static void nats_step(struct master *m, int *more, int *tick_ms)
{
	struct nats_master *n = m->nats;

	*more = 0;
	/* Notices are not stored: one who joined since hears it now. */
	if (m->paused && now_ns() - n->last_notice >= NOTICE_EVERY_NS) {
		n->last_notice = now_ns();
		nm_master_notice(n->nm, "pause");
	}
	if (m->paused && (*tick_ms < 0 || *tick_ms > 1000))
		*tick_ms = 1000;
}

static void nats_signal(struct master *m, int sig)
{
	struct nats_master *n = m->nats;
	unsigned i;

	for (i = 0; n && i < n->nlc; i++)
		if (n->lc[i].pidfd >= 0) {
			kill(-n->lc[i].pid, sig);
			kill(n->lc[i].pid, sig);
		}
}

/* Every coordinator, here or elsewhere, stops its workers but stays up:
 * its heartbeat and its tasks' leases go on, so no one is failed over
 * and nothing is redelivered while paused. */
static void nats_pause(struct master *m, int on)
{
	struct nats_master *n = m->nats;
	int err;

	if (!n || !n->nm)
		return;
	n->last_notice = now_ns();
	err = nm_master_notice(n->nm, on ? "pause" : "resume");
	if (err)
		fprintf(stderr, "swarm: telling the coordinators to %s failed: %s\n",
			on ? "pause" : "resume", nm_strerror(err));
}

static void nats_resumed(struct master *m)
{
	(void)m;   /* coordinators keep their own heartbeats */
}

/* The pump is stopped (drain: read what is on its way first) and what
 * it read is counted; nm is ours again. */
static void stop_pump(struct master *m, int drain)
{
	struct nats_master *n = m->nats;

	if (!n || !n->pump)
		return;
	nats_pump_stop(n->pump, drain);
	take_events(m);
}

static void nats_abort(struct master *m, int status, const char *why)
{
	struct nats_master *n = m->nats;
	const struct ledger *led;
	char reason[sizeof(m->tl.v[0].reason)];
	size_t i;

	stop_pump(m, 0);
	led = n && n->nm ? nm_master_ledger(n->nm) : NULL;
	for (i = 0; i < m->tl.n; i++) {
		struct task *t = &m->tl.v[i];

		if (m->flags[i] & TF_RECORDED)
			continue;
		if (led)
			nats_history_reason(led, (uint32_t)i, status == TS_TIMEOUT ?
					    "no result before the timeout" : "interrupted",
					    reason, sizeof(reason));
		else
			snprintf(reason, sizeof(reason), "not published (%s)", why);
		t->state = TASK_DONE;
		t->status = (uint8_t)status;
		t->t_end_ns = now_ns();
		snprintf(t->agent, sizeof(t->agent), "-");
		snprintf(t->reason, sizeof(t->reason), "%s", reason);
		master_task_done(m, t, NULL, 0);
	}
}

static unsigned local_alive(struct nats_master *n)
{
	unsigned i, alive = 0;

	for (i = 0; i < n->nlc; i++)
		alive += n->lc[i].pidfd >= 0;
	return alive;
}

static unsigned wait_local(struct master *m, int ms)
{
	struct nats_master *n = m->nats;
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	unsigned i;

	while (local_alive(n)) {
		for (i = 0; i < n->nlc; i++) {
			struct pollfd pf = { .fd = n->lc[i].pidfd, .events = POLLIN };

			if (pf.fd >= 0 && poll(&pf, 1, 0) == 1)
				reap_local(m, &n->lc[i]);
		}
		if (!local_alive(n) || now_ns() >= end)
			break;
		poll(NULL, 0, 20);
	}
	return local_alive(n);
}

static void nats_json(struct jsonw *w, void *arg)
{
	struct nats_master *n = arg;
	const struct ledger *led = nm_master_ledger(n->nm);
	char hist[HIST_LEN];
	uint32_t i;

	jsonw_start_object(w);
	jsonw_string_field(w, "url", n->no->url);
	jsonw_string_field(w, "swarm", n->swarm);
	jsonw_uint_field(w, "redelivered_tasks", led->redelivered_tasks);
	jsonw_uint_field(w, "duplicate_results", led->duplicates);
	jsonw_uint_field(w, "gave_up", led->exhausted);
	jsonw_uint_field(w, "reconnects", nm_master_reconnects(n->nm));
	jsonw_name(w, "redeliveries");
	jsonw_start_array(w);
	for (i = 0; i < led->n; i++) {
		if (led->t[i].max_attempt <= 1)
			continue;
		ledger_history(led, i, hist, sizeof(hist));
		jsonw_start_object(w);
		jsonw_uint_field(w, "task", i + 1);
		jsonw_uint_field(w, "deliveries", led->t[i].max_attempt);
		jsonw_string_field(w, "history", hist);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_name(w, "hosts");
	jsonw_start_array(w);
	for (i = 0; i < n->nmem; i++) {
		const struct member *mb = &n->mem[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "coordinator", mb->name);
		jsonw_string_field(w, "host", mb->host);
		jsonw_int_field(w, "pid", mb->pid);
		jsonw_uint_field(w, "workers", mb->workers);
		jsonw_uint_field(w, "done", mb->done);
		if (local_by_name(n, mb->name)) {
			/* in the report's own kernel section */
			jsonw_bool_field(w, "local", true);
		} else {
			jsonw_bool_field(w, "local", false);
			jsonw_name(w, "kernel");
			if (mb->kernel)
				jsonw_raw(w, mb->kernel, mb->kernel_len);
			else
				jsonw_null(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	fo_json(nm_master_failover(n->nm), w);
	jsonw_end_object(w);
}

static void nats_text(FILE *f, struct nats_master *n)
{
	const struct ledger *led = nm_master_ledger(n->nm);
	char hist[HIST_LEN];
	uint32_t i, shown = 0;

	fprintf(f, "  nats         %s swarm %s: %llu tasks redelivered, %llu duplicate "
		"results dropped, %llu reconnects\n", n->no->url, n->swarm,
		(unsigned long long)led->redelivered_tasks,
		(unsigned long long)led->duplicates,
		(unsigned long long)nm_master_reconnects(n->nm));
	for (i = 0; i < led->n && shown < 20; i++)
		if (led->t[i].max_attempt > 1) {
			ledger_history(led, i, hist, sizeof(hist));
			fprintf(f, "    task %u: %s\n", i + 1, hist);
			shown++;
		}
	fo_text(nm_master_failover(n->nm), f);
	for (i = 0; i < n->nmem; i++)
		if (!local_by_name(n, n->mem[i].name))
			fprintf(f, "    host %s (%s): %s\n", n->mem[i].host[0] ? n->mem[i].host : "-",
				n->mem[i].name, n->mem[i].kernel ? "kernel summary in --json"
								 : "no kernel summary came");
}

static void section_json(struct jsonw *w, void *arg)
{
	const struct nats_section *s = arg;

	jsonw_raw(w, s->json, s->json_len);
}

static void section_text(FILE *f, void *arg)
{
	fputs(((struct nats_section *)arg)->text, f);
}

static void render_section(struct master *m)
{
	struct nats_section *s = calloc(1, sizeof(*s));
	size_t len;
	FILE *f;

	if (!s)
		return;
	jsonw_render(nats_json, m->nats, &s->json, &s->json_len);
	f = open_memstream(&s->text, &len);
	if (f) {
		nats_text(f, m->nats);
		fclose(f);
	}
	if (!s->json || !s->text) {
		free(s->json);
		free(s->text);
		free(s);
		return;
	}
	s->k.json = section_json;
	s->k.emit_text = section_text;
	s->k.arg = s;
	m->rep->nats = &s->k;
}

void coord_nats_report_free(struct run_report *rep)
{
	struct nats_section *s;

	if (!rep->nats)
		return;
	s = rep->nats->arg;
	free(s->json);
	free(s->text);
	free(s);
	rep->nats = NULL;
}

/* The coordinators on other hosts heard lately: each sends its host's
 * kernel section once its workers are gone. */
static size_t remote_expected(struct nats_master *n)
{
	uint64_t now = now_ns();
	size_t i, want = 0;

	for (i = 0; i < n->nmem; i++)
		want += !local_by_name(n, n->mem[i].name) && heard(&n->mem[i], now) &&
			!n->mem[i].kernel;
	return want;
}

static void collect_kernels(struct nats_master *n)
{
	uint64_t end = now_ns() + (uint64_t)KERNEL_WAIT_MS * 1000000ull;
	char coord[NAME_MAX_LEN + 1];
	struct member *mb;
	char *json;
	size_t len;
	int r;

	while (remote_expected(n) && now_ns() < end) {
		r = nm_master_kernel(n->nm, (int)((end - now_ns()) / 1000000ull), coord,
				     &json, &len);
		if (r == 0)
			break;
		if (r < 0) {
			if (r != -EBADMSG)
				break;
			fprintf(stderr, "swarm: a kernel summary was refused (unnamed, "
				"too big or not JSON)\n");
			continue;
		}
		/* Only a coordinator heard of, on another host, once. */
		mb = member_find(n, coord);
		if (mb && !local_by_name(n, coord) && !mb->kernel) {
			mb->kernel = json;
			mb->kernel_len = len;
		} else {
			free(json);
		}
	}
}

/* The end notice (in nm_master_close) lets every coordinator go. A local
 * one still there after the grace is asked to stop (SIGTERM: it hands its
 * tasks back and removes its bus), then killed with its group; the bus
 * of a killed one is removed by reap_local. */
static void nats_finish(struct master *m, int grace_ms)
{
	struct nats_master *n = m->nats;
	const struct ledger *led;

	if (!n)
		return;
	stop_pump(m, !m->stop_sig);
	if (n->nm) {
		led = nm_master_ledger(n->nm);
		m->rep->duplicates += led->duplicates;
		nm_master_end(n->nm);
		if (!m->stop_sig)
			collect_kernels(n);
		render_section(m);
		/* Ends the swarm for every coordinator (kept with --keep). */
		nm_master_close(n->nm, !m->o->keep);
		n->nm = NULL;
	}
	if (!wait_local(m, grace_ms))
		return;
	nats_signal(m, SIGTERM);
	if (!wait_local(m, COORD_TERM_WAIT_MS))
		return;
	nats_signal(m, SIGKILL);
	wait_local(m, 5000);
}

static void nats_after(struct master *m)
{
	(void)m;   /* --timeline is refused for NATS (cmd_run.c) */
}

static size_t nats_pending(struct master *m)
{
	(void)m;
	return 0;   /* published up front: the stream holds the rest */
}

static void nats_sample(struct master *m, struct coord_sample *s)
{
	struct nats_master *n = m->nats;
	uint64_t now = now_ns();
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nmem; i++) {
		const struct member *mb = &n->mem[i];
		struct lcoord *c = local_by_name(n, mb->name);

		int up = c ? c->pidfd >= 0 : heard(mb, now);

		s->coords_alive += up;
		s->coords_spawned += 1 + mb->restarts;
		s->workers_spawned += mb->workers;
		if (up)
			s->workers_alive += mb->workers;
	}
	s->coords_target = m->o->coordinators;
}

static void nats_report(struct master *m, struct run_report *r)
{
	struct nats_master *n = m->nats;
	size_t i;

	r->messages += m->msgs + m->tl.n;
	if (!n)
		return;
	r->coords = calloc(n->nmem ? n->nmem : 1, sizeof(*r->coords));
	r->ncoords = r->coords ? n->nmem : 0;
	r->coordinators = (unsigned)n->nmem;
	for (i = 0; i < n->nmem; i++) {
		r->agents += n->mem[i].workers;
		if (!r->coords)
			continue;
		snprintf(r->coords[i].name, sizeof(r->coords[i].name), "%s", n->mem[i].name);
		r->coords[i].pid = n->mem[i].pid;
		r->coords[i].workers = n->mem[i].workers;
		r->coords[i].restarts = n->mem[i].restarts;
	}
}

enum member_state { MS_RUNNING, MS_STARTING, MS_SILENT, MS_LOST, MS_EXITED };

static const char *const member_state_name[] = {
	[MS_RUNNING] = "running", [MS_STARTING] = "starting", [MS_SILENT] = "silent",
	[MS_LOST] = "lost", [MS_EXITED] = "exited",
};

static enum member_state member_state(struct nats_master *n,
				      const struct member *mb, uint64_t now)
{
	struct lcoord *c = local_by_name(n, mb->name);

	if (mb->lost)
		return MS_LOST;
	if (c && c->pidfd < 0)
		return MS_EXITED;
	return heard(mb, now) ? MS_RUNNING : c ? MS_STARTING : MS_SILENT;
}

static void nats_status(struct master *m, FILE *f, struct jsonw *w)
{
	struct nats_master *n = m->nats;
	uint64_t now = now_ns();
	size_t i;

	for (i = 0; n && i < n->nmem; i++) {
		const struct member *mb = &n->mem[i];
		double ago = mb->last_ns ? (double)(now - mb->last_ns) / 1e9 : -1;

		if (!w) {
			fprintf(f, "%-12s %8d %-12s %-16s %llu open tasks, %llu done\n",
				mb->name, mb->pid, member_state_name[member_state(n, mb, now)],
				mb->host[0] ? mb->host : "-",
				(unsigned long long)mb->held,
				(unsigned long long)mb->done);
			continue;
		}
		jsonw_start_object(w);
		jsonw_string_field(w, "name", mb->name);
		jsonw_string_field(w, "host", mb->host);
		jsonw_int_field(w, "pid", mb->pid);
		jsonw_string_field(w, "state", member_state_name[member_state(n, mb, now)]);
		jsonw_uint_field(w, "workers", mb->workers);
		jsonw_uint_field(w, "done", mb->done);
		jsonw_uint_field(w, "open_tasks", mb->held);
		if (ago >= 0)
			jsonw_float_field(w, "heard_s_ago", "%.1f", ago);
		else
			jsonw_null_field(w, "heard_s_ago");
		jsonw_end_object(w);
	}
}

static int nats_top(struct master *m, struct top_snap *s, uint64_t now)
{
	struct nats_master *n = m->nats;
	uint64_t t = now_ns();
	size_t i;

	(void)now;
	s->msgs = m->msgs + m->tl.n;
	if (!n)
		return 0;
	s->coords_total = (uint32_t)n->nmem;
	for (i = 0; i < n->nmem; i++) {
		const struct member *mb = &n->mem[i];
		enum member_state st = member_state(n, mb, t);
		struct top_coord *tc;

		s->states[st == MS_RUNNING ? (mb->held ? TOP_BUSY : TOP_IDLE)
			  : st == MS_STARTING ? TOP_STARTING
			  : st == MS_EXITED ? TOP_EXITED : TOP_FAILED]++;
		if (i >= TOP_MAX_COORDS)
			continue;
		tc = &s->coords[s->ncoords++];
		snprintf(tc->name, sizeof(tc->name), "%s", mb->name);
		tc->pid = mb->pid;
		tc->alive = st == MS_RUNNING;
		tc->open = (uint32_t)mb->held;
		tc->done = (uint32_t)mb->done;
	}
	return 0;
}

static void nats_free(struct master *m)
{
	struct nats_master *n = m->nats;
	unsigned i;

	if (!n)
		return;
	nats_pump_free(n->pump);
	nm_master_close(n->nm, !m->o->keep);
	for (i = 0; i < n->nlc; i++) {
		if (n->lc[i].pidfd >= 0) {
			kill(-n->lc[i].pid, SIGKILL);
			reap_local(m, &n->lc[i]);
		}
		cgroup_close(&n->lc[i].cg);
	}
	free(n->lc);
	for (i = 0; i < n->nmem; i++)
		free(n->mem[i].kernel);
	free(n->mem);
	free(n);
	m->nats = NULL;
}

const struct topology topo_nats = {
	.name = "hybrid", .members = "coordinators",
	.start = nats_start, .on_msg = nats_on_msg, .on_event = nats_on_event,
	.step = nats_step, .signal = nats_signal,
	.pause = nats_pause, .resumed = nats_resumed,
	.abort = nats_abort, .finish = nats_finish, .after = nats_after,
	.pending = nats_pending, .sample = nats_sample, .report = nats_report,
	.status = nats_status, .top = nats_top, .free = nats_free,
};
