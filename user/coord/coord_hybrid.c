/* Hybrid topology, master side: C coordinator processes in a mesh, each
 * serving W workers; tasks handed out up front; a dead coordinator is
 * salvaged (results already in its inbox) and replaced. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coord_master.h"
#include "coord_sys.h"
#include "json.h"
#include "run_timeline.h"
#include "spawn_process.h"
#include "swarm.h"

static void hybrid_signal(struct master *m, int sig);

#define BATCH 256
#define BATCH_BYTES (1u << 20)

static void coord_name(struct mcoord *c)
{
	if (c->gen)
		snprintf(c->name, sizeof(c->name), "c%ur%u", c->idx + 1, c->gen);
	else
		snprintf(c->name, sizeof(c->name), "c%u", c->idx + 1);
}

/* Every task of c without an outcome, as MSG_TASK frames, then MSG_STOP. */
static int mine(struct master *m, struct mcoord *c, size_t i)
{
	return m->tl.v[i].owner == (int)c->idx && !(m->flags[i] & TF_RECORDED);
}

static int send_tasks(struct master *m, struct mcoord *c)
{
	struct bus_out out[BATCH + 1];
	struct inbox *to;
	char *buf = NULL, mark[NAME_MAX_LEN + 16];
	size_t i = 0, n, end, cap;
	uint64_t t0 = now_ns();
	int err, len, last;

	err = inbox_open(m->bus, c->name, &to);
	if (err)
		return err;
	do {
		/* Next batch: tasks of c in [i, end). A batch is all or
		 * nothing, so keep it far below the inbox's byte limit. */
		for (n = 0, cap = 0, end = i; end < m->tl.n && n < BATCH &&
		     cap < BATCH_BYTES; end++)
			if (mine(m, c, end)) {
				cap += m->tl.v[end].len + 16;
				n++;
			}
		free(buf);
		buf = malloc(cap + 1);
		if (!buf) {
			err = -ENOMEM;
			goto out;
		}
		for (n = 0, cap = 0; i < end; i++) {
			struct task *t = &m->tl.v[i];

			if (!mine(m, c, i))
				continue;
			len = proto_task_encode(buf + cap, t->len + 16, t->id,
						t->text, t->len);
			if (len < 0) {
				err = len;
				goto out;
			}
			out[n++] = (struct bus_out){ .data = buf + cap,
						     .len = (uint32_t)len,
						     .type = MSG_TASK };
			cap += (size_t)len;
		}
		last = end >= m->tl.n;
		if (last)
			out[n++] = (struct bus_out){ .data = "", .len = 0,
						     .type = MSG_STOP };
		if (!n)
			continue;
		/* Backpressure: the coordinator is already reading. */
		while ((err = inbox_send_batch(to, m->self, out, n)) == -ENOBUFS)
			inbox_wait_space(to, 1 << 16, 100);
		if (err)
			goto out;
		m->msgs += n;
	} while (!last);
out:
	free(buf);
	inbox_close(to);
	snprintf(mark, sizeof(mark), "tasks to %s", c->name);
	timeline_mark(m->o->timeline, mark, t0, now_ns());
	return err;
}

static int spawn_coord(struct master *m, struct mcoord *c)
{
	const char *transport[] = { "--dir", bus_path(m->bus), NULL };
	struct epoll_event ev = { .events = EPOLLIN };
	struct spawned sp;
	int err;

	coord_name(c);
	err = master_spawn_coord(m, c->name, transport, 1, &c->cg, &sp);
	if (err)
		return err;
	c->pid = sp.pid;
	c->pidfd = sp.pidfd;
	c->stats_got = c->finished = 0;
	ev.data.ptr = c;
	epoll_ctl(m->epfd, EPOLL_CTL_ADD, c->pidfd, &ev);
	/* Started first, so it already drains its inbox while a long task
	 * list is still being written (no deadlock on a full inbox). */
	return send_tasks(m, c);
}

