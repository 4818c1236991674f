/* swarm soak: one sample of every process of the round in flight: the
 * fd tracker, memory series, /dev/shm, the JSON-lines log, metrics and the
 * progress line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "json.h"
#include "metrics.h"
#include "metrics_http.h"
#include "soak_impl.h"
#include "swarm.h"

struct agg {
	unsigned n;
	int fds_sum, fds_max;
	uint64_t rss_sum, rss_max;
};

static void agg_add(struct agg *a, const struct sproc *p)
{
	a->n++;
	a->fds_sum += p->fds > 0 ? p->fds : 0;
	if (p->fds > a->fds_max)
		a->fds_max = p->fds;
	a->rss_sum += p->rss_kb;
	if (p->rss_kb > a->rss_max)
		a->rss_max = p->rss_kb;
}

struct snap {
	struct agg master, coord, agent;
	uint64_t shm;
	double t;
};

static uint64_t shm_bytes(const char *dir)
{
	struct bus *b;
	uint64_t v;

	if (!dir[0] || bus_open(dir, &b))
		return 0;   /* between rounds, or removed under us */
	v = bus_disk_bytes(b);
	bus_close(b);
	return v;
}

static void agg_json(struct jsonw *w, const char *name, const struct agg *a)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_uint_field(w, "count", a->n);
	jsonw_int_field(w, "fds_sum", a->fds_sum);
	jsonw_int_field(w, "fds_max", a->fds_max);
	jsonw_uint_field(w, "rss_kb_sum", a->rss_sum);
	jsonw_uint_field(w, "rss_kb_max", a->rss_max);
	jsonw_end_object(w);
}

static const char *role_name(int role)
{
	return role == ROLE_MASTER ? "master" : role == ROLE_COORD ? "coordinator" : "agent";
}

