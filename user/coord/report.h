/*
 * The report of a run: human text (default) or one JSON object (--json,
 * schema_version REPORT_SCHEMA_VERSION), and the per-task JSON lines of
 * --results FILE.
 *
 * Kernel tracing plugs in through struct report_kernel: the tracer fills
 * the "kernel" object (and a text section) when present; without it the
 * report says why ("kernel": {"enabled": false, "reason": "..."}).
 */
#ifndef SWARM_REPORT_H
#define SWARM_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tasks.h"
#include "util.h"

#define REPORT_SCHEMA_VERSION 1

struct report_failure {
	char agent[NAME_MAX_LEN + 1];
	char reason[128];
	int exit_status;        /* exit code, -signal, or 0 when none */
	int64_t task;           /* task id, -1 when the failure has no task */
	uint8_t status;         /* enum task_status */
};

struct report_coord {           /* one per coordinator (hybrid) */
	char name[NAME_MAX_LEN + 1];
	int pid;
	unsigned workers;
	unsigned fds_peak;
	uint64_t rss_peak_kb;
	uint64_t messages;
	unsigned restarts;      /* replacements spawned for this slot */
};

/* Optional section (the tracer's "kernel", the NATS mesh's "nats"): json
 * writes one value (an object) through the report's writer; emit_text
 * prints lines. Either may be NULL. */
struct jsonw;
struct report_kernel {
	void (*emit_text)(FILE *f, void *arg);
	void *arg;
	const char *off_reason; /* used when both are NULL */
	void (*json)(struct jsonw *w, void *arg);
};

/* k's value (its json, or {"enabled":false,"reason":...} when it has
 * none): the report's "kernel", and what a NATS coordinator sends. */
void report_kernel_value(struct jsonw *w, const struct report_kernel *k);

/* Send->receive latency samples (microseconds). */
struct lat_samples {
	uint32_t *v;
	size_t n, cap;
};
int lat_add(struct lat_samples *l, uint64_t us);
/* p in 0..100; sorts in place; 0 when empty. */
uint64_t lat_percentile(struct lat_samples *l, double p);
void lat_free(struct lat_samples *l);

struct run_report {
	const char *topology;       /* "flat" | "hybrid" */
	unsigned agents;            /* worker processes started (not coordinators) */
	unsigned coordinators;
	uint64_t expected, delivered, failed, duplicates;
	double coordination_s, spawn_s, total_s; /* total_s: until every agent is reaped */
	uint64_t messages;
	uint64_t lat_p50_us, lat_p95_us, lat_p99_us, lat_samples;
	uint64_t shm_peak_bytes;
	unsigned fds_peak;          /* max over the master and coordinators */
	uint64_t rss_peak_kb;       /* master; agents_rss_peak_kb for agents */
	uint64_t agents_rss_peak_kb;
	int timed_out, interrupted;
	unsigned coordinator_restarts;
	unsigned retried;           /* --retries: attempts tried again */
	int bus_kept;
	int logs_removed;           /* default logs dir removed: nothing to read */
	char bus_dir[4096], logs_dir[4096];
	char cgroup[4096];          /* "": process-group fallback */
	int priv_dropped;           /* priv_drop ran after setup */
	char run_as[64];            /* --user NAME, "" when agents run as us */
	unsigned run_as_uid;
	char caps_kept[128];        /* the master's capabilities after the drop */
	struct report_failure *failures;
	size_t nfailures, cap_failures;
	struct report_coord *coords;
	size_t ncoords;
	const struct report_kernel *kernel;
	const struct report_kernel *nats;   /* NATS mesh section, or NULL */
	int exit_code;
	char error[256];            /* setup failure, for the one-line message */
};

int report_add_failure(struct run_report *r, const char *agent,
		       const char *reason, int exit_status, int64_t task,
		       int status);
void report_free(struct run_report *r);
void report_print_text(FILE *f, const struct run_report *r);
void report_print_json(FILE *f, const struct run_report *r);
/* A few lines for stderr when stdout carries the tasks' output (plain
 * commands): what failed, what was kept. Nothing when all went well. */
void report_print_brief(FILE *f, const struct run_report *r);

/* One --results line for a finished task. */
void report_result_line(FILE *f, const struct task *t, const char *output,
			size_t out_len, int truncated);

#endif