static int hybrid_start(struct master *m)
{
	unsigned i;
	int err;

	/* Workers whose coordinator died are re-parented to us, not init:
	 * hybrid_free reaps them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	m->ncoords = m->o->coordinators;
	m->coords = calloc(m->ncoords, sizeof(*m->coords));
	if (!m->coords)
		return -ENOMEM;
	for (i = 0; i < m->ncoords; i++) {
		m->coords[i].ev_kind = EV_COORD;
		m->coords[i].idx = i;
		m->coords[i].pidfd = -1;
		m->coords[i].cg.dirfd = -1;
	}
	/* Round robin: every coordinator gets an even share up front. */
	for (i = 0; i < m->tl.n; i++)
		m->tl.v[i].owner = (int)(i % m->ncoords);
	for (i = 0; i < m->ncoords; i++)
		if ((err = spawn_coord(m, &m->coords[i])))
			return err;
	return 0;
}

static struct mcoord *coord_by_name(struct master *m, const char *name)
{
	unsigned i;

	for (i = 0; i < m->ncoords; i++)
		if (!strcmp(m->coords[i].name, name))
			return &m->coords[i];
	return NULL;
}

/* A result for task id from any coordinator (live, dead or salvaged);
 * hop_ns: its frame's time from the coordinator to us, 0 if unknown. */
static void take_result(struct master *m, const struct proto_result *r,
			uint64_t hop_ns)
{
	struct task *t;
	uint64_t now = now_ns();

	if (r->id >= m->tl.n)
		return;
	t = &m->tl.v[r->id];
	if (m->flags[r->id] & TF_RECORDED) {
		m->rep->duplicates++;
		return;
	}
	t->state = TASK_DONE;
	t->status = (uint8_t)r->status;
	t->exit_code = r->exit_code;
	t->t_end_ns = now;
	t->t_start_ns = now - r->dur_us * 1000;
	t->latency_ns = r->lat_us * 1000;
	snprintf(t->agent, sizeof(t->agent), "%s", r->agent);
	snprintf(t->reason, sizeof(t->reason), "%s", r->reason);
	if (r->status == TS_OK || r->status == TS_FAILED)
		lat_add(&m->lat, r->lat_us);
	master_task_done(m, t, r->out, r->out_len);
	timeline_task(m->o->timeline, t, hop_ns);
}

static int hybrid_on_msg(struct master *m, const struct bus_msg *msg)
{
	struct proto_result r;
	struct mcoord *c;
	uint32_t id;
	char agent[NAME_MAX_LEN + 1];

	if (msg->from[0] != 'c' || msg->from[1] < '1' || msg->from[1] > '9')
		return 0;
	if (msg->type == MSG_RESULT) {
		uint64_t wall = wall_ns();

		if (proto_result_decode(msg->data, msg->len, &r) == 0)
			take_result(m, &r, wall > msg->ts_ns ? wall - msg->ts_ns : 0);
		return 1;
	}
	if (msg->type != MSG_CONTROL)
		return 1;
	if (proto_hung_decode(msg->data, msg->len, &id, agent) == 0) {
		if (id < m->tl.n)
			m->flags[id] |= TF_HUNG;
		return 1;
	}
	c = coord_by_name(m, msg->from);
	if (c && proto_stats_decode(msg->data, msg->len, &c->st) == 0)
		c->stats_got = 1;
	return 1;
}

static int owns_open_tasks(struct master *m, struct mcoord *c)
{
	size_t i;

	for (i = 0; i < m->tl.n; i++)
		if (m->tl.v[i].owner == (int)c->idx && !(m->flags[i] & TF_RECORDED))
			return 1;
	return 0;
}

/* Kill what is left of a dead coordinator's tree and reap it: its workers
 * were re-parented to us (subreaper) or died with it (PDEATHSIG). */
static void kill_tree(struct master *m, struct mcoord *c)
{
	struct timespec ms = { 0, 1000000 };
	uint64_t end = now_ns() + 2000000000ull;
	pid_t r;

	if (c->cg.dirfd >= 0) {
		cgroup_kill(&c->cg);
		cgroup_wait_empty(&c->cg, 2000);
	}
	kill(-c->pid, SIGKILL);
	while (now_ns() < end) {
		r = waitpid(-c->pid, NULL, WNOHANG);
		if (r < 0)
			break;
		if (r == 0)
			nanosleep(&ms, NULL);
	}
	(void)m;
}

/* worker number -> task id, from the coordinator's assignment journal:
 * the last line per worker is its current task. */
