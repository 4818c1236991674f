/* swarm recv: print messages from an inbox, then commit them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "json.h"

static void recv_usage(FILE *f)
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

struct recv_opts {
	const char *dir, *as;
	double wait_s;
	uint64_t count;
	int json, peek;
};

static int parse_recv(int argc, char **argv, struct recv_opts *o)
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

static void print_msg(const struct bus_msg *m, int json)
{
	if (!json) {
		fwrite(m->data, 1, m->len, stdout);
		fputc('\n', stdout);
		return;
	}
	printf("{\"schema_version\":1,\"from\":\"%s\",\"seq\":%llu,\"type\":\"%s\",\"timestamp_ns\":%llu,",
	       m->from, (unsigned long long)m->seq, msg_type_name(m->type),
	       (unsigned long long)m->ts_ns);
	if (utf8_valid(m->data, m->len)) {
		fputs("\"payload\":", stdout);
		json_str(stdout, m->data, m->len);
	} else {
		fputs("\"payload_base64\":", stdout);
		json_base64(stdout, m->data, m->len);
	}
	fputs("}\n", stdout);
}

/* Collect per the options. Returns the exit code; *got = messages printed. */
static int collect(struct inbox *in, const struct recv_opts *o, uint64_t *got)
{
	uint64_t deadline = o->wait_s > 0 ? now_ns() + (uint64_t)(o->wait_s * 1e9) : 0;
	struct bus_msg m;
	int r;

	*got = 0;
	for (;;) {
		r = inbox_next(in, &m);
		if (r < 0) {
			die_msg("cannot read inbox '%s': %s", o->as, bus_strerror(r));
			return EXIT_ENV;
		}
		if (r == 1) {
			if (m.type == MSG_STOP) {
				inbox_unread(in); /* sticky: every later recv sees it too */
				return *got ? EXIT_OK : EXIT_STOP;
			}
			print_msg(&m, o->json);
			if (++*got == o->count)
				return EXIT_OK;
			continue;
		}
		/* Nothing more now: wait only while the options ask for more. */
		if (!deadline || (*got && !o->count))
			break;
		{
			uint64_t now = now_ns();
			if (now >= deadline)
				break;
			if (!inbox_wait(in, (int)((deadline - now + 999999) / 1000000)))
				break;
		}
	}
	if (*got)
		return EXIT_OK;
	return o->wait_s > 0 ? EXIT_TIMEOUT : EXIT_JOB;
}

int cmd_recv(int argc, char **argv)
{
	const struct bus_read_stats *st;
	struct recv_opts o;
	struct bus *b = NULL;
	struct inbox *in = NULL;
	uint64_t got = 0;
	int rc, err;

	if ((rc = parse_recv(argc, argv, &o)))
		return rc < 0 ? EXIT_OK : rc;
	if ((rc = cli_open_bus(o.dir, &b)))
		return rc;
	if ((err = inbox_open(b, o.as, &in)) || (err = inbox_reader_begin(in))) {
		if (err == -EBUSY)
			die_msg("inbox '%s' already has a reader", o.as);
		else
			die_msg("cannot open inbox '%s': %s", o.as, bus_strerror(err));
		rc = EXIT_ENV;
		goto out;
	}
	rc = collect(in, &o, &got);
	st = inbox_read_stats(in);
	if (st->corrupt)
		die_msg("inbox '%s': skipped %llu corrupt frame(s), %llu bytes; other messages delivered",
			o.as, (unsigned long long)st->corrupt, (unsigned long long)st->corrupt_bytes);
	/* Commit only what reached stdout: a failed write means not delivered. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		die_msg("cannot write output: %s; messages left unread", strerror(errno));
		rc = EXIT_ENV;
	} else if (!o.peek && (err = inbox_commit(in))) {
		die_msg("cannot commit inbox '%s': %s", o.as, bus_strerror(err));
		rc = EXIT_ENV;
	}
out:
	inbox_close(in);
	bus_close(b);
	return rc;
}
