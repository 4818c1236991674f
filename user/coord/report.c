/* Run reports: text, JSON, and --results lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "swarm.h"

int lat_add(struct lat_samples *l, uint64_t us)
{
	uint32_t *nv;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;

		nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t lat_percentile(struct lat_samples *l, double p)
{
	size_t i;

	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(l->v[0]), cmp_u32);
	/* nearest-rank */
	i = (size_t)(p / 100.0 * (double)l->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > l->n)
		i = l->n;
	return l->v[i - 1];
}

void lat_free(struct lat_samples *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int report_add_failure(struct run_report *r, const char *agent,
		       const char *reason, int exit_status, int64_t task,
		       int status)
{
	struct report_failure *nf, *f;

	if (r->nfailures == r->cap_failures) {
		size_t cap = r->cap_failures ? r->cap_failures * 2 : 16;

		nf = realloc(r->failures, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		r->failures = nf;
		r->cap_failures = cap;
	}
	f = &r->failures[r->nfailures++];
	memset(f, 0, sizeof(*f));
	snprintf(f->agent, sizeof(f->agent), "%s", agent ? agent : "");
	snprintf(f->reason, sizeof(f->reason), "%s", reason ? reason : "");
	f->exit_status = exit_status;
	f->task = task;
	f->status = (uint8_t)status;
	return 0;
}

void report_free(struct run_report *r)
{
	free(r->failures);
	free(r->coords);
	r->failures = NULL;
	r->coords = NULL;
	r->nfailures = r->cap_failures = r->ncoords = 0;
}

static double rate(double n, double s)
{
	return s > 0 ? n / s : 0;
}

/* "" means none: null, as the readers of the report expect. */
static void str_or_null(struct jsonw *w, const char *name, const char *s)
{
	jsonw_string_field(w, name, s[0] ? s : NULL);
}

static void failures_json(struct jsonw *w, const struct run_report *r)
{
	size_t i;

	jsonw_name(w, "failures");
	jsonw_start_array(w);
	for (i = 0; i < r->nfailures; i++) {
		const struct report_failure *x = &r->failures[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "agent", x->agent);
		jsonw_string_field(w, "reason", x->reason);
		jsonw_string_field(w, "status", task_status_name(x->status));
		jsonw_int_field(w, "exit_status", x->exit_status);
		if (x->task >= 0)
			jsonw_int_field(w, "task", x->task + 1);
		else
			jsonw_null_field(w, "task");
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void coords_json(struct jsonw *w, const struct run_report *r)
{
	size_t i;

	jsonw_name(w, "coordinator_detail");
	jsonw_start_array(w);
	for (i = 0; i < r->ncoords; i++) {
		const struct report_coord *c = &r->coords[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "name", c->name);
		jsonw_int_field(w, "pid", c->pid);
		jsonw_uint_field(w, "workers", c->workers);
		jsonw_uint_field(w, "fds_peak", c->fds_peak);
		jsonw_uint_field(w, "rss_peak_kb", c->rss_peak_kb);
		jsonw_uint_field(w, "messages", c->messages);
		jsonw_uint_field(w, "restarts", c->restarts);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void privileges_json(struct jsonw *w, const struct run_report *r)
{
	jsonw_name(w, "privileges");
	if (!r->priv_dropped) {
		jsonw_null(w);
		return;
	}
	jsonw_start_object(w);
	str_or_null(w, "user", r->run_as);
	if (r->run_as[0])
		jsonw_uint_field(w, "uid", r->run_as_uid);
	jsonw_string_field(w, "master_caps", r->caps_kept);
	jsonw_end_object(w);
}

/* The older FILE* callback: its text rendered apart and copied in. */
/* A section from its plug-in: 1 if it wrote one, 0 if it has none. */
static int section_json(struct jsonw *w, const char *name, const struct report_kernel *k)
{
	if (!k || !k->json)
		return 0;
	jsonw_name(w, name);
	k->json(w, k->arg);
	return 1;
}

void report_kernel_value(struct jsonw *w, const struct report_kernel *k)
{
	if (k && k->json) {
		k->json(w, k->arg);
		return;
	}
	jsonw_start_object(w);
	jsonw_bool_field(w, "enabled", false);
	jsonw_string_field(w, "reason", k && k->off_reason ? k->off_reason
							     : "tracing not built in");
	jsonw_end_object(w);
}

static void kernel_json(struct jsonw *w, const struct run_report *r)
{
	jsonw_name(w, "kernel");
	report_kernel_value(w, r->kernel);
}

static void counts_json(struct jsonw *w, const struct run_report *r)
{
	double rate_d = r->expected ? (double)r->delivered / (double)r->expected : 1.0;

	jsonw_uint_field(w, "agents", r->agents);
	jsonw_uint_field(w, "coordinators", r->coordinators);
	jsonw_uint_field(w, "expected", r->expected);
	jsonw_uint_field(w, "delivered", r->delivered);
	jsonw_uint_field(w, "failed", r->failed);
	jsonw_uint_field(w, "duplicates", r->duplicates);
	jsonw_float_field(w, "delivery_rate", "%.4f", rate_d);
	jsonw_float_field(w, "coordination_s", "%.6f", r->coordination_s);
	jsonw_float_field(w, "spawn_s", "%.6f", r->spawn_s);
	jsonw_float_field(w, "total_s", "%.6f", r->total_s);
	jsonw_float_field(w, "agents_per_s", "%.1f", rate(r->agents, r->coordination_s));
	jsonw_uint_field(w, "messages", r->messages);
	jsonw_float_field(w, "msgs_per_s", "%.1f",
			  rate((double)r->messages, r->coordination_s));
	jsonw_name(w, "latency_us");
	jsonw_start_object(w);
	jsonw_uint_field(w, "p50", r->lat_p50_us);
	jsonw_uint_field(w, "p95", r->lat_p95_us);
	jsonw_uint_field(w, "p99", r->lat_p99_us);
	jsonw_uint_field(w, "samples", r->lat_samples);
	jsonw_end_object(w);
	jsonw_uint_field(w, "shm_peak_bytes", r->shm_peak_bytes);
	jsonw_uint_field(w, "fds_peak", r->fds_peak);
	jsonw_uint_field(w, "rss_peak_kb", r->rss_peak_kb);
	jsonw_uint_field(w, "agents_rss_peak_kb", r->agents_rss_peak_kb);
}

void report_print_json(FILE *f, const struct run_report *r)
{
	struct jsonw w;

	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", REPORT_SCHEMA_VERSION);
	jsonw_string_field(&w, "topology", r->topology);
	counts_json(&w, r);
	jsonw_bool_field(&w, "timed_out", r->timed_out);
	jsonw_bool_field(&w, "interrupted", r->interrupted);
	jsonw_uint_field(&w, "coordinator_restarts", r->coordinator_restarts);
	jsonw_uint_field(&w, "retried", r->retried);
	jsonw_int_field(&w, "exit_code", r->exit_code);
	str_or_null(&w, "bus_dir", r->bus_dir);
	jsonw_bool_field(&w, "bus_kept", r->bus_kept);
	str_or_null(&w, "logs_dir", r->logs_dir);
	jsonw_bool_field(&w, "logs_removed", r->logs_removed);
	str_or_null(&w, "cgroup", r->cgroup);
	privileges_json(&w, r);
	failures_json(&w, r);
	coords_json(&w, r);
	kernel_json(&w, r);
	section_json(&w, "nats", r->nats);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

void report_print_text(FILE *f, const struct run_report *r)
{
	double rate_d = r->expected ? 100.0 * (double)r->delivered / (double)r->expected
				    : 100.0;
	size_t i, shown = r->nfailures > 50 ? 50 : r->nfailures;

	fprintf(f, "swarm run: %s, %u agents", r->topology, r->agents);
	if (r->coordinators)
		fprintf(f, " under %u coordinators", r->coordinators);
	fprintf(f, "%s%s\n", r->timed_out ? " (TIMED OUT)" : "",
		r->interrupted ? " (INTERRUPTED)" : "");
	fprintf(f, "  delivered    %llu / %llu (%.1f %%), %llu failed\n",
		(unsigned long long)r->delivered, (unsigned long long)r->expected,
		rate_d, (unsigned long long)r->failed);
	fprintf(f, "  time         %.3f s total, %.3f s spawning, %.1f agents/s\n",
		r->coordination_s, r->spawn_s, rate(r->agents, r->coordination_s));
	fprintf(f, "  messages     %llu (%.0f msg/s), latency p50 %llu us, "
		"p95 %llu us, p99 %llu us\n",
		(unsigned long long)r->messages,
		rate((double)r->messages, r->coordination_s),
		(unsigned long long)r->lat_p50_us, (unsigned long long)r->lat_p95_us,
		(unsigned long long)r->lat_p99_us);
	fprintf(f, "  resources    /dev/shm peak %llu KiB, fds peak %u, "
		"rss peak %llu KiB (agents %llu KiB)\n",
		(unsigned long long)(r->shm_peak_bytes >> 10), r->fds_peak,
		(unsigned long long)r->rss_peak_kb,
		(unsigned long long)r->agents_rss_peak_kb);
	if (r->coordinator_restarts || r->duplicates)
		fprintf(f, "  recovery     %u coordinator replacements, %llu duplicate "
			"results dropped\n", r->coordinator_restarts,
			(unsigned long long)r->duplicates);
	if (r->logs_removed)
		fprintf(f, "  logs         removed: every task succeeded and no agent wrote "
			"anything (--keep-logs keeps them)\n");
	else
		fprintf(f, "  logs         %s\n", r->logs_dir[0] ? r->logs_dir : "-");
	if (r->priv_dropped && r->run_as[0])
		fprintf(f, "  privileges   agents ran as %s (uid %u); the master kept "
			"only: %s\n", r->run_as, r->run_as_uid, r->caps_kept);
	else if (r->priv_dropped)
		fprintf(f, "  privileges   every capability dropped after setup\n");
	if (r->bus_kept)
		fprintf(f, "  bus          %s (kept)\n", r->bus_dir[0] ? r->bus_dir : "-");
	if (r->nats && r->nats->emit_text)
		r->nats->emit_text(f, r->nats->arg);
	if (r->kernel && r->kernel->emit_text)
		r->kernel->emit_text(f, r->kernel->arg);
	else if (r->kernel && r->kernel->off_reason)
		fprintf(f, "  kernel       off: %s\n", r->kernel->off_reason);
	for (i = 0; i < shown; i++) {
		const struct report_failure *x = &r->failures[i];

		fprintf(f, "  FAILED %-10s", x->agent);
		if (x->task >= 0)
			fprintf(f, " task %lld:", (long long)x->task + 1);
		fprintf(f, " %s\n", x->reason);
	}
	if (shown < r->nfailures)
		fprintf(f, "  ... and %zu more failures (see --json)\n",
			r->nfailures - shown);
}

void report_print_brief(FILE *f, const struct run_report *r)
{
	size_t i, shown = r->nfailures > 20 ? 20 : r->nfailures;

	if (!r->exit_code)
		shown = 0;    /* --halt success=: the rest was stopped on purpose */
	/* stdout closed under us (`| head`): the reader chose that; xargs and
	 * GNU parallel stay quiet too */
	if (r->interrupted && r->exit_code == 128 + 13)
		return;

	if (r->interrupted)
		fprintf(f, "swarm: interrupted (exit %d): %llu of %llu tasks done\n",
			r->exit_code, (unsigned long long)r->delivered,
			(unsigned long long)r->expected);
	else if (r->exit_code)
		fprintf(f, "swarm: %llu of %llu tasks failed%s (exit %d)\n",
			(unsigned long long)r->failed, (unsigned long long)r->expected,
			r->timed_out ? ", --timeout reached" : "", r->exit_code);
	for (i = 0; i < shown; i++) {
		const struct report_failure *x = &r->failures[i];

		fprintf(f, "swarm: FAILED");
		if (x->task >= 0)
			fprintf(f, " task %lld", (long long)x->task + 1);
		fprintf(f, " (%s): %s\n", x->agent, x->reason);
	}
	if (shown && shown < r->nfailures)
		fprintf(f, "swarm: ... and %zu more (--results FILE or --joblog FILE "
			"lists every task)\n", r->nfailures - shown);
	if (r->bus_kept && r->bus_dir[0])
		fprintf(f, "swarm: bus kept in %s\n", r->bus_dir);
	if (r->logs_dir[0] && r->exit_code)
		fprintf(f, "swarm: logs in %s\n", r->logs_dir);
}

void report_result_line(FILE *f, const struct task *t, const char *output,
			size_t out_len, int truncated)
{
	/* A task that never started has no duration and no exit status. */
	double dur = t->t_start_ns && t->t_end_ns > t->t_start_ns
		     ? (double)(t->t_end_ns - t->t_start_ns) / 1e9 : 0;
	int ran = t->t_start_ns != 0 && t->status != TS_NOT_STARTED;
	struct jsonw w;

	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", REPORT_SCHEMA_VERSION);
	jsonw_uint_field(&w, "task", (uint64_t)t->id + 1);
	jsonw_name(&w, "input");
	jsonw_string_len(&w, t->text, t->len);
	jsonw_string_field(&w, "agent", t->agent);
	jsonw_string_field(&w, "status", task_status_name(t->status));
	if (ran)
		jsonw_int_field(&w, "exit_status", t->exit_code);
	else
		jsonw_null_field(&w, "exit_status");
	jsonw_float_field(&w, "duration_s", "%.6f", dur);
	jsonw_uint_field(&w, "attempts", t->attempts);
	jsonw_name(&w, "output");
	if (output)
		jsonw_string_len(&w, output, out_len);
	else
		jsonw_null(&w);
	jsonw_bool_field(&w, "truncated", truncated);
	if (t->status != TS_OK)
		jsonw_string_field(&w, "reason", t->reason);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
