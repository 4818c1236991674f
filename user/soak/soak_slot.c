/* swarm soak: fd leaks of an agent slot, pooled over its processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak_impl.h"

#define SLOT_MIN_SAMPLES 4
#define SLOT_MIN_PROCS   2
#define SLOT_MIN_R2      0.8

static struct slot_track *slot_get(struct tracker *tr, const char *name)
{
	struct slot_track *nv;
	size_t i;

	for (i = 0; i < tr->nslots; i++)
		if (!strcmp(tr->slots[i].name, name))
			return &tr->slots[i];
	if (tr->nslots == tr->cap_slots) {
		size_t cap = tr->cap_slots ? tr->cap_slots * 2 : 64;

		nv = realloc(tr->slots, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		tr->slots = nv;
		tr->cap_slots = cap;
	}
	nv = &tr->slots[tr->nslots++];
	memset(nv, 0, sizeof(*nv));
	snprintf(nv->name, sizeof(nv->name), "%s", name);
	return nv;
}

/* Every process of the slot climbs the same line from a fresh start: fds
 * rise with process age, tightly (r2), by a real amount. */
static int slot_leaking(const struct slot_track *sl)
{
	struct soak_fit f;

	if (sl->fit.n < SLOT_MIN_SAMPLES || sl->procs < SLOT_MIN_PROCS ||
	    sl->max_fds - sl->min_fds < SOAK_LEAK_MIN_GROWTH)
		return 0;
	fit_get(&sl->fit, &f);
	return f.slope > 0 && f.r2 >= SLOT_MIN_R2;
}

void slot_feed(struct tracker *tr, const struct tracked *e,
	       const struct sproc *p, double t, uint64_t wall)
{
	struct slot_track *sl;

	if (p->role != ROLE_AGENT || !e->name[0] || p->fds < 0)
		return;
	sl = slot_get(tr, e->name);
	if (!sl)
		return;
	if (!sl->fit.n) {
		sl->first_t = t;
		sl->first_wall = wall;
		sl->min_fds = sl->max_fds = p->fds;
		sl->round = e->round;
	}
	if (sl->last_pid != p->pid || sl->last_start != p->start) {
		sl->procs++;
		sl->last_pid = p->pid;
		sl->last_start = p->start;
	}
	if (p->fds < sl->min_fds)
		sl->min_fds = p->fds;
	if (p->fds > sl->max_fds)
		sl->max_fds = p->fds;
	sl->last_fds = p->fds;
	fit_add(&sl->fit, p->age_s, p->fds);
	if (!slot_leaking(sl))
		return;
	if (!sl->leaking)
		sl->flagged_t = t;
	sl->leaking = 1;
	if (p->fds - sl->min_fds >= 2)
		sproc_top_target(p->pid, (unsigned)(p->fds - sl->min_fds),
				 sl->target, sizeof(sl->target));
}

static int named(const struct soak_report *rep, const char *name)
{
	unsigned i;

	for (i = 0; i < rep->nleaks; i++)
		if (!strcmp(rep->leaks[i].agent, name))
			return 1;
	return 0;
}

/* After the per-process leaks: slots none of whose processes was named. */
void slot_report(const struct tracker *tr, struct soak_report *rep)
{
	struct soak_fit f;
	size_t i;

	for (i = 0; i < tr->nslots && rep->nleaks < SOAK_MAX_LEAKS; i++) {
		const struct slot_track *sl = &tr->slots[i];
		struct soak_leak *l;

		if (!sl->leaking || named(rep, sl->name))
			continue;
		fit_get(&sl->fit, &f);
		l = &rep->leaks[rep->nleaks++];
		memset(l, 0, sizeof(*l));
		l->pid = sl->last_pid;
		snprintf(l->agent, sizeof(l->agent), "%s", sl->name);
		l->role = "agent";
		l->scope = "slot";
		snprintf(l->target, sizeof(l->target), "%s", sl->target);
		l->rate_per_min = f.slope * 60.0;
		l->first_seen_s = sl->first_t;
		l->first_seen_wall_ns = sl->first_wall;
		l->flagged_s = sl->flagged_t;
		l->fds_first = sl->min_fds;
		l->fds_last = sl->max_fds;
		l->samples = sl->fit.n;
		l->processes = sl->procs;
		l->round = sl->round;
	}
}