static int64_t *read_journal(struct master *m, struct mcoord *c)
{
	char file[NAME_MAX_LEN + 16], *line = NULL;
	size_t cap = 0;
	int64_t *map = malloc((m->o->workers + 1) * sizeof(*map));
	uint32_t id, w;
	ssize_t l;
	FILE *f;
	int fd;

	if (!map)
		return NULL;
	for (w = 0; w <= m->o->workers; w++)
		map[w] = -1;
	snprintf(file, sizeof(file), "%s.journal", c->name);
	fd = openat(m->logs_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return map;
	}
	while ((l = getline(&line, &cap, f)) > 0) {
		if (proto_journal_decode(line, (size_t)l, c->name, &w, &id) ||
		    id >= m->tl.n || w > m->o->workers)
			continue;
		map[w] = id;
	}
	free(line);
	fclose(f);
	return map;
}

/* Results the workers had already delivered into the dead coordinator's
 * inbox (not yet forwarded) are not lost: read them here. */
static unsigned salvage(struct master *m, struct mcoord *c)
{
	int64_t *map = read_journal(m, c);
	struct proto_result r;
	struct inbox *in;
	struct bus_msg msg;
	unsigned n = 0;
	uint32_t w;

	if (!map)
		return 0;
	if (inbox_open(m->bus, c->name, &in)) {
		free(map);
		return 0;
	}
	/* A worker killed mid-send left its intent record: no one will send
	 * here again, so finish it now (its whole frames are salvaged too). */
	inbox_repair(in);
	if (inbox_reader_begin(in))
		goto out;
	while (inbox_next(in, &msg) == 1) {
		if (msg.type != MSG_DATA && msg.type != MSG_RESULT &&
		    msg.type != MSG_FAIL)
			continue;
		if (proto_worker_of(msg.from, c->name, &w) || w > m->o->workers ||
		    map[w] < 0)
			continue;
		memset(&r, 0, sizeof(r));
		r.id = (uint32_t)map[w];
		r.status = msg.type == MSG_FAIL ? TS_FAILED : TS_OK;
		snprintf(r.agent, sizeof(r.agent), "%s", msg.from);
		if (r.status == TS_FAILED)
			snprintf(r.reason, sizeof(r.reason), "agent reported failure");
		r.lat_us = wall_ns() > msg.ts_ns ? (wall_ns() - msg.ts_ns) / 1000 : 0;
		r.out = msg.data;
		r.out_len = msg.len > TASK_OUTPUT_MAX ? TASK_OUTPUT_MAX : msg.len;
		map[w] = -1;    /* one answer per assignment */
		take_result(m, &r, 0);
		n++;
	}
	inbox_commit(in);
out:
	inbox_close(in);
	free(map);
	return n;
}

static void give_up(struct master *m, struct mcoord *c)
{
	size_t i;

	for (i = 0; i < m->tl.n; i++) {
		struct task *t = &m->tl.v[i];

		if (t->owner != (int)c->idx || (m->flags[i] & TF_RECORDED))
			continue;
		t->state = TASK_DONE;
		t->status = TS_LOST;
		t->t_end_ns = now_ns();
		snprintf(t->agent, sizeof(t->agent), "%s", c->name);
		snprintf(t->reason, sizeof(t->reason),
			 "coordinator died %u times; task not run", c->gen + 1);
		master_task_done(m, t, NULL, 0);
	}
}

static void reap_coord(struct master *m, struct mcoord *c, int *wstatus)
{
	*wstatus = 0;
	spawn_reap(c->pidfd, wstatus);
	timeline_exited(m->o->timeline, c->pid, now_ns(), *wstatus);
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
	close(c->pidfd);
	c->pidfd = -1;
}

static void hybrid_on_exit(struct master *m, struct mcoord *c)
{
	char why[160];
	int ws;

	if (c->pidfd < 0)
		return;
	reap_coord(m, c, &ws);
	/* Killed in the middle of a send to us, it left its intent record
	 * in our inbox; if no other coordinator sends to us again, no one
	 * would finish it: adopt its whole frame (or cut the torn one) now. */
	inbox_repair(m->self);
	/* Results it forwarded before dying are in our inbox: count them
	 * before deciding what is unfinished. */
	master_drain(m);
	if (!owns_open_tasks(m, c)) {
		c->finished = 1;
		return;
	}
	kill_tree(m, c);
	salvage(m, c);
	if (c->cg.dirfd >= 0)
		cgroup_remove(&c->cg);
	if (!owns_open_tasks(m, c)) {
		c->finished = 1;
		return;
	}
	snprintf(why, sizeof(why), "coordinator %s (pid %d) %s with tasks open",
		 c->name, (int)c->pid,
		 WIFSIGNALED(ws) ? "was killed" : "exited");
	if (c->gen >= COORD_MAX_RESTARTS) {
		report_add_failure(m->rep, c->name, why, spawn_exit_code(ws), -1,
				   TS_LOST);
		give_up(m, c);
		c->finished = 1;
		return;
	}
	fprintf(stderr, "swarm: %s; replacing it\n", why);
	c->gen++;
	m->rep->coordinator_restarts++;
	if (spawn_coord(m, c)) {
		report_add_failure(m->rep, c->name, "could not start a replacement "
				   "coordinator", 0, -1, TS_SPAWN);
		give_up(m, c);
		c->finished = 1;
	}
}

