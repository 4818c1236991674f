/* swarm soak: least squares, and the per-process fd leak tracker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak_impl.h"

/* t is shifted by the first t seen so the sums stay well conditioned over
 * a 24 h run. */
void fit_add(struct fit_acc *a, double t, double y)
{
	if (!a->n)
		a->t0 = t;
	a->t1 = t;
	t -= a->t0;
	a->n++;
	a->st += t;
	a->sy += y;
	a->stt += t * t;
	a->sty += t * y;
	a->syy += y * y;
}

void fit_get(const struct fit_acc *a, struct soak_fit *out)
{
	double n = a->n, vt, vy, cov, icpt;

	memset(out, 0, sizeof(*out));
	out->n = a->n;
	if (a->n < 2)
		return;
	vt = a->stt - a->st * a->st / n;
	vy = a->syy - a->sy * a->sy / n;
	cov = a->sty - a->st * a->sy / n;
	if (vt <= 0)
		return;
	out->slope = cov / vt;
	icpt = (a->sy - out->slope * a->st) / n;
	out->start = icpt;
	out->end = icpt + out->slope * (a->t1 - a->t0);
	/* A flat series explains nothing and has nothing to explain. */
	out->r2 = vy > 0 ? cov * cov / (vt * vy) : 0;
}

static struct tracked *find(struct tracker *tr, const struct sproc *p)
{
	struct tracked *nv;
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->v[i].pid == p->pid && tr->v[i].start == p->start)
			return &tr->v[i];
	if (tr->n == tr->cap) {
		size_t cap = tr->cap ? tr->cap * 2 : 64;

		nv = realloc(tr->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		tr->v = nv;
		tr->cap = cap;
	}
	nv = &tr->v[tr->n++];
	memset(nv, 0, sizeof(*nv));
	nv->pid = p->pid;
	nv->start = p->start;
	nv->role = p->role;
	nv->alive = 1;
	return nv;
}

static int looks_leaking(const struct tracked *e)
{
	struct soak_fit f;

	if (e->n < SOAK_LEAK_MIN_SAMPLES)
		return 0;
	if (e->last_val - e->first_val < SOAK_LEAK_MIN_GROWTH)
		return 0;
	if (e->downs * 4 > e->n - 1 || e->last_val < e->max_val - 1)
		return 0;
	/* Still rising: a quarter of the rise at least since the sample at
	 * the last power of two. An agent that opened its bus files once at
	 * start-up (5 -> 9 fds, then flat) is not a leak; one was flagged so
	 * in a healthy soak. */
	if ((e->last_val - e->mid_val) * 4 < e->last_val - e->first_val)
		return 0;
	fit_get(&e->fit, &f);
	return f.slope > 0;
}

static int is_pow2(unsigned n)
{
	return n && !(n & (n - 1));
}

/* RSS of one process over its life: judged like the run's series, and
 * only while it is still rising (the last value near the top and at least
 * a quarter of the rise after the sample at the last power of two), so a
 * process that grew once at start-up and then held steady is not a leak. */
static void mem_feed(struct tracker *tr, struct tracked *e, double t,
		     uint64_t rss)
{
	struct soak_fit f;
	int level;

	if (!rss)
		return;
	if (!e->mem.n)
		e->rss_first = e->rss_mid = rss;
	fit_add(&e->mem, t, (double)rss);
	if (is_pow2(e->mem.n))
		e->rss_mid = rss;
	if (rss > e->rss_max)
		e->rss_max = rss;
	e->rss_last = rss;
	if (rss + 64 < e->rss_max || rss <= e->rss_first ||
	    (rss - e->rss_mid) * 4 < rss - e->rss_first)
		return;
	fit_get(&e->mem, &f);
	level = soak_judge_memory(&f);
	if (level < tr->mem_level || (level == tr->mem_level &&
				      f.slope <= tr->mem_fit.slope))
		return;
	tr->mem_level = level;
	tr->mem_pid = e->pid;
	tr->mem_role = e->role;
	tr->mem_fit = f;
	memcpy(tr->mem_name, e->name, sizeof(tr->mem_name));
}

