/* swarm send's command line: usage, options, and the --batch splitter.
 * Apart from cmd_send.c so tests and fuzzers call them as they are. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "cli_args.h"

void send_usage(FILE *f)
{
	fprintf(f,
		"USAGE: swarm send [--dir DIR] [--from NAME] --to NAME [--type T] [--seq N]\n"
		"                  [--wait SECONDS] (PAYLOAD | - | --batch)\n"
		"Append a message to NAME's inbox. PAYLOAD as argument, '-' reads stdin\n"
		"(up to 1 MiB, any bytes), --batch sends one message per stdin line under\n"
		"one lock (atomic per chunk of up to 4 MiB / 4096 messages).\n"
		"  --dir DIR      bus directory (default $SWARM_DIR)\n"
		"  --from NAME    sender (default $SWARM_AGENT)\n"
		"  --type T       data (default), task, result, heartbeat, fail, control, stop\n"
		"  --seq N        explicit sequence number (increasing per sender and inbox);\n"
		"                 a resend with the same N is delivered once\n"
		"  --wait S       if the inbox is full, wait up to S seconds for room\n"
		"EXAMPLES:\n"
		"  swarm send --to \"$SWARM_PARENT\" \"done: 42\"\n"
		"  seq 1000 | swarm send --dir \"$dir\" --from a --to b --batch\n"
		"EXIT: 0 sent, 2 usage, 3 environment (no bus, no space), 4 inbox full\n");
}

int send_split_lines(char *buf, size_t len, struct bus_out **out, size_t *n)
{
	size_t cap = 1024, k = 0, start = 0, i;
	struct bus_out *m = malloc(cap * sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		if (i == len && i == start)
			break; /* no partial last line */
		if (i - start > BUS_MAX_PAYLOAD) {
			free(m);
			return -EMSGSIZE;
		}
		if (k == cap) {
			struct bus_out *nm = realloc(m, (cap *= 2) * sizeof(*m));
			if (!nm) {
				free(m);
				return -ENOMEM;
			}
			m = nm;
		}
		m[k].data = buf + start;
		m[k].len = (uint32_t)(i - start);
		m[k].type = 0;
		m[k].seq = 0;
		k++;
		start = i + 1;
	}
	*out = m;
	*n = k;
	return 0;
}

int parse_send(int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {
		{ "dir", required_argument, 0, 'd' }, { "from", required_argument, 0, 'f' },
		{ "to", required_argument, 0, 't' }, { "type", required_argument, 0, 'T' },
		{ "seq", required_argument, 0, 's' }, { "wait", required_argument, 0, 'w' },
		{ "batch", no_argument, 0, 'b' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0; /* 0, not 1: glibc then also drops a half-read "-hx" cluster */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'b': o->batch = 1; break;
		case 'T':
			if ((o->type = msg_type_parse(optarg)) < 0) {
				die_msg("unknown --type '%.40s' (data, task, result, heartbeat, fail, control, stop)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &o->seq) || !o->seq) {
				die_msg("invalid --seq '%.40s': want a positive integer", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (parse_seconds(optarg, &o->wait_s)) {
				die_msg("invalid --wait '%.40s': want seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': send_usage(stdout); return -1;
		default: send_usage(stderr); return EXIT_USAGE;
		}
	}
	if (!o->to) {
		die_msg("send needs --to NAME");
		return EXIT_USAGE;
	}
	if (name_valid(o->to)) {
		die_msg("invalid --to '%.80s': use 1-64 of [A-Za-z0-9_-]", o->to);
		return EXIT_USAGE;
	}
	if (o->batch ? optind != argc : optind != argc - 1) {
		die_msg(o->batch ? "--batch reads stdin; no payload argument allowed"
				 : "send needs exactly one PAYLOAD (or '-' for stdin)");
		return EXIT_USAGE;
	}
	if (o->batch && o->seq) {
		die_msg("--seq applies to a single message, not --batch");
		return EXIT_USAGE;
	}
	o->payload = o->batch ? NULL : argv[optind];
	if (!(o->from = cli_agent(o->from, "--from")))
		return EXIT_USAGE;
	return 0;
}