static void hybrid_abort(struct master *m, int status, const char *why)
{
	size_t i;

	for (i = 0; i < m->tl.n; i++) {
		struct task *t = &m->tl.v[i];

		if (m->flags[i] & TF_RECORDED)
			continue;
		t->state = TASK_DONE;
		t->status = (uint8_t)((status == TS_TIMEOUT && (m->flags[i] & TF_HUNG))
				      ? TS_HUNG : status);
		t->t_end_ns = now_ns();
		if (t->owner >= 0 && m->coords)
			snprintf(t->agent, sizeof(t->agent), "%s",
				 m->coords[t->owner].name);
		snprintf(t->reason, sizeof(t->reason), "%s before the %s; killed",
			 t->status == TS_HUNG ? "hung (silent past the heartbeat)"
					      : "no answer", why);
		master_task_done(m, t, NULL, 0);
	}
	if (m->have_cg)
		cgroup_kill(&m->cg);
	hybrid_signal(m, SIGKILL);
}

/* --timeline: every coordinator's (and replacement's) procs file names
 * its workers' pids, spawns and exits; read once the coordinators are
 * gone, so the files are whole. */
static void hybrid_timeline(struct master *m)
{
	struct mcoord c;
	unsigned i, g;

	if (!m->o->timeline)
		return;
	for (i = 0; i < m->ncoords; i++)
		for (g = 0; g <= m->coords[i].gen; g++) {
			c.idx = i;
			c.gen = g;
			coord_name(&c);
			timeline_read_procs(m->o->timeline, m->logs_fd, c.name);
		}
}

static void hybrid_signal(struct master *m, int sig)
{
	unsigned i;

	for (i = 0; i < m->ncoords; i++)
		if (m->coords[i].pidfd >= 0)
			kill(-m->coords[i].pid, sig);
}

static unsigned alive(struct master *m)
{
	unsigned i, n = 0;

	for (i = 0; i < m->ncoords; i++)
		n += m->coords[i].pidfd >= 0;
	return n;
}

static void wait_coords(struct master *m, int ms)
{
	struct pollfd pf[1024];
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	unsigned i, n;
	int left;

	while (alive(m)) {
		for (n = 0, i = 0; i < m->ncoords && n < 1024; i++)
			if (m->coords[i].pidfd >= 0)
				pf[n++] = (struct pollfd){ m->coords[i].pidfd, POLLIN, 0 };
		left = (int)(((int64_t)end - (int64_t)now_ns()) / 1000000);
		if (left < 0 || poll(pf, n, left) <= 0)
			return;
		for (i = 0; i < m->ncoords; i++) {
			unsigned j;

			for (j = 0; j < n; j++)
				if (pf[j].revents && pf[j].fd == m->coords[i].pidfd)
					hybrid_on_exit(m, &m->coords[i]);
		}
	}
}

