/* swarm soak: verdicts against docs/PERFORMANCE_TARGETS.md, Long-Running
 * Stability (a miss is critical) and Alerting Thresholds (warning /
 * critical). */
#include <string.h>

#include "metrics.h"
#include "metrics_http.h"
#include "soak_impl.h"
#include "swarm.h"

#define MEM_WARN_MB_H   50.0
#define MEM_CRIT_MB_H  100.0
#define MEM_GROWTH_PCT  20.0
/* A slope is judged only when the trend explains at least half of the
 * variance over enough samples: a short run's sawtooth (fresh master every
 * round, agents coming and going) is noise, not growth. */
#define MEM_MIN_SAMPLES 5
#define MEM_MIN_R2      0.5
/* ...and when the fitted rise over the run is at least 1 MB: below that,
 * a few pages of allocator slack extrapolated to an hour look like a leak
 * in a short run. */
#define MEM_MIN_RISE_KB 1024.0
#define FDS_WARN        800
#define FDS_CRIT       1000
#define DRIFT_PCT        5.0
#define RATE_WARN       90.0
#define RATE_CRIT       85.0
#define COORD_WARN_S    30.0
#define COORD_CRIT_S    45.0

const char *soak_level_name(int level)
{
	return level == SOAK_CRIT ? "critical" : level == SOAK_WARN ? "warning"
								    : "pass";
}

static int max_level(int a, int b)
{
	return a > b ? a : b;
}

/* kB per second -> MB per hour */
static double mb_h(const struct soak_fit *f)
{
	return f->slope * 3600.0 / 1024.0;
}

int soak_judge_memory(const struct soak_fit *f)
{
	double growth;

	if (f->n < MEM_MIN_SAMPLES || f->r2 < MEM_MIN_R2 ||
	    f->end - f->start < MEM_MIN_RISE_KB)
		return SOAK_PASS;
	if (mb_h(f) > MEM_CRIT_MB_H)
		return SOAK_CRIT;
	growth = f->start > 0 ? (f->end - f->start) / f->start * 100.0 : 0;
	if (growth > MEM_GROWTH_PCT)
		return SOAK_CRIT;
	return mb_h(f) > MEM_WARN_MB_H ? SOAK_WARN : SOAK_PASS;
}

/* Mean rate of the first (dir 1) or last (dir -1) k non-empty buckets. */
static double edge_mean(const struct soak *s, int dir, unsigned k)
{
	double sum = 0;
	unsigned n = 0, used = 0;
	int b = dir > 0 ? 0 : SOAK_BUCKETS - 1;

	for (; b >= 0 && b < SOAK_BUCKETS && used < k; b += dir)
		if (s->bucket_n[b]) {
			sum += s->bucket_sum[b];
			n += s->bucket_n[b];
			used++;
		}
	return n ? sum / n : 0;
}

/* Drift: the rounds of the first third of the (non-empty) time buckets
 * against those of the last third, relative to the first. */
static void delivery(struct soak *s, struct soak_report *rep)
{
	unsigned nb = 0, k, b;
	double d;

	if (!s->nrounds)
		return;
	for (b = 0; b < SOAK_BUCKETS; b++)
		nb += s->bucket_n[b] > 0;
	k = nb >= 3 ? nb / 3 : 1;
	rep->rate_first = edge_mean(s, 1, k);
	rep->rate_last = edge_mean(s, -1, k);
	rep->rate_mean = s->rate_sum / s->nrounds;
	rep->rate_min = s->rate_min;
	rep->coord_s_min = s->cs_min;
	rep->coord_s_max = s->cs_max;
	rep->coord_s_mean = s->cs_sum / s->nrounds;
	d = rep->rate_last - rep->rate_first;
	rep->drift_pct = nb >= 2 && rep->rate_first > 0 ?
		(d < 0 ? -d : d) / rep->rate_first * 100.0 : 0;
	rep->v_delivery = rep->drift_pct > DRIFT_PCT || rep->rate_min < RATE_CRIT ?
		SOAK_CRIT : rep->rate_min < RATE_WARN ? SOAK_WARN : SOAK_PASS;
	rep->v_coord_time = rep->coord_s_max > COORD_CRIT_S ? SOAK_CRIT :
			    rep->coord_s_max > COORD_WARN_S ? SOAK_WARN : SOAK_PASS;
}

static void final_metrics(struct soak *s)
{
	if (!s->m)
		return;
	metrics_set(s->m, "swarm_up", NULL, 0, 0);
	metrics_set(s->m, "swarm_rounds_total", NULL, 0, s->rep->rounds);
	metrics_set(s->m, "swarm_soak_fd_leaks", NULL, 0, s->rep->nleaks);
	metrics_set(s->m, "swarm_soak_crashes_total", NULL, 0,
		    s->rep->agent_crashes + s->rep->coord_crashes);
	if (s->o->metrics_file)
		metrics_write_file(s->m, s->o->metrics_file);
	if (s->http)
		metrics_http_publish(s->http, s->m);
}

void soak_conclude(struct soak *s)
{
	struct soak_report *rep = s->rep;

	tracker_report(&s->tr, rep);
	fit_get(&s->mem_master, &rep->mem_master);
	fit_get(&s->mem_coord, &rep->mem_coord);
	fit_get(&s->mem_agent, &rep->mem_agent);
	rep->v_memory = max_level(max_level(soak_judge_memory(&rep->mem_master),
					    soak_judge_memory(&rep->mem_coord)),
				  max_level(soak_judge_memory(&rep->mem_agent),
					    rep->v_mem_proc));
	rep->v_fds = rep->nleaks || rep->coord_fds_peak > FDS_CRIT ? SOAK_CRIT :
		     rep->coord_fds_peak > FDS_WARN ? SOAK_WARN : SOAK_PASS;
	delivery(s, rep);
	rep->v_crashes = rep->agent_crashes + rep->coord_crashes ? SOAK_CRIT
								 : SOAK_PASS;
	rep->verdict = max_level(max_level(rep->v_memory, rep->v_fds),
				 max_level(max_level(rep->v_delivery,
						     rep->v_coord_time),
					   rep->v_crashes));
	rep->exit_code = rep->verdict == SOAK_CRIT ? EXIT_JOB :
			 rep->verdict == SOAK_WARN ? EXIT_SOAK_WARNING : EXIT_OK;
	if (rep->interrupted)
		rep->exit_code = 128 + rep->interrupted;
	final_metrics(s);
}
