/*
 * Test driver for the NATS mesh module (not a product command).
 *
 *   nats_mesh_helper available        exit 0 with NATS support, 3 without
 *   nats_mesh_helper master  --url U --swarm S --tasks N [--ack-wait SEC]
 *                            [--max-deliver N] [--timeout SEC] [--keep]
 *   nats_mesh_helper consume --url U --swarm S --name NAME [--slots K]
 *                            [--work-ms MS] [--nak-task T] [--stall-after N]
 *                            [--timeout SEC]
 *
 * master publishes N tasks "task-<i>", then prints one line per outcome:
 *   result <task> attempt=<a> coord=<c> out=<output>
 *   failed <task> history=<history>
 * and at the end "redelivered <task> history=..." for every task delivered
 * more than once, then
 *   summary expected=N delivered=D failed=F duplicates=X redelivered=R reconnects=K
 * Exit 0 when every task was delivered, 1 otherwise, 124 on --timeout,
 * 3 when the build lacks NATS.
 *
 * consume takes tasks with K slots, "works" MS milliseconds on each, and
 * answers "<name>:<task text>"; it prints "took <task> <attempt>" per task
 * and exits 0 when the master removes the swarm. --nak-task T hands task
 * T back every time it gets it (to exhaust MaxDeliver). --stall-after N:
 * after finishing N tasks it finishes no more (holds what it has, prints
 * "stalled"), so a test can kill it while it surely holds unacked tasks.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nats_mesh.h"
#include "swarm.h"

struct opts {
	const char *url, *swarm, *name;
	uint64_t tasks, slots, work_ms, max_deliver, stall_after;
	int64_t nak_task;
	double ack_wait, timeout;
	int keep;
};

static int usage(void)
{
	fprintf(stderr, "usage: nats_mesh_helper master|consume --url U --swarm S ...\n");
	return EXIT_USAGE;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "url", 1, 0, 'u' }, { "swarm", 1, 0, 's' }, { "name", 1, 0, 'n' },
		{ "tasks", 1, 0, 't' }, { "slots", 1, 0, 'k' }, { "work-ms", 1, 0, 'w' },
		{ "nak-task", 1, 0, 'x' }, { "ack-wait", 1, 0, 'a' },
		{ "max-deliver", 1, 0, 'm' }, { "timeout", 1, 0, 'T' },
		{ "keep", 0, 0, 'K' }, { "stall-after", 1, 0, 'S' }, { 0, 0, 0, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->name = "master";
	o->slots = 4;
	o->nak_task = -1;
	o->timeout = 60;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u': o->url = optarg; break;
		case 's': o->swarm = optarg; break;
		case 'n': o->name = optarg; break;
		case 't': if (parse_u64(optarg, &o->tasks)) return -1; break;
		case 'k': if (parse_u64(optarg, &o->slots) || !o->slots) return -1; break;
		case 'w': if (parse_u64(optarg, &o->work_ms)) return -1; break;
		case 'x': if (parse_u64(optarg, &v)) return -1; o->nak_task = (int64_t)v; break;
		case 'a': if (parse_seconds(optarg, &o->ack_wait)) return -1; break;
		case 'm': if (parse_u64(optarg, &o->max_deliver)) return -1; break;
		case 'T': if (parse_seconds(optarg, &o->timeout)) return -1; break;
		case 'K': o->keep = 1; break;
		case 'S': if (parse_u64(optarg, &o->stall_after)) return -1; break;
		default: return -1;
		}
	}
	return o->url && o->swarm ? 0 : -1;
}

static void fill_cfg(const struct opts *o, struct nm_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->url = o->url;
	cfg->swarm = o->swarm;
	cfg->name = o->name;
	cfg->ack_wait_ns = (uint64_t)(o->ack_wait * 1e9);
	cfg->max_deliver = (unsigned)o->max_deliver;
	cfg->connect_ns = (uint64_t)(o->timeout * 1e9);
	cfg->heartbeat_ns = 500000000ull;
}

static void print_event(const struct nm_event *ev, const struct ledger *led)
{
	char hist[512];

	if (ev->kind == NM_EV_RESULT) {
		printf("result %u attempt=%u coord=%s out=%.*s\n", ev->task, ev->attempt,
		       ev->coord, (int)ev->out_len, (const char *)ev->out);
	} else if (ev->kind == NM_EV_FAILED) {
		ledger_history(led, ev->task, hist, sizeof(hist));
		printf("failed %u history=%s\n", ev->task, hist);
	}
	fflush(stdout);
}

/* Tasks still open when the server holds nothing deliverable any more
 * (and no result is on its way) were given up without an advisory we saw. */
static void sweep_open(struct nm_master *m, const struct ledger *led)
{
	char hist[512];
	uint32_t i;

	for (i = 0; i < led->n; i++)
		if (led->t[i].state == LEDGER_OPEN) {
			ledger_exhausted((struct ledger *)led, i, led->t[i].max_attempt);
			ledger_history(led, i, hist, sizeof(hist));
			printf("failed %u history=%s\n", i, hist);
		}
	(void)m;
}