static void processes_json(struct jsonw *w, const struct sproc *v, size_t n)
{
	size_t i;

	jsonw_name(w, "processes");
	jsonw_start_array(w);
	for (i = 0; i < n; i++) {
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", v[i].pid);
		jsonw_string_field(w, "role", role_name(v[i].role));
		jsonw_int_field(w, "fds", v[i].fds);
		jsonw_uint_field(w, "rss_kb", v[i].rss_kb);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void leaking_json(struct jsonw *w, const struct soak *s)
{
	size_t i;

	jsonw_name(w, "leaking");
	jsonw_start_array(w);
	for (i = 0; i < s->tr.n; i++) {
		const struct tracked *e = &s->tr.v[i];

		if (!e->leaking || !e->seen)
			continue;
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", e->pid);
		jsonw_string_field(w, "agent", e->name);
		jsonw_int_field(w, "fds", e->last_fds);
		jsonw_string_field(w, "file", e->target);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void sample_line(struct soak *s, const struct snap *x,
			const struct sproc *v, size_t n)
{
	FILE *f = s->samples;
	char when[32];
	time_t now = time(NULL);
	struct jsonw w;
	struct tm tm;

	if (!f)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", SOAK_SCHEMA_VERSION);
	jsonw_string_field(&w, "type", "sample");
	jsonw_float_field(&w, "t_s", "%.3f", x->t);
	jsonw_string_field(&w, "time", when);
	jsonw_uint_field(&w, "round", s->round);
	jsonw_int_field(&w, "master_pid", x->master.n ? (int)v[0].pid : 0);
	agg_json(&w, "master", &x->master);
	agg_json(&w, "coordinators", &x->coord);
	agg_json(&w, "agents", &x->agent);
	jsonw_uint_field(&w, "shm_bytes", x->shm);
	processes_json(&w, v, n);
	leaking_json(&w, s);
	jsonw_end_object(&w);
	jsonw_newline(&w);
	fflush(f);
}

static unsigned live_leaks(const struct soak *s)
{
	unsigned k = 0;
	size_t i;

	for (i = 0; i < s->tr.n; i++)
		k += s->tr.v[i].leaking;
	return k;
}

static void set_proc(struct metrics *m, const char *name, const char *proc,
		     double v)
{
	struct metric_label l = { "process", proc };

	metrics_set(m, name, &l, 1, v);
}

static void set_role(struct metrics *m, const char *name, const char *role,
		     double v)
{
	struct metric_label l = { "role", role };

	metrics_set(m, name, &l, 1, v);
}

int soak_metrics_declare(struct metrics *m)
{
	int err = metrics_declare(m, "swarm_soak_fd_leaks", METRIC_GAUGE,
				  "processes found leaking fds so far");

	if (!err)
		err = metrics_declare(m, "swarm_soak_crashes_total", METRIC_COUNTER,
				      "agents killed by a signal and dead coordinators");
	if (!err)
		err = metrics_declare(m, "swarm_soak_elapsed_seconds", METRIC_GAUGE,
				      "time since the soak started");
	return err;
}

static void publish(struct soak *s, const struct snap *x)
{
	struct metric_label ver = { "version", SWARM_VERSION };
	struct metrics *m = s->m;
	const struct soak_opts *o = s->o;

	if (!m)
		return;
	metrics_set(m, "swarm_up", NULL, 0, 1);
	metrics_set(m, "swarm_build_info", &ver, 1, 1);
	set_role(m, "swarm_agents", "worker", x->agent.n);
	set_role(m, "swarm_agents_target", "worker", o->run.n);
	if (o->run.hybrid) {
		set_role(m, "swarm_agents", "coordinator", x->coord.n);
		set_role(m, "swarm_agents_target", "coordinator",
			 o->run.coordinators);
	}
	set_proc(m, "swarm_fds", "master", x->master.fds_sum);
	set_proc(m, "swarm_fds", "coordinator", x->coord.fds_sum);
	set_proc(m, "swarm_fds", "agents", x->agent.fds_sum);
	set_proc(m, "swarm_fds_max_per_process", "master", x->master.fds_max);
	set_proc(m, "swarm_fds_max_per_process", "coordinator", x->coord.fds_max);
	set_proc(m, "swarm_fds_max_per_process", "agents", x->agent.fds_max);
	set_proc(m, "swarm_rss_bytes", "master", (double)x->master.rss_sum * 1024);
	set_proc(m, "swarm_rss_bytes", "coordinator", (double)x->coord.rss_sum * 1024);
	set_proc(m, "swarm_rss_bytes", "agents", (double)x->agent.rss_sum * 1024);
	metrics_set(m, "swarm_shm_bytes", NULL, 0, (double)x->shm);
	metrics_set(m, "swarm_rounds_total", NULL, 0, s->rep->rounds);
	metrics_set(m, "swarm_delivery_ratio", NULL, 0, s->last_rate / 100.0);
	metrics_set(m, "swarm_coordination_seconds", NULL, 0, s->last_coord_s);
	metrics_set(m, "swarm_failed_total", NULL, 0, (double)s->failed_total);
	metrics_set(m, "swarm_soak_fd_leaks", NULL, 0, live_leaks(s));
	metrics_set(m, "swarm_soak_crashes_total", NULL, 0,
		    s->rep->agent_crashes + s->rep->coord_crashes);
	metrics_set(m, "swarm_soak_elapsed_seconds", NULL, 0, x->t);
	if (o->metrics_file)
		metrics_write_file(m, o->metrics_file);
	if (s->http)
		metrics_http_publish(s->http, m);
}

static void progress(const struct soak *s, const struct snap *x)
{
	int fds = x->master.fds_max > x->coord.fds_max ? x->master.fds_max
						       : x->coord.fds_max;

	fprintf(stderr, "\r\033[Ksoak %5.0fs/%.0fs  round %u  agents %u  "
		"fds coord %d agent max %d  rss %.1f MB  shm %.0f kB  leaks %u  "
		"crashes %u", x->t, s->o->duration_s, s->round, x->agent.n, fds,
		x->agent.fds_max,
		(double)(x->master.rss_sum + x->coord.rss_sum + x->agent.rss_sum) / 1024,
		(double)x->shm / 1024, live_leaks(s),
		s->rep->agent_crashes + s->rep->coord_crashes);
	fflush(stderr);
}

static void note_peaks(struct soak *s, const struct snap *x, uint64_t wall)
{
	struct soak_report *rep = s->rep;
	int cfds = x->master.fds_max > x->coord.fds_max ? x->master.fds_max
							: x->coord.fds_max;

	(void)wall;
	if ((unsigned)cfds > rep->coord_fds_peak)
		rep->coord_fds_peak = (unsigned)cfds;
	if ((unsigned)x->agent.fds_max > rep->agent_fds_peak)
		rep->agent_fds_peak = (unsigned)x->agent.fds_max;
	if (x->master.rss_sum + x->coord.rss_sum > rep->coord_rss_peak_kb)
		rep->coord_rss_peak_kb = x->master.rss_sum + x->coord.rss_sum;
	if (x->agent.rss_max > rep->agent_rss_peak_kb)
		rep->agent_rss_peak_kb = x->agent.rss_max;
	if (x->shm > rep->shm_peak_bytes)
		rep->shm_peak_bytes = x->shm;
	/* Three series, each of like processes: the master (forked from us,
	 * so it carries our pages), the hybrid coordinators (exec'd), the
	 * agents; means per process, so how many are alive at the sample
	 * (spawning, stopping) does not look like growth. */
	if (x->master.n)
		fit_add(&s->mem_master, x->t, (double)x->master.rss_sum);
	if (x->coord.n)
		fit_add(&s->mem_coord, x->t,
			(double)x->coord.rss_sum / x->coord.n);
	if (x->agent.n)
		fit_add(&s->mem_agent, x->t,
			(double)x->agent.rss_sum / x->agent.n);
}

void soak_sample(struct soak *s, uint64_t now)
{
	struct sproc *v = NULL;
	struct tracked *e;
	struct snap x;
	uint64_t wall = wall_ns();
	size_t n = 0, i;

	memset(&x, 0, sizeof(x));
	x.t = (double)(now - s->t0) / 1e9;
	if (s->child && sproc_scan(s->child, s->o->run.hybrid, &v, &n))
		n = 0;
	for (i = 0; i < n; i++) {
		/* exited, not yet reaped: no fds, no memory to judge */
		if (v[i].fds < 0 || !v[i].rss_kb)
			continue;
		agg_add(v[i].role == ROLE_MASTER ? &x.master :
			v[i].role == ROLE_COORD ? &x.coord : &x.agent, &v[i]);
		e = tracker_feed(&s->tr, &v[i], s->round, x.t, wall);
		if (e && e->leaking)
			soak_kernel_leak(s, e);
	}
	x.shm = shm_bytes(s->bus_dir);
	s->rep->samples++;
	note_peaks(s, &x, wall);
	sample_line(s, &x, v, n);
	tracker_sweep(&s->tr);
	publish(s, &x);
	if (s->o->progress)
		progress(s, &x);
	free(v);
}
