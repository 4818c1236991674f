/* swarm coordinator: one hybrid coordinator (started by `swarm run`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coord.h"
#include "swarm.h"

enum { O_DIR = 256, O_NAME, O_PARENT, O_WORKERS, O_MAXP, O_HB, O_LOGS,
       O_STDOUT, O_STDIN };

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
"One coordinator of a hybrid swarm; 'swarm run --coordinators C' starts these.\n"
"EXIT CODES: 0 ok, 2 usage, 3 environment, 128+N stopped by signal N\n");
}

int cmd_coordinator(int argc, char **argv)
{
	struct node_opts o = { .parent = "master" };
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case O_DIR: o.dir = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_PARENT: o.parent = optarg; break;
		case O_LOGS: o.logs_dir = optarg; break;
		case O_STDOUT: o.stdout_mode = 1; break;
		case O_STDIN: o.task_stdin = 1; break;
		case O_WORKERS:
		case O_MAXP:
			if (parse_u64(optarg, &v) || v > COORD_MAX_AGENTS ||
			    (c == O_WORKERS && !v)) {
				die_msg("coordinator: bad number '%s'", optarg);
				return EXIT_USAGE;
			}
			if (c == O_WORKERS)
				o.workers = (unsigned)v;
			else
				o.max_parallel = (unsigned)v;
			break;
		case O_HB:
			if (parse_seconds(optarg, &o.heartbeat_s)) {
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
	if (!o.dir || !o.name || !o.workers || !o.logs_dir || optind >= argc ||
	    name_valid(o.name) || name_valid(o.parent)) {
		die_msg("coordinator: needs --dir, a valid --name, --workers, --logs "
			"and a command (see --help)");
		return EXIT_USAGE;
	}
	o.argv = argv + optind;
	o.applet = cli_applet(o.argv);
	return coord_node(&o);
}
