/* swarm run: spawn a swarm, hand out tasks, wait, report. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "coord.h"
#include "coord_nats.h"
#include "core_path.h"
#include "nats_mesh.h"
#include "report.h"
#include "run_args.h"
#include "run_logs.h"
#include "run_plain.h"
#include "run_shm_hint.h"
#include "run_timeline.h"
#include "run_trace.h"
#include "swarm.h"

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm run [--topology flat|hybrid] [-n N | --coordinators C --workers W]\n"
"                 [--tasks FILE] [--task-stdin] [--timeout SECONDS]\n"
"                 [--heartbeat SECONDS] [--max-parallel K] [--logs DIR]\n"
"                 [--user NAME]\n"
"                 [--results FILE] [--json] [--keep] [--keep-logs] [--no-trace]\n"
"                 [--metrics-file FILE] [--metrics-listen 127.0.0.1:PORT]\n"
"                 [--timeline FILE] -- CMD [ARGS...]\n"
"       swarm run [-j N] [-k] [--tag] [-0] [--colsep RE] [--task-timeout S]\n"
"                 [--retries N] [--halt SPEC] [--joblog FILE [--resume|--resume-failed]]\n"
"                 [--dry-run] [--eta] [--shuf] [OPTIONS] -- CMD [ARGS...] [::: ARGS | :::: FILE]...\n"
"       swarm run --coordinators C --workers W --bus nats://HOST:PORT [--swarm ID]\n"
"                 [--ack-wait S] [--max-deliver N] [OPTIONS] -- CMD [ARGS...]\n"
"\n"
"Run CMD as a swarm of agents and report. Every agent gets SWARM_DIR, SWARM_ID,\n"
"SWARM_AGENT, SWARM_PARENT, SWARM_TASK_ID and SWARM_BIN (this swarm; its\n"
"directory is first on PATH); it reads its task with 'swarm recv' and answers\n"
"with 'swarm send --to \"$SWARM_PARENT\"'.\n"
"\n"
"A plain command (a replacement string in ARGS, ::: or ::::, -j, --task-stdin,\n"
"any option of GNU parallel below, or tasks piped on stdin without -n) runs\n"
"once per task like GNU parallel / xargs -P: its exit status decides success,\n"
"its stdout goes to stdout and its stderr to stderr, whole per task; the\n"
"report goes to stderr, and only when something failed. With --json stdout\n"
"is the report and the output goes to the logs and --results instead.\n"
"\n"
"  -n N              flat: N workers (default 1 task each; with --tasks: at\n"
"                    most N at once, default min(tasks, 2 x CPUs))\n"
"  --topology T      flat (master -> workers) or hybrid (master -> coordinators\n"
"                    -> workers); --coordinators implies hybrid\n"
"  --coordinators C, --workers W   hybrid shape (-n N with C: W = N / C)\n"
"  --tasks FILE      one task per line ('-' = stdin); without it each worker\n"
"                    gets one generated task \"task <i>\"\n"
"  --task-stdin      plain command: the task is fed on stdin\n"
"  --timeout S       give up after S (default 600s); 30s, 2m, 1h accepted\n"
"  --heartbeat S     a busy agent silent for S is reported hung (default off)\n"
"  --max-parallel K  at most K agents alive per coordinator\n"
"  --logs DIR        per-agent logs, always kept (default ${TMPDIR:-/tmp}/\n"
"                    swarm-run-<id>: removed after a run in which every task\n"
"                    succeeded and no agent wrote anything, else kept and named)\n"
"  --keep-logs       keep the default logs directory whatever happened\n"
"  --user NAME       (root) run agents and coordinators as NAME; the bus and\n"
"                    logs belong to NAME. Without it a root master still drops\n"
"                    every capability once the kernel tracing is attached\n"
"  --results FILE    one JSON line per task: task, agent, status, attempts,\n"
"                    duration, output (first 64 KiB, \"truncated\" beyond)\n"
"  --json            the report as one JSON object on stdout\n"
"  --keep            keep the bus directory in /dev/shm afterwards\n"
"  --bus nats://H:P  hybrid across hosts: coordinators talk to the master over\n"
"                    NATS JetStream (see docs/nats.md); more coordinators join\n"
"                    with 'swarm coordinator --join URL --swarm ID'\n"
"  --swarm ID        the swarm's id on the NATS server (default random)\n"
"  --ack-wait S      NATS: a task unacked for S goes to another coordinator (30s)\n"
"  --max-deliver N   NATS: deliveries of a task before it is failed (5)\n"
"  --metrics-file F  Prometheus textfile, rewritten every second and at the end\n"
"  --metrics-listen A  serve GET /metrics on loopback address A (port 0: any)\n"
"  --timeline FILE   write the run as a Chrome trace-event JSON file (open it in\n"
"                    ui.perfetto.dev): agents' spawn/exec/exit, tasks and\n"
"                    answers as flows, lock waits (traced), fd and /dev/shm\n"
"                    counters; at most 256 agents in detail, 4 MiB at most\n"
"\n"
"Plain commands (GNU parallel's spelling; see docs/run.md):\n"
"  {} {.} {/} {//} {/.} {#} {%%} {N}   the task, without extension, basename,\n"
"                    dirname, basename without extension, its number, the slot,\n"
"                    column N. Always one argument, never parsed as shell; in a\n"
"                    shell's -c script the value is single-quoted. Without any,\n"
"                    the task is appended as the last argument(s)\n"
"  ::: A B ...       the tasks are these arguments; :::: FILE reads FILE; several\n"
"                    sources give every combination ({1} {2} ...)\n"
"  -j, --jobs N      tasks at once (N, +N/-N: CPUs plus/minus N, N%%, 0: all);\n"
"                    the same number as -n, which agent swarms use\n"
"  -k, --keep-order  print outputs in input order, not completion order\n"
"  --tag             start every output line with the task and a TAB\n"
"  -0, --null        tasks are separated by NUL, not newline\n"
"  --colsep RE       split each task into columns at RE (POSIX extended regex)\n"
"  --task-timeout S  kill a task running longer than S (TERM, KILL 1 s later);\n"
"                    it is reported 'timeout' and the run exits 1\n"
"  --retries N       up to N attempts per task (only the last one's output)\n"
"  --halt SPEC       now|soon,fail=N|success=N|fail=P%%|success=P%%: stop when\n"
"                    N tasks (or P%% of all) failed/succeeded; now kills the\n"
"                    running ones, soon lets them finish\n"
"  --joblog FILE     one line per task in GNU parallel's joblog format\n"
"  --resume          skip the tasks FILE lists; --resume-failed: skip those\n"
"                    that succeeded (run the failed ones again)\n"
"  --dry-run         print the commands, run nothing\n"
"  --eta, --progress, --bar   a progress line on stderr (terminals only)\n"
"  --shuf            run the tasks in random order ({#} keeps input order)\n"
"\n"
"EXAMPLES:\n"
"  swarm run -n 100 -- swarm demo-agent\n"
"  swarm run --coordinators 4 --workers 25 --json -- swarm demo-agent\n"
"  seq 10 | swarm run -j 4 -- echo {}\n"
"  swarm run -k --tag -- sh -c 'wc -c < \"$1\"' _ {} ::: /etc/passwd /etc/group\n"
"  seq 5 | swarm run --joblog /tmp/jobs.log --retries 3 --task-timeout 30s -- \\\n"
"        sh -c 'echo $(( $1 * $1 ))' _ {}\n"
"  swarm run -n 10 -- sh -c 'swarm send --to \"$SWARM_PARENT\" \"$(swarm recv) done\"'\n"
"\n"
"EXIT CODES: 0 every task delivered (or --halt success=), 1 some failed,\n"
"  2 usage, 3 environment, 124 --timeout hit with tasks missing, 128+N\n"
"  interrupted by signal N (141: stdout closed under a plain command)\n");
}

enum { O_RESULTS = RUN_OPT_OWN, O_JSON, O_KEEP, O_KEEP_LOGS, O_NOTRACE, O_MFILE,
       O_MLISTEN, O_TIMELINE, O_BUS, O_SWARM, O_ACKWAIT, O_MAXDEL };

static const struct option opts[] = {
	RUN_SHAPE_OPTIONS,
	PLAIN_OPTIONS,
	{ "results", required_argument, NULL, O_RESULTS },
	{ "json", no_argument, NULL, O_JSON },
	{ "keep", no_argument, NULL, O_KEEP },
	{ "keep-logs", no_argument, NULL, O_KEEP_LOGS },
	{ "no-trace", no_argument, NULL, O_NOTRACE },
	{ "bus", required_argument, NULL, O_BUS },
	{ "swarm", required_argument, NULL, O_SWARM },
	{ "ack-wait", required_argument, NULL, O_ACKWAIT },
	{ "max-deliver", required_argument, NULL, O_MAXDEL },
	{ "metrics-file", required_argument, NULL, O_MFILE },
	{ "metrics-listen", required_argument, NULL, O_MLISTEN },
	{ "timeline", required_argument, NULL, O_TIMELINE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct run_args {
	struct run_opts o;
	int json, no_trace, keep_logs;
	const char *timeline;
	struct run_shape shape;
	struct nats_run_opts nats;
	struct run_plain plain;
};

/* The default logs directory goes when there is nothing to read in it;
 * kept, it is named on stderr too (the --json report is often piped). */
