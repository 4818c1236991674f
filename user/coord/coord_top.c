/* The master's side of swarm top: a snapshot of what it already keeps,
 * built only when a "top <seq>" request comes (one pass over the slots
 * or the tasks), so an unwatched swarm pays nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord_master.h"
#include "top.h"

static enum top_state slot_state(const struct pool_slot *s)
{
	if (s->pid <= 0)
		return s->failed ? TOP_FAILED : TOP_EXITED;
	if (s->hung)
		return TOP_HUNG;
	if (!s->heard)
		return TOP_STARTING;
	return s->task ? TOP_BUSY : TOP_IDLE;
}

#define PROBE_MAX 256   /* inbox opens per request, at most */

/* Messages are the master's own traffic, the same measure in both
 * topologies and all through the run: a hybrid coordinator's counters
 * arrive only at its end (its "stats" line) and would make the last rate
 * jump. */
int top_flat(struct master *m, struct top_snap *s, uint64_t now)
{
	unsigned n, i;
	const struct pool_slot *v;
	struct pool_stats ps;

	if (!m->pool)
		return 0;
	pool_get_stats(m->pool, &ps);
	s->msgs = m->msgs + ps.msgs_sent + ps.msgs_recv;
	pool_probe_started(m->pool, PROBE_MAX);
	v = pool_slots(m->pool, &n);

	for (i = 0; i < n; i++) {
		if (!v[i].used)
			continue;
		s->states[slot_state(&v[i])]++;
		if (v[i].task && v[i].pid > 0 && v[i].task->t_start_ns &&
		    now > v[i].task->t_start_ns)
			top_slow_offer(s, v[i].name, v[i].task->id + 1,
				       (now - v[i].task->t_start_ns) / 1000000ull);
	}
	return 0;
}

/* Coordinators by state (busy: tasks open), and the first
 * TOP_MAX_COORDS with their task counts: one pass over the tasks. */
int top_hybrid(struct master *m, struct top_snap *s, uint64_t now)
{
	unsigned i, show = m->ncoords < TOP_MAX_COORDS ? m->ncoords : TOP_MAX_COORDS;
	uint32_t *open;
	size_t j;

	(void)now;
	s->msgs = m->msgs + m->done;   /* tasks (and stops) out, results in */
	if (!m->coords)
		return 0;
	open = calloc(m->ncoords ? m->ncoords : 1, sizeof(*open));
	if (!open)
		return -ENOMEM;
	s->coords_total = m->ncoords;
	s->ncoords = show;
	for (j = 0; j < m->tl.n; j++) {
		int o = m->tl.v[j].owner, is_open = !(m->flags[j] & TF_RECORDED);
		int hung = is_open && (m->flags[j] & TF_HUNG);

		if (o < 0 || (unsigned)o >= m->ncoords)
			continue;
		open[o] += is_open;
		if ((unsigned)o < show) {
			s->coords[o].done += !is_open;
			s->coords[o].hung += hung;
		}
	}
	for (i = 0; i < m->ncoords; i++) {
		const struct mcoord *c = &m->coords[i];

		if (c->pidfd < 0)
			s->states[c->finished && !open[i] ? TOP_EXITED : TOP_FAILED]++;
		else
			s->states[open[i] ? TOP_BUSY : TOP_IDLE]++;
		if (i >= show)
			continue;
		snprintf(s->coords[i].name, sizeof(s->coords[i].name), "%s", c->name);
		s->coords[i].pid = c->pidfd >= 0 ? c->pid : 0;
		s->coords[i].alive = c->pidfd >= 0;
		s->coords[i].open = open[i];
	}
	free(open);
	return 0;
}

struct top_watch {
	char name[TOP_WATCHERS][NAME_MAX_LEN + 1];
	uint32_t seq[TOP_WATCHERS];
	uint64_t at[TOP_WATCHERS];
};

/* Remember who asked (the same asker in place, else the oldest goes):
 * they get the final snapshot. */
static void remember(struct master *m, const char *from, uint32_t seq, uint64_t now)
{
	struct top_watch *w = m->top_watch;
	unsigned i, slot = 0;

	if (!w && !(w = m->top_watch = calloc(1, sizeof(*w))))
		return;   /* no final snapshot: the watcher sees the bus go */
	for (i = 0; i < TOP_WATCHERS; i++) {
		if (!strcmp(w->name[i], from)) {
			slot = i;
			break;
		}
		if (w->at[i] < w->at[slot])
			slot = i;
	}
	snprintf(w->name[slot], sizeof(w->name[slot]), "%s", from);
	w->seq[slot] = seq;
	w->at[slot] = now;
}

static int build(struct master *m, struct top_snap *s, uint32_t seq, uint64_t now)
{
	const struct run_hooks *h = m->o->hooks;
	int err = 0;

	s->seq = seq;
	s->pid = (int32_t)getpid();
	s->hybrid = m->o->hybrid;
	s->paused = m->paused;
	s->elapsed_ms = (now - m->t0) / 1000000ull;
	s->expected = m->tl.n;
	s->done = m->done;
	s->delivered = m->rep->delivered;
	s->failed = m->rep->failed;
	err = m->topo->top(m, s, now);
	if (!err && h && h->top_sample && h->top_sample(h->arg, s) == 0)
		s->traced = 1;
	return err;
}

int master_top(struct master *m, const char *from, uint32_t seq, char *buf, size_t cap)
{
	struct top_snap *s = calloc(1, sizeof(*s));
	uint64_t now = now_ns();
	int n;

	if (!s)
		return -ENOMEM;
	remember(m, from, seq, now);
	n = build(m, s, seq, now);
	if (!n)
		n = top_snap_encode(s, buf, cap);
	free(s);
	return n;
}

void master_top_final(struct master *m)
{
	struct top_watch *w = m->top_watch;
	struct top_snap *s;
	char *buf;
	uint64_t now = now_ns();
	unsigned i;

	/* One that has quit costs a message into an inbox nobody reads,
	 * on a bus about to go. */
	if (!w)
		return;
	s = calloc(1, sizeof(*s));
	buf = malloc(TOP_SNAP_MAX);
	for (i = 0; s && buf && i < TOP_WATCHERS; i++) {
		struct bus_out o = { .data = buf, .type = MSG_CONTROL };
		struct inbox *in;
		int n;

		if (!w->name[i][0])
			continue;
		memset(s, 0, sizeof(*s));
		if (build(m, s, w->seq[i], now))
			break;
		s->final = 1;
		if ((n = top_snap_encode(s, buf, TOP_SNAP_MAX)) <= 0 ||
		    inbox_open(m->bus, w->name[i], &in))
			continue;
		o.len = (uint32_t)n;
		inbox_send(in, m->self, &o);
		inbox_close(in);
	}
	free(buf);
	free(s);
}

void master_top_free(struct master *m)
{
	free(m->top_watch);
	m->top_watch = NULL;
}
