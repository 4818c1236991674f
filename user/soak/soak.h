/*
 * swarm soak: run rounds of a swarm (the coordinator of coord.h, one fresh
 * master per round, forked from the soak process) back to back for a
 * duration, sample every process of the swarm every interval from /proc
 * (VmRSS, open fds, readlink of the newest fds of a suspect), and judge the
 * run against the Long-Running Stability targets and Alerting Thresholds of
 * docs/PERFORMANCE_TARGETS.md. See docs/soak.md.
 *
 * Exit codes (chosen not to clash with swarm run's 0/1/2/3/124):
 *   0 pass, 1 critical (a target missed: fd leak, crash, memory growth,
 *   delivery drift), 6 warning (an alerting threshold crossed),
 *   2 usage, 3 environment, 128+N interrupted by signal N.
 */
#ifndef SWARM_SOAK_H
#define SWARM_SOAK_H

#include <stdint.h>
#include <stdio.h>

#include "coord.h"
#include "fdleak.h"
#include "util.h"

#define SOAK_SCHEMA_VERSION 1
#define EXIT_SOAK_WARNING 6
#define SOAK_MAX_LEAKS 64         /* leaking processes kept for the report */
#define SOAK_MAX_CRASHES 16       /* crash descriptions kept */

/* A process is leaking fds when, over at least SOAK_LEAK_MIN_SAMPLES
 * samples of its life, its count (coordinators: fds minus live agents, as
 * each agent holds one pidfd there) grew by SOAK_LEAK_MIN_GROWTH or more,
 * fell in at most a quarter of the steps, and ends near its maximum. */
#define SOAK_LEAK_MIN_SAMPLES 3
#define SOAK_LEAK_MIN_GROWTH  4

enum soak_level { SOAK_PASS = 0, SOAK_WARN = 1, SOAK_CRIT = 2 };

struct soak_opts {
	struct run_opts run;        /* one round; its metrics fields unused */
	double duration_s, interval_s;
	const char *samples_file;   /* JSON lines, or NULL */
	const char *metrics_file, *metrics_listen;
	int progress;               /* progress line on stderr */
	int no_trace;               /* do not load the kernel fd tracker */
	int color;                  /* colour the verdict (tty, no NO_COLOR) */
};

struct soak_leak {
	int pid;
	char agent[NAME_MAX_LEN + 1];
	const char *role;           /* "agent" | "master" | "coordinator" */
	const char *scope;          /* "process": one process grew;
				     * "slot": every process of the agent slot
				     * grew with its age (short-lived agents);
				     * pid is then the latest process */
	unsigned processes;         /* slot: processes sampled */
	char target[256];           /* most common readlink among newest fds */
	double rate_per_min;        /* regression slope, fds per minute */
	double first_seen_s;        /* since the soak started */
	uint64_t first_seen_wall_ns;
	double flagged_s;
	int fds_first, fds_last;
	unsigned samples, round;
	/* kernel fd tracker (user/trace/trace.h), when it runs: the kernel's
	 * count of the process's open fds at its baseline (fork, or its first
	 * exec) and now, and the name (dentry, 31 chars) of the file the
	 * iter/task_file snapshot finds most among its newest fds.
	 * has_kernel 0: not available. */
	int has_kernel;
	int64_t k_base, k_now;
	char k_file[FD_NAME_LEN + 1];
};

struct soak_fit {                /* linear regression y = a + b t */
	unsigned n;
	double slope, r2, start, end; /* fitted values at first/last t */
};

struct soak_report {
	double duration_s, interval_s, elapsed_s;
	unsigned rounds, rounds_cut, samples;
	int interrupted;            /* signal number, 0 if none */
	/* memory: master + coordinators (sum), and the mean agent */
	struct soak_fit mem_master, mem_coord, mem_agent;  /* y in kB; mem_coord:
							    * hybrid coordinators */
	uint64_t coord_rss_peak_kb, agent_rss_peak_kb;
	/* The process whose own RSS grew worst over its life (fit over its
	 * samples, judged like the series, and only while still rising):
	 * catches a leak in agents restarted every round, which the series
	 * above only see as a sawtooth. mem_proc_pid 0: none judged. */
	int mem_proc_pid, v_mem_proc;
	char mem_proc_agent[NAME_MAX_LEN + 1];
	const char *mem_proc_role;
	struct soak_fit mem_proc;
	/* fds */
	unsigned coord_fds_peak, agent_fds_peak;
	struct soak_leak leaks[SOAK_MAX_LEAKS];
	unsigned nleaks;
	/* delivery per round (completed rounds only) */
	double rate_first, rate_last, rate_min, rate_mean, drift_pct;
	double coord_s_min, coord_s_mean, coord_s_max;
	uint64_t tasks_expected, tasks_delivered;
	uint64_t shm_peak_bytes;
	/* crashes */
	unsigned agent_crashes, coord_crashes;
	char crashes[SOAK_MAX_CRASHES][256];
	unsigned ncrashes;
	/* verdicts */
	int v_memory, v_fds, v_delivery, v_coord_time, v_crashes, verdict;
	int exit_code;
	char kernel_off[256];       /* why the kernel fd tracker is off, or "" */
	char logs_dir[4096];
	char error[256];
};

/* Run the soak; fills rep. Returns the exit code, or a negative errno on a
 * setup failure (rep->error says what; *usage set when the cause is the
 * command line, e.g. the command does not exist). */
int soak_run(const struct soak_opts *o, struct soak_report *rep, int *usage);

const char *soak_level_name(int level);
void soak_report_text(FILE *f, const struct soak_report *r, int color);
void soak_report_json(FILE *f, const struct soak_report *r);

#endif