static void tidy_logs(const struct run_args *a, struct run_report *rep)
{
	if (a->o.logs_dir || !rep->logs_dir[0])
		return;
	if (!a->keep_logs && rep->exit_code == EXIT_OK && run_logs_tidy(rep->logs_dir) == 1) {
		rep->logs_dir[0] = 0;
		rep->logs_removed = 1;
		return;
	}
	fprintf(stderr, "swarm: logs kept in %s\n", rep->logs_dir);
}

static int parse(int argc, char **argv, struct run_args *a)
{
	int c;

	a->o.timeout_s = COORD_DEFAULT_TIMEOUT_S;
	optind = 0;
	opterr = 0;
	a->shape.cmd = "run";
	a->shape.o = &a->o;
	while ((c = getopt_long(argc, argv, "+n:j:hk0", opts, NULL)) != -1) {
		int r = run_shape_opt(&a->shape, c, optarg);

		if (!r)
			r = plain_opt(&a->plain, c, optarg);
		if (r < 0)
			return -EINVAL;
		if (r > 0)
			continue;
		switch (c) {
		case O_RESULTS: a->o.results_file = optarg; break;
		case O_JSON: a->json = 1; break;
		case O_KEEP: a->o.keep = 1; break;
		case O_KEEP_LOGS: a->keep_logs = 1; break;
		case O_NOTRACE: a->no_trace = 1; break;
		case O_BUS: a->nats.url = optarg; break;
		case O_SWARM: a->nats.swarm = optarg; break;
		case O_ACKWAIT: if (run_arg_secs("run", "--ack-wait", optarg, &a->nats.ack_wait_s)) return -EINVAL; break;
		case O_MAXDEL: if (run_arg_count("run", "--max-deliver", optarg, &a->nats.max_deliver)) return -EINVAL; break;
		case O_MFILE: a->o.metrics_file = optarg; break;
		case O_MLISTEN: a->o.metrics_listen = optarg; break;
		case O_TIMELINE: a->timeline = optarg; break;
		case 'h': usage(stdout); return 1;
		default:
			die_msg("run: unknown or incomplete option '%s' (see 'swarm run --help')",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		die_msg("run: no command given; put it after '--' (see 'swarm run --help')");
		return -EINVAL;
	}
	a->o.argv = argv + optind;
	return 0;
}

/* --bus nats://...: checked here so a typo is a usage error and a build
 * without libnats says so before anything starts. */
static int nats_args(struct run_args *a)
{
	if (!a->nats.url) {
		if (a->nats.swarm || a->nats.ack_wait_s > 0 || a->nats.max_deliver) {
			die_msg("run: --swarm, --ack-wait and --max-deliver need --bus nats://HOST:PORT");
			return EXIT_USAGE;
		}
		return 0;
	}
	if (!nm_is_url(a->nats.url) || nm_url_valid(a->nats.url)) {
		die_msg("run: --bus wants nats://HOST:PORT, not '%s' (the /dev/shm bus "
			"is the default)", a->nats.url);
		return EXIT_USAGE;
	}
	if (a->nats.swarm && name_valid(a->nats.swarm)) {
		die_msg("run: --swarm wants 1-64 of [A-Za-z0-9_-], not '%s'", a->nats.swarm);
		return EXIT_USAGE;
	}
	if (!a->o.hybrid) {
		die_msg("run: --bus nats:// is for the hybrid topology (--coordinators C --workers W)");
		return EXIT_USAGE;
	}
	if (!nm_available()) {
		die_msg("run: %s", NM_NO_SUPPORT_MSG);
		return EXIT_ENV;
	}
	return 0;
}

/* --timeline: opened as the caller before the run, so a bad path is one
 * line and nothing started; -1 when it cannot be. */
static int open_timeline(struct run_args *a)
{
	int err;

	if (!a->timeline)
		return 0;
	if (a->nats.url) {
		die_msg("run: --timeline is not wired for --bus nats:// yet");
		return -1;
	}
	err = timeline_open(a->timeline, &a->o.timeline);
	if (err)
		die_msg("run: cannot write the timeline %s: %s", a->timeline, strerror(-err));
	return err ? -1 : 0;
}

/* Written after the report: never part of the run's own time. Freed by
 * the caller after the tracer, whose callbacks still point at it. */
static void write_timeline(struct run_args *a, struct run_trace *rt)
{
	int err;

	if (!a->o.timeline)
		return;
	run_trace_drain(rt);
	err = timeline_write(a->o.timeline);
	if (err)
		fprintf(stderr, "swarm: writing the timeline %s failed: %s\n",
			a->timeline, strerror(-err));
}

int cmd_run(int argc, char **argv)
{
	struct run_args a;
	struct run_report *rep;
	struct run_trace *rt = NULL;
	enum setup_step step = STEP_START;
	int r;

	memset(&a, 0, sizeof(a));
	r = parse(argc, argv, &a);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (plain_sources(&a.plain, &a.shape, a.nats.url != NULL))
		return EXIT_USAGE;
	r = run_shape_check(&a.shape);
	if (r)
		return r == -EPERM ? EXIT_ENV : EXIT_USAGE;
	r = nats_args(&a);
	if (r)
		return r;
	r = plain_prepare(&a.plain, &a.shape, a.json, a.nats.url != NULL);
	if (r) {
		plain_free(&a.plain);
		return r > 0 ? EXIT_OK : r == -EINVAL ? EXIT_USAGE : EXIT_ENV;
	}
	/* Agents (and CMD itself) find this swarm: `swarm send` works from a
	 * checkout as the README writes it. */
	swarm_export_front();
	a.o.applet = cli_applet(a.o.argv);
	if (open_timeline(&a)) {
		plain_free(&a.plain);
		return a.nats.url ? EXIT_USAGE : EXIT_ENV;
	}
	rep = calloc(1, sizeof(*rep));
	/* Attached before coord_run starts its clock, detached after the
	 * report: the tracer's own setup is not coordination time. */
	if (!rep || run_trace_start(&rt, a.no_trace ? "disabled by --no-trace" : NULL,
				    a.o.hybrid ? 2 : 1, a.o.timeline, stderr)) {
		die_msg("run: out of memory");
		timeline_discard(a.o.timeline);
		free(rep);
		return EXIT_ENV;
	}
	a.o.hooks = run_trace_hooks(rt);
	if (a.nats.url)
		a.o.nats = &a.nats;
	r = coord_run(&a.o, run_trace_kernel(rt), rep, &step);
	if (a.nats.url)
		nm_library_close();
	if (r < 0) {
		if (rep->error[0])
			die_msg("run: %s", rep->error);
		else if (r == -ENOENT && step == STEP_COMMAND)
			die_msg("run: command '%s' not found", a.o.argv[0]);
		else if (r == -EACCES && step == STEP_COMMAND)
			die_msg("run: command '%s' is not executable", a.o.argv[0]);
		else if (r == -ENOSPC)
			run_shm_setup_fail(stderr, setup_step_text(step), rep);
		else
			die_msg("run: %s failed: %s", setup_step_text(step), strerror(-r));
		r = setup_step_exit(step, r);
		/* A run that never started leaves nothing behind, not even
		 * the default logs directory it had made (--keep-logs too:
		 * tidy keeps it when an agent wrote anything). */
		if (!a.o.logs_dir && rep->logs_dir[0])
			run_logs_tidy(rep->logs_dir);
		coord_nats_report_free(rep);
		report_free(rep);
		free(rep);
		run_trace_stop(rt);
		timeline_discard(a.o.timeline);   /* nothing ran: no file */
		plain_free(&a.plain);
		return r;
	}
	tidy_logs(&a, rep);
	if (a.json)
		report_print_json(stdout, rep);
	else if (!a.o.gnu)
		report_print_text(stdout, rep);
	else    /* stdout is the tasks' output: say only what went wrong */
		report_print_brief(stderr, rep);
	fflush(stdout);
	run_shm_hint(stderr, rep);
	write_timeline(&a, rt);
	plain_free(&a.plain);
	coord_nats_report_free(rep);
	report_free(rep);
	free(rep);
	run_trace_stop(rt);
	timeline_free(a.o.timeline);
	return r;
}