static void hybrid_finish(struct master *m, int grace_ms)
{
	struct run_report *r = m->rep;
	unsigned i;

	if (!m->coords)
		return;   /* never started */
	wait_coords(m, grace_ms);
	if (alive(m)) {
		hybrid_signal(m, SIGTERM);
		wait_coords(m, 500);
	}
	if (alive(m)) {
		hybrid_signal(m, SIGKILL);
		wait_coords(m, 5000);
	}
	master_drain(m);   /* the coordinators' last stats */
	r->coordinators = m->ncoords;
	r->coords = calloc(m->ncoords, sizeof(*r->coords));
	r->ncoords = r->coords ? m->ncoords : 0;
	for (i = 0; i < m->ncoords; i++) {
		struct mcoord *c = &m->coords[i];

		r->agents += c->stats_got ? (unsigned)c->st.spawned : m->o->workers;
		r->messages += c->st.msgs;
		if (c->st.fds_peak > r->fds_peak)
			r->fds_peak = (unsigned)c->st.fds_peak;
		if (c->st.spawn_end_wall_ns > m->spawn_end_ns)
			m->spawn_end_ns = c->st.spawn_end_wall_ns;
		if (!r->coords)
			continue;
		snprintf(r->coords[i].name, sizeof(r->coords[i].name), "%s", c->name);
		r->coords[i].pid = c->pid;
		r->coords[i].workers = m->o->workers;
		r->coords[i].fds_peak = (unsigned)c->st.fds_peak;
		r->coords[i].rss_peak_kb = c->st.rss_kb;
		r->coords[i].messages = c->st.msgs;
		r->coords[i].restarts = c->gen;
	}
}

static void hybrid_status(struct master *m, FILE *f, struct jsonw *w)
{
	unsigned i;

	for (i = 0; i < m->ncoords; i++) {
		struct mcoord *c = &m->coords[i];
		const char *st = c->pidfd >= 0 ? "running" : "exited";
		int pid = c->pidfd >= 0 ? c->pid : 0;
		size_t j, open = 0;

		for (j = 0; j < m->tl.n; j++)
			open += m->tl.v[j].owner == (int)i && !(m->flags[j] & TF_RECORDED);
		if (w) {
			jsonw_start_object(w);
			jsonw_string_field(w, "name", c->name);
			jsonw_int_field(w, "pid", pid);
			jsonw_string_field(w, "state", st);
			jsonw_uint_field(w, "open_tasks", open);
			jsonw_end_object(w);
		} else {
			fprintf(f, "%-12s %8d %-12s %zu open tasks\n", c->name, pid, st, open);
		}
	}
}

static void hybrid_free(struct master *m)
{
	unsigned i;

	for (i = 0; i < m->ncoords; i++) {
		if (m->coords[i].pidfd >= 0)
			close(m->coords[i].pidfd);
		cgroup_close(&m->coords[i].cg);
	}
	free(m->coords);
	m->coords = NULL;
	while (waitpid(-1, NULL, WNOHANG) > 0)   /* re-parented orphans */
		;
}

static void hybrid_on_event(struct master *m, void *ev)
{
	hybrid_on_exit(m, ev);   /* EV_COORD: a coordinator's pidfd */
}

/* Tasks went out up front; coordinators' exits are events. */
static void hybrid_step(struct master *m, int *more, int *tick_ms)
{
	(void)m;
	(void)tick_ms;
	*more = 0;
}

static void hybrid_resumed(struct master *m)
{
	(void)m;   /* coordinators keep their own heartbeats */
}

static size_t hybrid_pending(struct master *m)
{
	(void)m;
	return 0;
}

static void hybrid_sample(struct master *m, struct coord_sample *s)
{
	unsigned i;

	for (i = 0; i < m->ncoords; i++) {
		s->coords_alive += m->coords[i].pidfd >= 0;
		s->coords_spawned += 1 + m->coords[i].gen;
		s->workers_spawned += (unsigned)m->coords[i].st.spawned;
		s->messages += m->coords[i].st.msgs;
	}
	s->coords_target = m->ncoords;
}

/* hybrid_finish already summed the coordinators' own figures. */
static void hybrid_report(struct master *m, struct run_report *r)
{
	r->messages += m->msgs;
	if (m->spawn_end_ns > m->t0_wall)
		r->spawn_s = (double)(m->spawn_end_ns - m->t0_wall) / 1e9;
}

const struct topology topo_hybrid = {
	.name = "hybrid", .members = "coordinators",
	.start = hybrid_start, .on_msg = hybrid_on_msg, .on_event = hybrid_on_event,
	.step = hybrid_step, .signal = hybrid_signal,
	.pause = master_pause_tree, .resumed = hybrid_resumed,
	.abort = hybrid_abort, .finish = hybrid_finish, .after = hybrid_timeline,
	.pending = hybrid_pending, .sample = hybrid_sample, .report = hybrid_report,
	.status = hybrid_status, .top = top_hybrid, .free = hybrid_free,
};
