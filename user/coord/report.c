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

void report_json_str(FILE *f, const char *s, size_t len)
{
	json_str(f, s, len);
}

static void jstr(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	report_json_str(f, s, strlen(s));
}

static double rate(double n, double s)
{
	return s > 0 ? n / s : 0;
}

static void print_failures_json(FILE *f, const struct run_report *r)
{
	size_t i;

	fputs("\"failures\":[", f);
	for (i = 0; i < r->nfailures; i++) {
		const struct report_failure *x = &r->failures[i];

		fprintf(f, "%s{\"agent\":", i ? "," : "");
		jstr(f, x->agent);
		fputs(",\"reason\":", f);
		jstr(f, x->reason);
		fprintf(f, ",\"status\":\"%s\",\"exit_status\":%d,\"task\":",
			task_status_name(x->status), x->exit_status);
		if (x->task >= 0)
			fprintf(f, "%lld", (long long)x->task + 1);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputc(']', f);
}

static void print_coords_json(FILE *f, const struct run_report *r)
{
	size_t i;

	fputs("\"coordinator_detail\":[", f);
	for (i = 0; i < r->ncoords; i++) {
		const struct report_coord *c = &r->coords[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		jstr(f, c->name);
		fprintf(f, ",\"pid\":%d,\"workers\":%u,\"fds_peak\":%u,"
			"\"rss_peak_kb\":%llu,\"messages\":%llu,\"restarts\":%u}",
			c->pid, c->workers, c->fds_peak,
			(unsigned long long)c->rss_peak_kb,
			(unsigned long long)c->messages, c->restarts);
	}
	fputc(']', f);
}

static void print_privileges_json(FILE *f, const struct run_report *r)
{
	if (!r->priv_dropped) {
		fputs("null", f);
		return;
	}
	fputs("{\"user\":", f);
	jstr(f, r->run_as[0] ? r->run_as : NULL);
	if (r->run_as[0])
		fprintf(f, ",\"uid\":%u", r->run_as_uid);
	fputs(",\"master_caps\":", f);
	jstr(f, r->caps_kept);
	fputc('}', f);
}

void report_print_json(FILE *f, const struct run_report *r)
{
	double rate_d = r->expected ? (double)r->delivered / (double)r->expected : 1.0;

	fprintf(f, "{\"schema_version\":%d,\"topology\":", REPORT_SCHEMA_VERSION);
	jstr(f, r->topology);
	fprintf(f, ",\"agents\":%u,\"coordinators\":%u,\"expected\":%llu,"
		"\"delivered\":%llu,\"failed\":%llu,\"duplicates\":%llu,"
		"\"delivery_rate\":%.4f,\"coordination_s\":%.6f,\"spawn_s\":%.6f,"
		"\"total_s\":%.6f,\"agents_per_s\":%.1f,\"messages\":%llu,\"msgs_per_s\":%.1f,"
		"\"latency_us\":{\"p50\":%llu,\"p95\":%llu,\"p99\":%llu,\"samples\":%llu},"
		"\"shm_peak_bytes\":%llu,\"fds_peak\":%u,\"rss_peak_kb\":%llu,"
		"\"agents_rss_peak_kb\":%llu,\"timed_out\":%s,\"interrupted\":%s,"
		"\"coordinator_restarts\":%u,\"retried\":%u,\"exit_code\":%d,\"bus_dir\":",
		r->agents, r->coordinators, (unsigned long long)r->expected,
		(unsigned long long)r->delivered, (unsigned long long)r->failed,
		(unsigned long long)r->duplicates, rate_d, r->coordination_s,
		r->spawn_s, r->total_s, rate(r->agents, r->coordination_s),
		(unsigned long long)r->messages,
		rate((double)r->messages, r->coordination_s),
		(unsigned long long)r->lat_p50_us, (unsigned long long)r->lat_p95_us,
		(unsigned long long)r->lat_p99_us, (unsigned long long)r->lat_samples,
		(unsigned long long)r->shm_peak_bytes, r->fds_peak,
		(unsigned long long)r->rss_peak_kb,
		(unsigned long long)r->agents_rss_peak_kb,
		r->timed_out ? "true" : "false", r->interrupted ? "true" : "false",
		r->coordinator_restarts, r->retried, r->exit_code);
	jstr(f, r->bus_dir[0] ? r->bus_dir : NULL);
	fprintf(f, ",\"bus_kept\":%s,\"logs_dir\":", r->bus_kept ? "true" : "false");
	jstr(f, r->logs_dir[0] ? r->logs_dir : NULL);
	fprintf(f, ",\"logs_removed\":%s", r->logs_removed ? "true" : "false");
	fputs(",\"cgroup\":", f);
	jstr(f, r->cgroup[0] ? r->cgroup : NULL);
	fputs(",\"privileges\":", f);
	print_privileges_json(f, r);
	fputc(',', f);
	print_failures_json(f, r);
	fputc(',', f);
	print_coords_json(f, r);
	fputs(",\"kernel\":", f);
	if (r->kernel && r->kernel->emit_json) {
		r->kernel->emit_json(f, r->kernel->arg);
	} else {
		fputs("{\"enabled\":false,\"reason\":", f);
		jstr(f, r->kernel && r->kernel->off_reason ? r->kernel->off_reason
							   : "tracing not built in");
		fputc('}', f);
	}
	if (r->nats && r->nats->emit_json) {
		fputs(",\"nats\":", f);
		r->nats->emit_json(f, r->nats->arg);
	}
	fputs("}\n", f);
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

	fprintf(f, "{\"schema_version\":%d,\"task\":%u,\"input\":",
		REPORT_SCHEMA_VERSION, t->id + 1);
	report_json_str(f, t->text, t->len);
	fputs(",\"agent\":", f);
	jstr(f, t->agent);
	fprintf(f, ",\"status\":\"%s\",\"exit_status\":", task_status_name(t->status));
	if (ran)
		fprintf(f, "%d", t->exit_code);
	else
		fputs("null", f);
	fprintf(f, ",\"duration_s\":%.6f,\"attempts\":%u,\"output\":", dur, t->attempts);
	if (output)
		report_json_str(f, output, out_len);
	else
		fputs("null", f);
	fprintf(f, ",\"truncated\":%s", truncated ? "true" : "false");
	if (t->status != TS_OK) {
		fputs(",\"reason\":", f);
		jstr(f, t->reason);
	}
	fputs("}\n", f);
}
