/* swarm demo-agent: the built-in agent of the README demo. Reads tasks
 * from its inbox through libswarm, does a tiny deterministic piece of work
 * (an FNV-1a hash of the task, iterated), answers its parent, and loops
 * until MSG_STOP. Flags make it misbehave on purpose, for tests. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "swarm.h"

struct demo {
	const char *only;       /* misbehave only as this agent */
	const char *leak;       /* open this per task and never close it */
	uint64_t leak_mem;      /* bytes to allocate, touch and keep per task */
	int exit_code;          /* -1: none */
	int hang, fail, once;
	double sleep_s, heartbeat_s;
	unsigned rounds;
};

static void usage(FILE *f)
{
	fprintf(f,
"USAGE: swarm demo-agent [--rounds N] [--sleep S] [--heartbeat S] [--once]\n"
"                        [--only NAME] [--exit CODE | --hang | --fail]\n"
"                        [--leak-fd FILE] [--leak-mem BYTES]\n"
"\n"
"Built-in agent for demos and tests; run it under 'swarm run'. It answers each\n"
"task with \"<agent> <task> fnv=<hash>\" and exits on MSG_STOP (code 0).\n"
"  --rounds N    hash iterations per task (default 1000)\n"
"  --sleep S     pretend to work S seconds per task\n"
"  --heartbeat S send MSG_HEARTBEAT every S seconds while working\n"
"  --once        exit after the first answer (one-shot agent)\n"
"  --exit CODE   read the task, then exit CODE without answering\n"
"  --hang        read the task, then never answer (and never exit)\n"
"  --fail        answer with MSG_FAIL\n"
"  --leak-fd FILE  open FILE for every task and never close it (an fd leak,\n"
"                for swarm soak's tests)\n"
"  --leak-mem B  allocate and touch B bytes (64k, 1M) per task, never freed\n"
"  --only NAME   apply --exit/--hang/--fail/--leak-* only when SWARM_AGENT is NAME\n"
"EXIT CODES: 0 stopped by its parent, 2 usage, 3 no bus in the environment\n");
}

static uint64_t fnv(const char *s, size_t len, unsigned rounds)
{
	uint64_t h = 1469598103934665603ull;
	unsigned r;
	size_t i;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < len; i++) {
			h ^= (unsigned char)s[i];
			h *= 1099511628211ull;
		}
	return h;
}

static void work(struct demo *d, struct inbox *parent, struct inbox *self)
{
	struct bus_out hb = { .data = "", .len = 0, .type = MSG_HEARTBEAT };
	double left = d->sleep_s;
	double step;
	struct timespec ts;

	while (left > 0) {
		step = d->heartbeat_s > 0 && d->heartbeat_s < left ? d->heartbeat_s : left;
		ts.tv_sec = (time_t)step;
		ts.tv_nsec = (long)((step - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		left -= step;
		if (d->heartbeat_s > 0 && left > 0)
			inbox_send(parent, self, &hb);
	}
}

static int serve(struct demo *d, const char *me, struct inbox *self,
		 struct inbox *parent)
{
	int bad = !d->only || !strcmp(d->only, me);
	struct bus_msg m;
	char out[NAME_MAX_LEN + 160];
	int r, n;

	for (;;) {
		r = inbox_next(self, &m);
		if (r < 0)
			return EXIT_ENV;
		if (r == 0) {
			if (inbox_wait(self, -1) < 0)
				return EXIT_ENV;
			continue;
		}
		if (m.type == MSG_STOP) {
			inbox_commit(self);
			return EXIT_OK;
		}
		if (m.type != MSG_TASK && m.type != MSG_DATA) {
			inbox_commit(self);
			continue;
		}
		n = snprintf(out, sizeof(out), "%s %.*s fnv=%016llx", me,
			     (int)(m.len > 100 ? 100 : m.len), (const char *)m.data,
			     (unsigned long long)fnv(m.data, m.len, d->rounds));
		inbox_commit(self);
		if (bad && d->leak)
			(void)open(d->leak, O_RDONLY | O_CLOEXEC);  /* leaked on purpose */
		if (bad && d->leak_mem) {
			char *p = malloc(d->leak_mem);  /* leaked on purpose */

			if (p)
				memset(p, 0x5a, d->leak_mem);
		}
		if (bad && d->exit_code >= 0)
			return d->exit_code;
		if (bad && d->hang)
			for (;;)
				pause();
		work(d, parent, self);
		{
			struct bus_out o = { .data = out, .len = (uint32_t)n,
					     .type = bad && d->fail ? MSG_FAIL : MSG_RESULT };

			r = inbox_send(parent, self, &o);
			if (r)
				return exit_code_for(r);
		}
		if (d->once)
			return EXIT_OK;
	}
}

int cmd_demo_agent(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "sleep", required_argument, NULL, 's' },
		{ "heartbeat", required_argument, NULL, 'b' },
		{ "once", no_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "exit", required_argument, NULL, 'e' },
		{ "hang", no_argument, NULL, 'H' },
		{ "fail", no_argument, NULL, 'f' },
		{ "leak-fd", required_argument, NULL, 'L' },
		{ "leak-mem", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { .exit_code = -1, .rounds = 1000 };
	const char *dir = getenv("SWARM_DIR"), *me = getenv("SWARM_AGENT");
	const char *parent_name = getenv("SWARM_PARENT");
	struct bus *bus = NULL;
	struct inbox *self = NULL, *parent = NULL;
	uint64_t v;
	int c, err, code;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_u64(optarg, &v) || v > 100000000) goto bad;
			d.rounds = (unsigned)v; break;
		case 's': if (parse_seconds(optarg, &d.sleep_s)) goto bad; break;
		case 'b': if (parse_seconds(optarg, &d.heartbeat_s)) goto bad; break;
		case 'o': d.once = 1; break;
		case 'O': d.only = optarg; break;
		case 'e':
			if (parse_u64(optarg, &v) || v > 255) goto bad;
			d.exit_code = (int)v; break;
		case 'H': d.hang = 1; break;
		case 'f': d.fail = 1; break;
		case 'L': d.leak = optarg; break;
		case 'M':
			if (parse_bytes(optarg, &d.leak_mem) || d.leak_mem > (1ull << 30))
				goto bad;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: goto bad;
		}
	}
	if (optind < argc)
		goto bad;
	if (!dir || !me || !parent_name || name_valid(me) || name_valid(parent_name)) {
		die_msg("demo-agent: SWARM_DIR, SWARM_AGENT and SWARM_PARENT must be "
			"set (run it under 'swarm run')");
		return EXIT_ENV;
	}
	if ((err = bus_open(dir, &bus)) || (err = inbox_open(bus, me, &self)) ||
	    (err = inbox_reader_begin(self)) ||
	    (err = inbox_open(bus, parent_name, &parent))) {
		die_msg("demo-agent: %s: %s", dir, bus_strerror(err));
		code = exit_code_for(err);
		goto out;
	}
	code = serve(&d, me, self, parent);
out:
	if (parent)
		inbox_close(parent);
	if (self)
		inbox_close(self);
	if (bus)
		bus_close(bus);
	return code;
bad:
	die_msg("demo-agent: bad option or value (see 'swarm demo-agent --help')");
	return EXIT_USAGE;
}
