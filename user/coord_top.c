/* The master's side of swarm top: a snapshot of what it already keeps,
 * built only when a "top <seq>" request comes (one pass over the slots
 * or the tasks), so an unwatched swarm pays nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord_master.h"
#include "top.h"

static uint64_t messages(struct master *m)
{
	struct pool_stats ps;
	uint64_t n = m->msgs;
	unsigned i;

	if (m->pool) {
		pool_get_stats(m->pool, &ps);
		n += ps.msgs_sent + ps.msgs_recv;
	}
	for (i = 0; i < m->ncoords; i++)
		n += m->coords[i].st.msgs;
	return n;
}

static enum top_state slot_state(const struct pool_slot *s)
{
	if (s->pidfd < 0)
		return s->failed ? TOP_FAILED : TOP_EXITED;
	if (s->hung)
		return TOP_HUNG;
	if (!s->heard)
		return TOP_STARTING;
	return s->task ? TOP_BUSY : TOP_IDLE;
}

static void flat(struct master *m, struct top_snap *s, uint64_t now)
{
	unsigned n, i;
	const struct pool_slot *v = pool_slots(m->pool, &n);

	for (i = 0; i < n; i++) {
		if (!v[i].used)
			continue;
		s->states[slot_state(&v[i])]++;
		if (v[i].task && v[i].pidfd >= 0 && v[i].task->t_start_ns &&
		    now > v[i].task->t_start_ns)
			top_slow_offer(s, v[i].name, v[i].task->id + 1,
				       (now - v[i].task->t_start_ns) / 1000000ull);
	}
}

/* Coordinators by state (busy: tasks open), and the first
 * TOP_MAX_COORDS with their task counts: one pass over the tasks. */
static int hybrid(struct master *m, struct top_snap *s)
{
	unsigned i, show = m->ncoords < TOP_MAX_COORDS ? m->ncoords : TOP_MAX_COORDS;
	uint32_t *open = calloc(m->ncoords ? m->ncoords : 1, sizeof(*open));
	size_t j;

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

int master_top(struct master *m, uint32_t seq, char *buf, size_t cap)
{
	const struct run_hooks *h = m->o->hooks;
	struct top_snap *s = calloc(1, sizeof(*s));
	uint64_t now = now_ns();
	int n = 0;

	if (!s)
		return -ENOMEM;
	s->seq = seq;
	s->pid = (int32_t)getpid();
	s->hybrid = m->o->hybrid;
	s->paused = m->paused;
	s->elapsed_ms = (now - m->t0) / 1000000ull;
	s->expected = m->tl.n;
	s->done = m->done;
	s->delivered = m->rep->delivered;
	s->failed = m->rep->failed;
	s->msgs = messages(m);
	if (m->pool)
		flat(m, s, now);
	else if (m->coords)
		n = hybrid(m, s);
	if (n) {
		free(s);
		return n;
	}
	if (h && h->top_sample && h->top_sample(h->arg, s) == 0)
		s->traced = 1;
	n = top_snap_encode(s, buf, cap);
	free(s);
	return n;
}
