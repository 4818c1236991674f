/* swarm soak: rounds of a swarm for a duration, judged for leaks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core_path.h"
#include "run_args.h"
#include "soak.h"
#include "swarm.h"

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm soak --duration D [--interval I] [--json] [--samples FILE]\n"
"                  [--metrics-file FILE] [--metrics-listen 127.0.0.1:PORT]\n"
"                  [-n N | --coordinators C --workers W] [--topology flat|hybrid]\n"
"                  [--tasks FILE] [--task-stdin] [--timeout S] [--heartbeat S]\n"
"                  [--max-parallel K] [--logs DIR] [--no-trace] -- CMD [ARGS...]\n"
"\n"
"Run rounds of 'swarm run' back to back for D (a fresh master per round, the\n"
"same options), sample every process of the swarm every I (default 10s) from\n"
"/proc (RSS, open fds, the files behind the newest fds), and judge the run\n"
"against the long-running stability targets:\n"
"  memory   linear regression of RSS over the samples (master, mean hybrid\n"
"           coordinator, mean agent): critical > 100 MB/h or > 20 %% growth,\n"
"           warning > 50 MB/h (judged when r2 >= 0.5 over >= 5 samples and\n"
"           the fitted rise is >= 1 MB); each process is also fitted over its\n"
"           own life, and the worst one still rising is named\n"
"  fds      any process whose fds grow steadily over its life (coordinators:\n"
"           fds minus live agents) is a leak: critical, named with its pid,\n"
"           agent, the file it keeps opening, fds/min and when first seen;\n"
"           a coordinator over 1000 fds critical, over 800 warning\n"
"  delivery drift between the first and last third of the rounds > 5 %%, or\n"
"           a round under 85 %%: critical; under 90 %%: warning\n"
"  coordination time per round: > 45s critical, > 30s warning\n"
"  crashes  an agent killed by a signal or a dead coordinator: critical\n"
"\n"
"  --duration D      how long to run rounds (30s, 10m, 24h); the round in\n"
"                    flight at the end is stopped and not judged\n"
"  --interval I      sampling period (default 10s, or D/10 when D < 100s;\n"
"                    at most D)\n"
"  --samples FILE    JSON lines: one per sample and one per round\n"
"  --json            the final report as one JSON object on stdout\n"
"  --no-trace        do not load the kernel fd tracker (as root it adds the\n"
"                    opens/closes and open files of each leaking process)\n"
"  --metrics-file F, --metrics-listen A   Prometheus text, updated per sample\n"
"  --logs DIR        agents' logs, appended across rounds\n"
"                    (default ${TMPDIR:-/tmp}/swarm-soak-<pid>)\n"
"  other options     as 'swarm run' (per round; --timeout default 600s)\n"
"\n"
"EXAMPLES:\n"
"  swarm soak --duration 24h --interval 1m -n 200 --tasks t.txt -- swarm demo-agent\n"
"  swarm soak --duration 10m --coordinators 5 --workers 50 --json -- ./agent.sh\n"
"\n"
"EXIT CODES: 0 pass, 1 critical (a target missed), 6 warning (a threshold\n"
"  crossed), 2 usage, 3 environment, 128+N interrupted by signal N (after\n"
"  the report)\n");
}

enum { O_JSON = RUN_OPT_OWN, O_MFILE, O_MLISTEN, O_DUR, O_INT, O_SAMPLES,
       O_NOTRACE };

static const struct option opts[] = {
	RUN_SHAPE_OPTIONS,
	{ "duration", required_argument, NULL, O_DUR },
	{ "interval", required_argument, NULL, O_INT },
	{ "samples", required_argument, NULL, O_SAMPLES },
	{ "json", no_argument, NULL, O_JSON },
	{ "no-trace", no_argument, NULL, O_NOTRACE },
	{ "metrics-file", required_argument, NULL, O_MFILE },
	{ "metrics-listen", required_argument, NULL, O_MLISTEN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --duration and --interval: a duration above 0. */