struct tracked *tracker_feed(struct tracker *tr, const struct sproc *p,
			     unsigned round, double t, uint64_t wall)
{
	struct tracked *e = find(tr, p);
	/* a hybrid master holds one pidfd per coordinator: not a leak (pools
	 * reap their agents through one signalfd and hold none per agent) */
	int val = p->fds - (p->role == ROLE_MASTER && tr->hybrid ? p->children : 0);

	if (!e || p->fds < 0)
		return e;
	e->seen = 1;
	if (!e->n) {
		e->first_t = t;
		e->first_wall = wall;
		e->first_val = e->max_val = e->mid_val = val;
		e->first_fds = p->fds;
		e->round = round;
		if (p->role == ROLE_MASTER)
			strcpy(e->name, "master");
		else
			sproc_name(p->pid, tr->logs_dir, e->name, sizeof(e->name));
	} else if (val < e->last_val) {
		e->downs++;
	}
	e->n++;
	if (is_pow2(e->n))
		e->mid_val = val;
	e->last_val = val;
	e->last_fds = p->fds;
	if (val > e->max_val)
		e->max_val = val;
	fit_add(&e->fit, t, val);
	mem_feed(tr, e, t, p->rss_kb);
	slot_feed(tr, e, p, t, wall);
	if (looks_leaking(e)) {
		if (!e->leaking)
			e->flagged_t = t;
		e->leaking = 1;
		/* the newest fds are the leaked ones: as many as it grew */
		sproc_top_target(p->pid, (unsigned)(e->last_val - e->first_val),
				 e->target, sizeof(e->target));
	} else if (e->leaking && e->last_val < e->max_val - 1) {
		e->leaking = 0;  /* it gave them back: it was holding, not leaking */
	}
	return e;
}

void tracker_sweep(struct tracker *tr)
{
	size_t i, k = 0;

	for (i = 0; i < tr->n; i++) {
		struct tracked *e = &tr->v[i];

		if (!e->seen)
			e->alive = 0;
		e->seen = 0;
		if (e->alive || e->leaking)
			tr->v[k++] = *e;
	}
	tr->n = k;
}

void tracker_free(struct tracker *tr)
{
	free(tr->v);
	free(tr->slots);
	memset(tr, 0, sizeof(*tr));
}

static const char *role_name(int role)
{
	return role == ROLE_MASTER ? "master" :
	       role == ROLE_COORD ? "coordinator" : "agent";
}

static int cmp_rate(const void *a, const void *b)
{
	double x = ((const struct soak_leak *)a)->rate_per_min;
	double y = ((const struct soak_leak *)b)->rate_per_min;

	return (x < y) - (x > y);
}

void tracker_report(const struct tracker *tr, struct soak_report *rep)
{
	struct soak_fit f;
	size_t i;

	rep->nleaks = 0;
	if (tr->mem_pid) {
		rep->mem_proc_pid = tr->mem_pid;
		rep->v_mem_proc = tr->mem_level;
		rep->mem_proc_role = role_name(tr->mem_role);
		rep->mem_proc = tr->mem_fit;
		memcpy(rep->mem_proc_agent, tr->mem_name, sizeof(rep->mem_proc_agent));
	}
	for (i = 0; i < tr->n && rep->nleaks < SOAK_MAX_LEAKS; i++) {
		const struct tracked *e = &tr->v[i];
		struct soak_leak *l;

		if (!e->leaking)
			continue;
		l = &rep->leaks[rep->nleaks++];
		fit_get(&e->fit, &f);
		l->pid = e->pid;
		snprintf(l->agent, sizeof(l->agent), "%s", e->name);
		l->role = role_name(e->role);
		l->scope = "process";
		l->has_kernel = e->has_kernel;
		l->k_base = e->k_base;
		l->k_now = e->k_now;
		memcpy(l->k_file, e->k_file, sizeof(l->k_file));
		l->processes = 1;
		snprintf(l->target, sizeof(l->target), "%s", e->target);
		l->rate_per_min = f.slope * 60.0;
		l->first_seen_s = e->first_t;
		l->first_seen_wall_ns = e->first_wall;
		l->flagged_s = e->flagged_t;
		l->fds_first = e->first_fds;
		l->fds_last = e->last_fds;
		l->samples = e->n;
		l->round = e->round;
	}
	qsort(rep->leaks, rep->nleaks, sizeof(rep->leaks[0]), cmp_rate);
	slot_report(tr, rep);
}
