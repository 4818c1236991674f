/* swarm coordinator: one hybrid coordinator (started by `swarm run`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replace.h"
#include "cli.h"
#include "core_path.h"
#include "coord.h"
#include "coord_nats.h"
#include "nats_mesh.h"
#include "run_trace.h"
#include "tasks.h"
#include "swarm.h"

enum { O_DIR = 256, O_NAME, O_PARENT, O_WORKERS, O_MAXP, O_HB, O_LOGS,
       O_STDOUT, O_STDIN, O_JOIN, O_SWARM, O_CONNECT, O_BUS_ID, O_NICE,
       O_NO_TRACE };

static const struct option opts[] = {
	{ "dir", required_argument, NULL, O_DIR },
	{ "name", required_argument, NULL, O_NAME },
	{ "parent", required_argument, NULL, O_PARENT },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "max-parallel", required_argument, NULL, O_MAXP },
	{ "heartbeat", required_argument, NULL, O_HB },
	{ "logs", required_argument, NULL, O_LOGS },
	{ "stdout-mode", no_argument, NULL, O_STDOUT },
	{ "task-stdin", no_argument, NULL, O_STDIN },
	{ "join", required_argument, NULL, O_JOIN },
	{ "swarm", required_argument, NULL, O_SWARM },
	{ "connect-timeout", required_argument, NULL, O_CONNECT },
	{ "bus-id", required_argument, NULL, O_BUS_ID },
	{ "agent-nice", required_argument, NULL, O_NICE },
	{ "no-trace", no_argument, NULL, O_NO_TRACE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm coordinator --dir DIR --name cK --workers W --logs DIR\n"
"                         [--parent master] [--max-parallel K] [--heartbeat S]\n"
"                         [--stdout-mode] [--task-stdin] -- CMD [ARGS...]\n"
"\n"
"       swarm coordinator --join nats://HOST:PORT --swarm ID --workers W\n"
"                         [--name NAME] [--logs DIR] [--connect-timeout S]\n"
"                         [--max-parallel K] [--heartbeat S] [--bus-id ID]\n"
"                         [--no-trace] -- CMD [ARGS...]\n"
"\n"
"One coordinator of a hybrid swarm; 'swarm run --coordinators C' starts these.\n"
"With --join it takes tasks of swarm ID from a NATS JetStream server (any host;\n"
"see docs/nats.md), runs them on W local workers, and exits 0 when the master\n"
"ends the swarm. Its workers talk over a private bus $SWARM_SHM/swarm-ID (default\n"
"/dev/shm, ID random; 'swarm run' names it with --bus-id so it can remove it\n"
"should this coordinator be killed). As root it traces its own tree in the kernel\n"
"(spawn, flock, fds, bus latency, as swarm run does) and sends the summary to the\n"
"master, whose report shows it under this host; --no-trace turns that off.\n"
"EXIT CODES: 0 ok, 2 usage, 3 environment, 128+N stopped by signal N\n");
}

/* --join: a coordinator of a swarm on a NATS server (coord_nats_node.c). */
static int join(const struct node_opts *o, struct nats_node_opts *no,
		int no_trace, int argc, char **argv)
{
	static char name[NAME_MAX_LEN + 1];
	struct run_trace *rt = NULL;
	int code;

	if (!no->url || !no->swarm || !o->w.workers || optind >= argc) {
		die_msg("coordinator: --join needs nats://HOST:PORT, --swarm ID, "
			"--workers W and a command (see --help)");
		return EXIT_USAGE;
	}
	if (!nm_is_url(no->url) || nm_url_valid(no->url)) {
		die_msg("coordinator: --join wants nats://HOST:PORT, not '%s'", no->url);
		return EXIT_USAGE;
	}
	if (name_valid(no->swarm) || (o->name && name_valid(o->name)) ||
	    (no->bus_id && name_valid(no->bus_id))) {
		die_msg("coordinator: --swarm, --name and --bus-id want 1-64 of [A-Za-z0-9_-]");
		return EXIT_USAGE;
	}
	if (!nm_available()) {
		die_msg("coordinator: %s", NM_NO_SUPPORT_MSG);
		return EXIT_ENV;
	}
	if (!o->name) {
		/* Unique across hosts without coordination: host and pid. */
		char host[NAME_MAX_LEN + 1] = "";
		size_t i;

		gethostname(host, sizeof(host) - 1);
		for (i = 0; host[i]; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", host[i]))
				host[i] = '_';
		snprintf(name, sizeof(name), "%.40s-%d", host[0] ? host : "host", (int)getpid());
	}
	no->name = o->name ? o->name : name;
	no->logs_dir = o->logs_dir;
	no->w = o->w;
	no->w.argv = argv + optind;
	/* Same rule as swarm run: a plain command ({} or --task-stdin) is
	 * judged by its stdout and exit status. */
	no->w.stdout_mode = o->w.stdout_mode || o->w.task_stdin ||
			    replace_has(no->w.argv);
	no->w.applet = cli_applet(no->w.argv);
	/* This host's kernel signals, for the master's report: the tree
	 * below us is the workers (depth 1), as under a flat swarm run. */
	if (run_trace_start(&rt, no_trace ? "disabled by --no-trace" : NULL, 1, NULL,
			    stderr)) {
		die_msg("coordinator: out of memory");
		return EXIT_ENV;
	}
	no->hooks = run_trace_hooks(rt);
	no->kernel = run_trace_kernel(rt);
	code = coord_nats_node(no);
	nm_library_close();
	run_trace_stop(rt);
	return code;
}

int cmd_coordinator(int argc, char **argv)
{
	struct node_opts o = { .parent = "master" };
	struct nats_node_opts no = { .connect_s = 30 };
	uint64_t v;
	int c, no_trace = 0;

	/* `swarm coordinator --join` is started by hand on other hosts: its
	 * workers find swarm on PATH too (a no-op under swarm run). */
	swarm_export_front();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case O_DIR: o.dir = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_PARENT: o.parent = optarg; break;
		case O_LOGS: o.logs_dir = optarg; break;
		case O_STDOUT: o.w.stdout_mode = 1; break;
		case O_STDIN: o.w.task_stdin = 1; break;
		case O_JOIN: no.url = optarg; break;
		case O_SWARM: no.swarm = optarg; break;
		case O_BUS_ID: no.bus_id = optarg; break;
		case O_NO_TRACE: no_trace = 1; break;
		case O_CONNECT:
			if (parse_seconds(optarg, &no.connect_s) || no.connect_s <= 0) {
				die_msg("coordinator: bad duration '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_WORKERS:
		case O_MAXP:
			if (parse_u64(optarg, &v) || v > COORD_MAX_AGENTS ||
			    (c == O_WORKERS && !v)) {
				die_msg("coordinator: bad number '%s'", optarg);
				return EXIT_USAGE;
			}
			if (c == O_WORKERS)
				o.w.workers = (unsigned)v;
			else
				o.w.max_parallel = (unsigned)v;
			break;
		case O_NICE: {
			/* From the master: it raised our priority along with
			 * its own; workers start at the user's nice value. */
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == 0 || *end || v < -20 || v > 19) {
				die_msg("coordinator: --agent-nice wants -20..19, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o.w.set_nice = 1;
			o.w.nice = (int)v;
			break;
		}
		case O_HB:
			if (parse_seconds(optarg, &o.w.heartbeat_s)) {
				die_msg("coordinator: bad duration '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default:
			die_msg("coordinator: unknown or incomplete option '%s'",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (no.url || no.swarm || no.bus_id)
		return join(&o, &no, no_trace, argc, argv);
	if (!o.dir || !o.name || !o.w.workers || !o.logs_dir || optind >= argc ||
	    name_valid(o.name) || name_valid(o.parent)) {
		die_msg("coordinator: needs --dir, a valid --name, --workers, --logs "
			"and a command (see --help)");
		return EXIT_USAGE;
	}
	o.w.argv = argv + optind;
	o.w.applet = cli_applet(o.w.argv);
	return coord_node(&o);
}
