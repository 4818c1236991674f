/* swarm soak: the final report, human text or one JSON object. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "soak.h"

static const char *paint(int level, int color)
{
	if (!color)
		return "";
	return level == SOAK_CRIT ? "\033[31m" : level == SOAK_WARN ? "\033[33m"
								    : "\033[32m";
}

static void word(FILE *f, int level, int color)
{
	fprintf(f, "%s%-8s%s", paint(level, color), soak_level_name(level),
		color ? "\033[0m" : "");
}

static double mb_h(const struct soak_fit *fit)
{
	return fit->slope * 3600.0 / 1024.0;
}

static double growth(const struct soak_fit *fit)
{
	return fit->start > 0 ? (fit->end - fit->start) / fit->start * 100.0 : 0;
}

static void iso(uint64_t wall_ns, char *out, size_t len)
{
	time_t t = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void text_leaks(FILE *f, const struct soak_report *r)
{
	char when[32];
	unsigned i;

	for (i = 0; i < r->nleaks; i++) {
		const struct soak_leak *l = &r->leaks[i];

		iso(l->first_seen_wall_ns, when, sizeof(when));
		fprintf(f, "  LEAK %s %s pid %d (round %u%s): %d -> %d fds, "
			"%.1f fds/min, keeps opening %s; first seen %.1fs (%s)\n",
			l->role, l->agent[0] ? l->agent : "?", l->pid, l->round,
			strcmp(l->scope, "slot") ? "" : ", every process of the slot",
			l->fds_first, l->fds_last, l->rate_per_min,
			l->target[0] ? l->target : "?", l->first_seen_s, when);
		if (l->has_kernel)
			fprintf(f, "       kernel: %lld -> %lld open fds (+%lld); newest fds "
				"mostly '%s'\n", (long long)l->k_base, (long long)l->k_now,
				(long long)(l->k_now - l->k_base), l->k_file);
	}
}

void soak_report_text(FILE *f, const struct soak_report *r, int color)
{
	unsigned i;

	fprintf(f, "soak: %.0fs of %.0fs, %u rounds (+%u cut short), %u samples "
		"every %.1fs%s\n", r->elapsed_s, r->duration_s, r->rounds,
		r->rounds_cut, r->samples, r->interval_s,
		r->interrupted ? ", interrupted" : "");
	word(f, r->v_memory, color);
	fprintf(f, " memory: master %.1f MB/h (%+.1f %%, r2 %.2f)",
		mb_h(&r->mem_master), growth(&r->mem_master), r->mem_master.r2);
	if (r->mem_coord.n)
		fprintf(f, ", coordinator mean %.1f MB/h (%+.1f %%, r2 %.2f)",
			mb_h(&r->mem_coord), growth(&r->mem_coord), r->mem_coord.r2);
	fprintf(f, ", agent mean %.1f MB/h (%+.1f %%, r2 %.2f); peaks %llu kB "
		"(master + coordinators), %llu kB (agent)\n", mb_h(&r->mem_agent),
		growth(&r->mem_agent), r->mem_agent.r2,
		(unsigned long long)r->coord_rss_peak_kb,
		(unsigned long long)r->agent_rss_peak_kb);
	if (r->mem_proc_pid)
		fprintf(f, "  worst process: %s %s pid %d %.1f MB/h (%+.1f %%, r2 %.2f, "
			"%u samples)%s\n", r->mem_proc_role,
			r->mem_proc_agent[0] ? r->mem_proc_agent : "?",
			r->mem_proc_pid, mb_h(&r->mem_proc), growth(&r->mem_proc),
			r->mem_proc.r2, r->mem_proc.n,
			r->v_mem_proc ? " GROWING" : "");
	word(f, r->v_fds, color);
	fprintf(f, " fds: %u leaking processes; coordinator peak %u, agent peak %u\n",
		r->nleaks, r->coord_fds_peak, r->agent_fds_peak);
	text_leaks(f, r);
	word(f, r->v_delivery, color);
	fprintf(f, " delivery: %llu/%llu, per round min %.1f %% mean %.1f %%, "
		"drift %.1f %% (first %.1f %%, last %.1f %%)\n",
		(unsigned long long)r->tasks_delivered,
		(unsigned long long)r->tasks_expected, r->rate_min, r->rate_mean,
		r->drift_pct, r->rate_first, r->rate_last);
	word(f, r->v_coord_time, color);
	fprintf(f, " coordination time per round: min %.2fs mean %.2fs max %.2fs\n",
		r->coord_s_min, r->coord_s_mean, r->coord_s_max);
	word(f, r->v_crashes, color);
	fprintf(f, " crashes: %u agents, %u coordinators\n", r->agent_crashes,
		r->coord_crashes);
	for (i = 0; i < r->ncrashes; i++)
		fprintf(f, "  CRASH %s\n", r->crashes[i]);
	fprintf(f, "kernel fd tracker: %s\n", r->kernel_off[0] ? r->kernel_off : "on");
	fprintf(f, "shm peak %llu bytes; logs %s\n",
		(unsigned long long)r->shm_peak_bytes, r->logs_dir);
	fprintf(f, "verdict: %s%s%s (exit %d)\n", paint(r->verdict, color),
		soak_level_name(r->verdict), color ? "\033[0m" : "", r->exit_code);
}

static void fit_json(struct jsonw *w, const char *name, const struct soak_fit *fit)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_uint_field(w, "samples", fit->n);
	jsonw_float_field(w, "mb_per_h", "%.3f", mb_h(fit));
	jsonw_float_field(w, "growth_pct", "%.2f", growth(fit));
	jsonw_float_field(w, "r2", "%.3f", fit->r2);
	jsonw_float_field(w, "start_kb", "%.0f", fit->start);
	jsonw_float_field(w, "end_kb", "%.0f", fit->end);
	jsonw_end_object(w);
}

static void leak_kernel_json(struct jsonw *w, const struct soak_leak *l)
{
	jsonw_name(w, "kernel");
	if (!l->has_kernel) {
		jsonw_null(w);
		return;
	}
	jsonw_start_object(w);
	jsonw_int_field(w, "fds_base", l->k_base);
	jsonw_int_field(w, "fds_now", l->k_now);
	jsonw_int_field(w, "growth", l->k_now - l->k_base);
	jsonw_string_field(w, "file", l->k_file);
	jsonw_end_object(w);
}

static void leak_json(struct jsonw *w, const struct soak_leak *l)
{
	char when[32];

	iso(l->first_seen_wall_ns, when, sizeof(when));
	jsonw_start_object(w);
	jsonw_int_field(w, "pid", l->pid);
	jsonw_string_field(w, "agent", l->agent);
	jsonw_string_field(w, "role", l->role);
	jsonw_string_field(w, "scope", l->scope);
	jsonw_uint_field(w, "processes", l->processes);
	jsonw_string_field(w, "file", l->target);
	jsonw_float_field(w, "rate_fds_per_min", "%.2f", l->rate_per_min);
	jsonw_int_field(w, "fds_first", l->fds_first);
	jsonw_int_field(w, "fds_last", l->fds_last);
	jsonw_uint_field(w, "samples", l->samples);
	jsonw_uint_field(w, "round", l->round);
	jsonw_float_field(w, "first_seen_s", "%.3f", l->first_seen_s);
	jsonw_string_field(w, "first_seen", when);
	jsonw_float_field(w, "flagged_s", "%.3f", l->flagged_s);
	leak_kernel_json(w, l);
	jsonw_end_object(w);
}

static void memory_json(struct jsonw *w, const struct soak_report *r)
{
	jsonw_name(w, "memory");
	jsonw_start_object(w);
	jsonw_string_field(w, "verdict", soak_level_name(r->v_memory));
	fit_json(w, "master", &r->mem_master);
	fit_json(w, "coordinators", &r->mem_coord);
	fit_json(w, "agent_mean", &r->mem_agent);
	jsonw_name(w, "worst_process");
	if (r->mem_proc_pid) {
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", r->mem_proc_pid);
		jsonw_string_field(w, "agent", r->mem_proc_agent);
		jsonw_string_field(w, "role", r->mem_proc_role);
		jsonw_string_field(w, "verdict", soak_level_name(r->v_mem_proc));
		fit_json(w, "fit", &r->mem_proc);
		jsonw_end_object(w);
	} else {
		jsonw_null(w);
	}
	jsonw_uint_field(w, "coordinators_peak_kb", r->coord_rss_peak_kb);
	jsonw_uint_field(w, "agent_peak_kb", r->agent_rss_peak_kb);
	jsonw_end_object(w);
}

static void fds_json(struct jsonw *w, const struct soak_report *r)
{
	unsigned i;

	jsonw_name(w, "fds");
	jsonw_start_object(w);
	jsonw_string_field(w, "verdict", soak_level_name(r->v_fds));
	jsonw_uint_field(w, "coordinator_peak", r->coord_fds_peak);
	jsonw_uint_field(w, "agent_peak", r->agent_fds_peak);
	jsonw_name(w, "leaks");
	jsonw_start_array(w);
	for (i = 0; i < r->nleaks; i++)
		leak_json(w, &r->leaks[i]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void delivery_json(struct jsonw *w, const struct soak_report *r)
{
	jsonw_name(w, "delivery");
	jsonw_start_object(w);
	jsonw_string_field(w, "verdict", soak_level_name(r->v_delivery));
	jsonw_uint_field(w, "expected", r->tasks_expected);
	jsonw_uint_field(w, "delivered", r->tasks_delivered);
	jsonw_float_field(w, "rate_min_pct", "%.2f", r->rate_min);
	jsonw_float_field(w, "rate_mean_pct", "%.2f", r->rate_mean);
	jsonw_float_field(w, "rate_first_pct", "%.2f", r->rate_first);
	jsonw_float_field(w, "rate_last_pct", "%.2f", r->rate_last);
	jsonw_float_field(w, "drift_pct", "%.2f", r->drift_pct);
	jsonw_end_object(w);
	jsonw_name(w, "coordination_s");
	jsonw_start_object(w);
	jsonw_string_field(w, "verdict", soak_level_name(r->v_coord_time));
	jsonw_float_field(w, "min", "%.3f", r->coord_s_min);
	jsonw_float_field(w, "mean", "%.3f", r->coord_s_mean);
	jsonw_float_field(w, "max", "%.3f", r->coord_s_max);
	jsonw_end_object(w);
}

static void crashes_json(struct jsonw *w, const struct soak_report *r)
{
	unsigned i;

	jsonw_name(w, "crashes");
	jsonw_start_object(w);
	jsonw_string_field(w, "verdict", soak_level_name(r->v_crashes));
	jsonw_uint_field(w, "agents", r->agent_crashes);
	jsonw_uint_field(w, "coordinators", r->coord_crashes);
	jsonw_name(w, "details");
	jsonw_start_array(w);
	for (i = 0; i < r->ncrashes; i++)
		jsonw_string(w, r->crashes[i]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

void soak_report_json(FILE *f, const struct soak_report *r)
{
	struct jsonw w;

	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", SOAK_SCHEMA_VERSION);
	jsonw_string_field(&w, "verdict", soak_level_name(r->verdict));
	jsonw_int_field(&w, "exit_code", r->exit_code);
	jsonw_float_field(&w, "duration_s", "%.3f", r->duration_s);
	jsonw_float_field(&w, "elapsed_s", "%.3f", r->elapsed_s);
	jsonw_float_field(&w, "interval_s", "%.3f", r->interval_s);
	jsonw_uint_field(&w, "rounds", r->rounds);
	jsonw_uint_field(&w, "rounds_cut", r->rounds_cut);
	jsonw_uint_field(&w, "samples", r->samples);
	jsonw_int_field(&w, "interrupted", r->interrupted);
	memory_json(&w, r);
	fds_json(&w, r);
	delivery_json(&w, r);
	crashes_json(&w, r);
	jsonw_string_field(&w, "kernel_fd_tracker", r->kernel_off[0] ? r->kernel_off : "on");
	jsonw_uint_field(&w, "shm_peak_bytes", r->shm_peak_bytes);
	jsonw_string_field(&w, "logs_dir", r->logs_dir);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