static int run_master(const struct opts *o)
{
	uint64_t deadline = now_ns() + (uint64_t)(o->timeout * 1e9), quiet = 0, t_pub;
	const struct ledger *led;
	struct nm_master *m;
	struct nm_event ev;
	struct nm_cfg cfg;
	char text[64], hist[512];
	uint32_t i;
	int err, rc, r;

	fill_cfg(o, &cfg);
	if (o->tasks == 0 || o->tasks > 1000000)
		return usage();
	err = nm_master_open(&cfg, (uint32_t)o->tasks, &m);
	if (err) {
		fprintf(stderr, "nats_mesh_helper: master: %s\n", nm_strerror(err));
		return err == -ENOTSUP ? EXIT_ENV : err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
	}
	led = nm_master_ledger(m);
	t_pub = now_ns();
	for (i = 0; i < o->tasks; i++) {
		int n = snprintf(text, sizeof(text), "task-%u", i);

		err = nm_master_publish(m, i, text, (size_t)n);
		if (err) {
			fprintf(stderr, "nats_mesh_helper: publish %u: %s\n", i, nm_strerror(err));
			nm_master_close(m, 0);
			return EXIT_ENV;
		}
	}
	err = nm_master_publish_wait(m, deadline);
	if (err) {
		fprintf(stderr, "nats_mesh_helper: publish: %s\n", nm_strerror(err));
		nm_master_close(m, 0);
		return EXIT_ENV;
	}
	printf("published %u in %.1f ms\n", i, (double)(now_ns() - t_pub) / 1e6);
	fflush(stdout);
	while (ledger_open(led) && now_ns() < deadline) {
		r = nm_master_poll(m, 200, &ev);
		if (r == 1) {
			print_event(&ev, led);
			quiet = 0;
			continue;
		}
		/* Quiet for a second: ask whether anything can still come. */
		if (!quiet)
			quiet = now_ns();
		else if (now_ns() - quiet > 1000000000ull && nm_master_drained(m) == 1) {
			r = nm_master_poll(m, 500, &ev);
			if (r == 1) {
				print_event(&ev, led);
				quiet = 0;
				continue;
			}
			sweep_open(m, led);
		}
	}
	for (i = 0; i < led->n; i++)
		if (led->t[i].max_attempt > 1) {
			ledger_history(led, i, hist, sizeof(hist));
			printf("redelivered %u history=%s\n", i, hist);
		}
	printf("summary expected=%u delivered=%llu failed=%llu duplicates=%llu redelivered=%llu reconnects=%llu\n",
	       led->n, (unsigned long long)led->done, (unsigned long long)led->exhausted,
	       (unsigned long long)led->duplicates,
	       (unsigned long long)led->redelivered_tasks,
	       (unsigned long long)nm_master_reconnects(m));
	rc = led->done == led->n ? EXIT_OK : ledger_open(led) ? EXIT_TIMEOUT : EXIT_JOB;
	nm_master_close(m, !o->keep);
	return rc;
}

struct job { struct nm_task *t; uint64_t due; };

static int run_consumer(const struct opts *o)
{
	uint64_t deadline = now_ns() + (uint64_t)(o->timeout * 1e9);
	struct job *jobs;
	struct nm_coord *c;
	struct nm_cfg cfg;
	struct nm_task *t;
	struct pollfd pfd;
	uint64_t junk;
	unsigned njobs = 0, i, stalled = 0;
	uint64_t finished = 0;
	char out[128];
	int err;

	fill_cfg(o, &cfg);
	jobs = calloc(o->slots, sizeof(*jobs));
	if (!jobs)
		return EXIT_ENV;
	err = nm_coord_open(&cfg, &c);
	if (err) {
		fprintf(stderr, "nats_mesh_helper: consume: %s\n", nm_strerror(err));
		free(jobs);
		return EXIT_ENV;
	}
	nm_coord_want(c, (unsigned)o->slots);
	pfd.fd = nm_coord_fd(c);
	pfd.events = POLLIN;
	while (nm_coord_link(c) != NM_LINK_ENDED && now_ns() < deadline) {
		if (poll(&pfd, 1, 10) > 0 && read(pfd.fd, &junk, sizeof(junk)) < 0) {
			/* spurious wake */
		}
		while (njobs < o->slots && nm_coord_take(c, &t) == 1) {
			printf("took %u %u\n", t->task, t->attempt);
			fflush(stdout);
			if ((int64_t)t->task == o->nak_task) {
				nm_coord_release(c, t);
				continue;
			}
			jobs[njobs].t = t;
			jobs[njobs++].due = now_ns() + o->work_ms * 1000000ull;
		}
		for (i = 0; i < njobs; ) {
			struct nm_result r = { 0 };
			int n;

			if (o->stall_after && finished >= o->stall_after) {
				if (!stalled++) {
					printf("stalled holding %u\n", njobs);
					fflush(stdout);
				}
				break;
			}
			if (now_ns() < jobs[i].due) {
				i++;
				continue;
			}
			n = snprintf(out, sizeof(out), "%s:%s", o->name, jobs[i].t->text);
			r.out = out;
			r.out_len = (size_t)n;
			r.agent = o->name;
			r.status = 1;
			nm_coord_done(c, jobs[i].t, &r);
			jobs[i] = jobs[--njobs];
			finished++;
		}
	}
	nm_coord_close(c);
	free(jobs);
	return now_ns() < deadline ? EXIT_OK : EXIT_TIMEOUT;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "available")) {
		if (nm_available())
			return EXIT_OK;
		fprintf(stderr, "nats_mesh_helper: %s\n", NM_NO_SUPPORT_MSG);
		return EXIT_ENV;
	}
	if (argc < 2)
		return usage();
	if (parse(argc - 1, argv + 1, &o))
		return usage();
	if (!nm_available()) {
		fprintf(stderr, "nats_mesh_helper: %s\n", NM_NO_SUPPORT_MSG);
		return EXIT_ENV;
	}
	if (!strcmp(argv[1], "master"))
		rc = run_master(&o);
	else if (!strcmp(argv[1], "consume"))
		rc = run_consumer(&o);
	else
		return usage();
	nm_library_close();
	return rc;
}
