/* swarm recv's command line: usage and options. Apart from cmd_recv.c
 * so tests and fuzzers call them as they are. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "cli_args.h"

void recv_usage(FILE *f)
{
	fprintf(f,
		"USAGE: swarm recv [--dir DIR] [--as NAME] [--wait SECONDS] [--count N]\n"
		"                  [--json] [--peek]\n"
		"Print the messages waiting in NAME's inbox, one payload per line, and\n"
		"mark them read. Without --count: every message available now; --count N:\n"
		"at most N; --wait S: block up to S seconds until at least one arrives\n"
		"(with --count N, keep collecting until N or the time is up).\n"
		"  --dir DIR   bus directory (default $SWARM_DIR)\n"
		"  --as NAME   whose inbox (default $SWARM_AGENT)\n"
		"  --json      JSON lines: schema_version, from, seq, type, timestamp_ns,\n"
		"              payload (UTF-8) or payload_base64 (other bytes)\n"
		"  --peek      print but do not mark read\n"
		"Messages are marked read only after they were written out; a reader\n"
		"killed before that gets them again. A 'stop' message is left in place.\n"
		"EXAMPLE: while task=$(swarm recv --wait 30 --count 1); do ...; done\n"
		"EXIT: 0 got messages, 1 inbox empty, 2 usage, 3 environment\n"
		"      (no bus, another reader), 5 stop received, 124 --wait timed out\n");
}

int parse_recv(int argc, char **argv, struct recv_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, 0, 'd' }, { "as", required_argument, 0, 'a' },
		{ "wait", required_argument, 0, 'w' }, { "count", required_argument, 0, 'n' },
		{ "json", no_argument, 0, 'j' }, { "peek", no_argument, 0, 'p' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->wait_s = -1;
	optind = 0; /* 0, not 1: glibc then also drops a half-read "-hx" cluster */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'a': o->as = optarg; break;
		case 'j': o->json = 1; break;
		case 'p': o->peek = 1; break;
		case 'w':
			if (parse_seconds(optarg, &o->wait_s)) {
				die_msg("invalid --wait '%.40s': want seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &o->count) || !o->count) {
				die_msg("invalid --count '%.40s': want a positive integer", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': recv_usage(stdout); return -1;
		default: recv_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		die_msg("unexpected argument '%.80s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!(o->as = cli_agent(o->as, "--as")))
		return EXIT_USAGE;
	return 0;
}