static int secs_arg(const char *opt, const char *s, double *out)
{
	if (parse_seconds(s, out) || *out <= 0) {
		die_msg("soak: %s wants a duration above 0 like 30, 30s, 2m or 1h, not '%s'",
			opt, s);
		return -EINVAL;
	}
	return 0;
}

struct soak_args {
	struct soak_opts o;
	int json;
	struct run_shape shape;
};

static int parse_one(int c, struct soak_args *a)
{
	int r = run_shape_opt(&a->shape, c, optarg);

	if (r)
		return r < 0 ? r : 0;
	switch (c) {
	case O_DUR: return secs_arg("--duration", optarg, &a->o.duration_s);
	case O_INT: return secs_arg("--interval", optarg, &a->o.interval_s);
	case O_SAMPLES: a->o.samples_file = optarg; return 0;
	case O_JSON: a->json = 1; return 0;
	case O_NOTRACE: a->o.no_trace = 1; return 0;
	case O_MFILE: a->o.metrics_file = optarg; return 0;
	case O_MLISTEN: a->o.metrics_listen = optarg; return 0;
	}
	return -EINVAL;
}

static int parse(int argc, char **argv, struct soak_args *a)
{
	int c;

	a->o.run.timeout_s = COORD_DEFAULT_TIMEOUT_S;
	a->shape.cmd = "soak";
	a->shape.o = &a->o.run;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+n:h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			die_msg("soak: unknown or incomplete option '%s' (see 'swarm soak --help')",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (parse_one(c, a))
			return -EINVAL;
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		die_msg("soak: no command given; put it after '--' (see 'swarm soak --help')");
		return -EINVAL;
	}
	a->o.run.argv = argv + optind;
	return 0;
}

/* The shape rules of swarm run, and the soak's own. */
static int check(struct soak_args *a)
{
	struct run_opts *o = &a->o.run;

	if (a->o.duration_s <= 0) {
		die_msg("soak: --duration is required (e.g. --duration 24h)");
		return -EINVAL;
	}
	if (!a->o.interval_s)
		a->o.interval_s = a->o.duration_s < 100 ? a->o.duration_s / 10 : 10;
	if (a->o.interval_s > a->o.duration_s) {
		die_msg("soak: --interval (%gs) is longer than --duration (%gs)",
			a->o.interval_s, a->o.duration_s);
		return -EINVAL;
	}
	if (o->tasks_file && !strcmp(o->tasks_file, "-")) {
		die_msg("soak: --tasks must be a file read again every round, not '-'");
		return -EINVAL;
	}
	/* Agents find this swarm on PATH, as under swarm run. */
	swarm_export_front();
	return run_shape_check(&a->shape);
}

int cmd_soak(int argc, char **argv)
{
	struct soak_args a;
	struct soak_report *rep;
	char logs[4096];
	const char *tmp = getenv("TMPDIR");
	int r, usage_err = 0;

	memset(&a, 0, sizeof(a));
	r = parse(argc, argv, &a);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	r = check(&a);
	if (r)
		return r == -EPERM ? EXIT_ENV : EXIT_USAGE;
	if (!a.o.run.logs_dir) {
		snprintf(logs, sizeof(logs), "%s/swarm-soak-%d",
			 tmp && *tmp ? tmp : "/tmp", (int)getpid());
		a.o.run.logs_dir = logs;
	}
	a.o.run.applet = cli_applet(a.o.run.argv);
	a.o.progress = isatty(STDERR_FILENO);
	a.o.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		die_msg("soak: out of memory");
		return EXIT_ENV;
	}
	r = soak_run(&a.o, rep, &usage_err);
	if (r < 0) {
		die_msg("soak: %s", rep->error[0] ? rep->error : strerror(-r));
		free(rep);
		return usage_err ? EXIT_USAGE : EXIT_ENV;
	}
	if (a.json)
		soak_report_json(stdout, rep);
	else
		soak_report_text(stdout, rep, a.o.color);
	fflush(stdout);
	free(rep);
	return r;
}
