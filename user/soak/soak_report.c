/* swarm soak: the final report, human text or one JSON object. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"
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

static void fit_json(FILE *f, const char *name, const struct soak_fit *fit)
{
	fprintf(f, "\"%s\":{\"samples\":%u,\"mb_per_h\":%.3f,\"growth_pct\":%.2f,"
		"\"r2\":%.3f,\"start_kb\":%.0f,\"end_kb\":%.0f}", name, fit->n,
		mb_h(fit), growth(fit), fit->r2, fit->start, fit->end);
}

static void leaks_json(FILE *f, const struct soak_report *r)
{
	char when[32];
	unsigned i;

	for (i = 0; i < r->nleaks; i++) {
		const struct soak_leak *l = &r->leaks[i];

		iso(l->first_seen_wall_ns, when, sizeof(when));
		fprintf(f, "%s{\"pid\":%d,\"agent\":", i ? "," : "", l->pid);
		report_json_str(f, l->agent, strlen(l->agent));
		fprintf(f, ",\"role\":\"%s\",\"scope\":\"%s\",\"processes\":%u,"
			"\"file\":", l->role, l->scope, l->processes);
		report_json_str(f, l->target, strlen(l->target));
		fprintf(f, ",\"rate_fds_per_min\":%.2f,\"fds_first\":%d,"
			"\"fds_last\":%d,\"samples\":%u,\"round\":%u,"
			"\"first_seen_s\":%.3f,\"first_seen\":\"%s\",\"flagged_s\":%.3f",
			l->rate_per_min, l->fds_first, l->fds_last, l->samples,
			l->round, l->first_seen_s, when, l->flagged_s);
		if (l->has_kernel) {
			fprintf(f, ",\"kernel\":{\"fds_base\":%lld,\"fds_now\":%lld,"
				"\"growth\":%lld,\"file\":", (long long)l->k_base,
				(long long)l->k_now, (long long)(l->k_now - l->k_base));
			report_json_str(f, l->k_file, strlen(l->k_file));
			fprintf(f, "}}");
		} else {
			fprintf(f, ",\"kernel\":null}");
		}
	}
}

void soak_report_json(FILE *f, const struct soak_report *r)
{
	unsigned i;

	fprintf(f, "{\"schema_version\":%d,\"verdict\":\"%s\",\"exit_code\":%d,"
		"\"duration_s\":%.3f,\"elapsed_s\":%.3f,\"interval_s\":%.3f,"
		"\"rounds\":%u,\"rounds_cut\":%u,\"samples\":%u,\"interrupted\":%d,",
		SOAK_SCHEMA_VERSION, soak_level_name(r->verdict), r->exit_code,
		r->duration_s, r->elapsed_s, r->interval_s, r->rounds, r->rounds_cut,
		r->samples, r->interrupted);
	fprintf(f, "\"memory\":{\"verdict\":\"%s\",", soak_level_name(r->v_memory));
	fit_json(f, "master", &r->mem_master);
	fputc(',', f);
	fit_json(f, "coordinators", &r->mem_coord);
	fputc(',', f);
	fit_json(f, "agent_mean", &r->mem_agent);
	fprintf(f, ",\"worst_process\":");
	if (r->mem_proc_pid) {
		fprintf(f, "{\"pid\":%d,\"agent\":", r->mem_proc_pid);
		report_json_str(f, r->mem_proc_agent, strlen(r->mem_proc_agent));
		fprintf(f, ",\"role\":\"%s\",\"verdict\":\"%s\",", r->mem_proc_role,
			soak_level_name(r->v_mem_proc));
		fit_json(f, "fit", &r->mem_proc);
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\"coordinators_peak_kb\":%llu,\"agent_peak_kb\":%llu},",
		(unsigned long long)r->coord_rss_peak_kb,
		(unsigned long long)r->agent_rss_peak_kb);
	fprintf(f, "\"fds\":{\"verdict\":\"%s\",\"coordinator_peak\":%u,"
		"\"agent_peak\":%u,\"leaks\":[", soak_level_name(r->v_fds),
		r->coord_fds_peak, r->agent_fds_peak);
	leaks_json(f, r);
	fprintf(f, "]},\"delivery\":{\"verdict\":\"%s\",\"expected\":%llu,"
		"\"delivered\":%llu,\"rate_min_pct\":%.2f,\"rate_mean_pct\":%.2f,"
		"\"rate_first_pct\":%.2f,\"rate_last_pct\":%.2f,\"drift_pct\":%.2f},",
		soak_level_name(r->v_delivery), (unsigned long long)r->tasks_expected,
		(unsigned long long)r->tasks_delivered, r->rate_min, r->rate_mean,
		r->rate_first, r->rate_last, r->drift_pct);
	fprintf(f, "\"coordination_s\":{\"verdict\":\"%s\",\"min\":%.3f,"
		"\"mean\":%.3f,\"max\":%.3f},", soak_level_name(r->v_coord_time),
		r->coord_s_min, r->coord_s_mean, r->coord_s_max);
	fprintf(f, "\"crashes\":{\"verdict\":\"%s\",\"agents\":%u,"
		"\"coordinators\":%u,\"details\":[", soak_level_name(r->v_crashes),
		r->agent_crashes, r->coord_crashes);
	for (i = 0; i < r->ncrashes; i++) {
		if (i)
			fputc(',', f);
		report_json_str(f, r->crashes[i], strlen(r->crashes[i]));
	}
	fprintf(f, "]},\"kernel_fd_tracker\":");
	if (r->kernel_off[0])
		report_json_str(f, r->kernel_off, strlen(r->kernel_off));
	else
		fprintf(f, "\"on\"");
	fprintf(f, ",\"shm_peak_bytes\":%llu,\"logs_dir\":",
		(unsigned long long)r->shm_peak_bytes);
	report_json_str(f, r->logs_dir, strlen(r->logs_dir));
	fprintf(f, "}\n");
}
