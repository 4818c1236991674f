/* busbench — load generator for the message bus, swarm or baseline.
 *
 *   busbench --system swarm|baseline [--senders S] [--inboxes K]
 *            [--messages M] [--batch B] [--size BYTES] [--interval-us U]
 *            [--timeout SECONDS]
 *
 * S sender processes each send M messages (B per call; U us apart) to K
 * inboxes (sender j -> inbox j % K), while one reader process per inbox
 * drains it concurrently. Every message carries (sender, seq, send time);
 * readers count distinct, duplicate and out-of-order messages exactly
 * (a bitmap per inbox), and time each message from just before the send
 * call to its receipt (write -> read). Senders time every send call.
 *
 * Prints one JSON line. Exit 0 when every message was delivered exactly
 * once and in per-sender order, 1 otherwise, 2 on bad usage.
 *
 * Throughput is end to end: messages delivered / (release of all senders
 * -> last message read). Children wait at a pipe barrier after opening
 * their handles, so process creation is not in the measure. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "stats.h"
#include "util.h"

#define MAGIC 0x53574d42u  /* "SWMB" */
#define MAX_INBOXES 64
#define MAX_SENDERS 4096

struct opts {
	const struct backend *be;
	unsigned senders, inboxes, batch, size, interval_us;
	uint64_t messages;   /* per sender */
	unsigned timeout_s;
};

struct payload {
	uint32_t magic;
	uint32_t sender;
	uint64_t seq;
	uint64_t t_ns;   /* CLOCK_MONOTONIC just before the send call */
};

struct rx_res {
	uint64_t got, dups, order_err, bad, t_last;
	int err;
};

struct tx_res {
	uint64_t sent, calls, t_end;
	int err;
};

/* Everything children report, in one MAP_SHARED region. */
struct shared {
	_Atomic uint32_t ready;
	_Atomic uint32_t senders_done;
	struct rx_res rx[MAX_INBOXES];
	struct tx_res tx[MAX_SENDERS];
	uint64_t *send_lat;  /* senders x calls_per_sender */
	uint64_t *w2r_lat;   /* senders x messages, reader k from rx_off[k] */
	uint64_t rx_off[MAX_INBOXES];
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: busbench --system swarm|baseline [--senders S] [--inboxes K] "
		"[--messages M] [--batch B] [--size BYTES] [--interval-us U] [--timeout S]\n");
	exit(2);
}

static unsigned arg_u(const char *s, unsigned lo, unsigned hi)
{
	uint64_t v;

	if (parse_u64(s, &v) || v < lo || v > hi) {
		fprintf(stderr, "busbench: bad number '%s' (%u..%u)\n", s, lo, hi);
		exit(2);
	}
	return (unsigned)v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){ .senders = 1, .inboxes = 1, .batch = 1, .size = 128,
			    .messages = 10000, .timeout_s = 120 };
	for (i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--system"))
			o->be = backend_by_name(v);
		else if (!strcmp(a, "--senders"))
			o->senders = arg_u(v, 1, MAX_SENDERS);
		else if (!strcmp(a, "--inboxes"))
			o->inboxes = arg_u(v, 1, MAX_INBOXES);
		else if (!strcmp(a, "--messages"))
			o->messages = arg_u(v, 1, 10000000);
		else if (!strcmp(a, "--batch"))
			o->batch = arg_u(v, 1, 4096);
		else if (!strcmp(a, "--size"))
			o->size = arg_u(v, sizeof(struct payload), 65536);
		else if (!strcmp(a, "--interval-us"))
			o->interval_us = arg_u(v, 0, 1000000);
		else if (!strcmp(a, "--timeout"))
			o->timeout_s = arg_u(v, 1, 3600);
		else
			usage();
	}
	if (!o->be || o->inboxes > o->senders)
		usage();
}

static void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static uint64_t calls_per_sender(const struct opts *o)
{
	return (o->messages + o->batch - 1) / o->batch;
}

/* Children block here until the parent closes the write end. */
static void barrier(struct shared *sh, int go_fd)
{
	char c;

	atomic_fetch_add(&sh->ready, 1);
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int run_sender(const struct opts *o, const char *path, struct shared *sh, unsigned j, int go_fd)
{
	struct tx_res *res = &sh->tx[j];
	uint64_t *lat = sh->send_lat + (uint64_t)j * calls_per_sender(o);
	char from[32], to[32];
	struct be_tx *t = NULL;
	struct be_msg *msgs = calloc(o->batch, sizeof(*msgs));
	char *buf = calloc(o->batch, o->size);
	uint64_t seq = 1;
	int err;

	snprintf(from, sizeof(from), "s%u", j);
	snprintf(to, sizeof(to), "r%u", j % o->inboxes);
	err = (!msgs || !buf) ? -ENOMEM : o->be->tx_open(path, from, to, &t);
	barrier(sh, go_fd);
	while (!err && seq <= o->messages) {
		uint64_t n = o->messages - seq + 1, t0, i;
		if (n > o->batch)
			n = o->batch;
		for (i = 0; i < n; i++) {
			struct payload *p = (struct payload *)(buf + i * o->size);
			*p = (struct payload){ MAGIC, j, seq + i, 0 };
			msgs[i] = (struct be_msg){ p, o->size };
		}
		t0 = now_ns();
		for (i = 0; i < n; i++)
			((struct payload *)(buf + i * o->size))->t_ns = t0;
		err = o->batch == 1 ? o->be->send(t, buf, o->size) : o->be->send_batch(t, msgs, n);
		lat[res->calls++] = now_ns() - t0;
		if (!err) {
			seq += n;
			res->sent += n;
		}
		if (o->interval_us)
			sleep_us(o->interval_us);
	}
	res->t_end = now_ns();
	res->err = err;
	if (t)
		o->be->tx_close(t);
	free(msgs);
	free(buf);
	return err ? 1 : 0;
}

/* Senders feeding inbox k: j = k, k + K, k + 2K, ... */
static uint64_t expected_for(const struct opts *o, unsigned k)
{
	return (uint64_t)((o->senders - k + o->inboxes - 1) / o->inboxes) * o->messages;
}

static void account(const struct opts *o, struct rx_res *res, uint64_t *lat, uint8_t *seen,
		    uint64_t *maxseq, const struct be_msg *m, uint64_t now)
{
	struct payload p;
	uint64_t bit;

	if (m->len != o->size) {
		res->bad++;
		return;
	}
	memcpy(&p, m->data, sizeof(p));
	if (p.magic != MAGIC || p.sender >= o->senders || !p.seq || p.seq > o->messages) {
		res->bad++;
		return;
	}
	bit = (uint64_t)p.sender * o->messages + (p.seq - 1);
	if (seen[bit / 8] & (1u << (bit % 8))) {
		res->dups++;
		return;
	}
	seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (p.seq < maxseq[p.sender])
		res->order_err++;
	else
		maxseq[p.sender] = p.seq;
	lat[res->got++] = now - p.t_ns;
	res->t_last = now;
}

static int run_reader(const struct opts *o, const char *path, struct shared *sh, unsigned k, int go_fd)
{
	struct rx_res *res = &sh->rx[k];
	uint64_t expected = expected_for(o, k), idle_since = 0;
	uint64_t bits = (uint64_t)o->senders * o->messages;
	uint8_t *seen = calloc(bits / 8 + 1, 1);
	uint64_t *maxseq = calloc(o->senders, sizeof(*maxseq));
	struct be_rx *r = NULL;
	char name[32];
	int err;

	snprintf(name, sizeof(name), "r%u", k);
	err = (!seen || !maxseq) ? -ENOMEM : o->be->rx_open(path, name, &r);
	barrier(sh, go_fd);
	while (!err && res->got < expected) {
		struct be_msg m;
		int got = o->be->rx_next(r, &m);

		if (got == 1) {
			account(o, res, sh->w2r_lat + sh->rx_off[k], seen, maxseq, &m, now_ns());
			idle_since = 0;
		} else if (got == 0) {
			/* Senders gone and nothing for 3 s: the rest is lost. */
			uint64_t now = now_ns();
			if (atomic_load(&sh->senders_done)) {
				if (!idle_since)
					idle_since = now;
				else if (now - idle_since > 3000000000ull)
					break;
			}
			got = o->be->rx_wait(r, 200);
			if (got < 0)
				err = got;
		} else {
			err = got;
		}
	}
	res->err = err;
	if (r)
		o->be->rx_close(r);
	free(seen);
	free(maxseq);
	return err ? 1 : 0;
}

static void reap(pid_t *pids, unsigned n_tx, unsigned n, struct shared *sh)
{
	unsigned left = n, tx_left = n_tx, i;
	int killed = 0;

	while (left) {
		int st;
		pid_t p = waitpid(-1, &st, 0);

		if (p < 0) {
			if (errno == EINTR && timed_out && !killed) {
				for (i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGKILL);
				killed = 1;
				fprintf(stderr, "busbench: timed out, children killed\n");
			}
			if (errno == ECHILD)
				break;
			continue;
		}
		for (i = 0; i < n; i++) {
			if (pids[i] != p)
				continue;
			pids[i] = 0;
			left--;
			if (i < n_tx && --tx_left == 0)
				atomic_store(&sh->senders_done, 1);
		}
	}
}

static pid_t spawn(int (*fn)(const struct opts *, const char *, struct shared *, unsigned, int),
		   const struct opts *o, const char *path, struct shared *sh, unsigned idx, int go[2])
{
	pid_t p = fork();

	if (p == 0) {
		close(go[1]);
		_exit(fn(o, path, sh, idx, go[0]));
	}
	return p;
}

static void print_report(const struct opts *o, struct shared *sh, uint64_t t_start)
{
	uint64_t expected = (uint64_t)o->senders * o->messages, got = 0, dups = 0, ooo = 0, bad = 0;
	uint64_t t_rx = t_start, t_tx = t_start, calls = 0, i, k;
	int errs = 0;
	double secs, tx_secs;

	for (k = 0; k < o->inboxes; k++) {
		struct rx_res *r = &sh->rx[k];
		got += r->got; dups += r->dups; ooo += r->order_err; bad += r->bad;
		errs += r->err != 0;
		if (r->t_last > t_rx)
			t_rx = r->t_last;
	}
	for (i = 0; i < o->senders; i++) {
		struct tx_res *t = &sh->tx[i];
		errs += t->err != 0;
		if (t->t_end > t_tx)
			t_tx = t->t_end;
		/* compact each sender's call latencies to the front */
		memmove(sh->send_lat + calls, sh->send_lat + i * calls_per_sender(o),
			t->calls * sizeof(uint64_t));
		calls += t->calls;
	}
	/* compact the readers' latency ranges, then sort */
	for (k = 0, i = 0; k < o->inboxes; k++) {
		memmove(sh->w2r_lat + i, sh->w2r_lat + sh->rx_off[k], sh->rx[k].got * sizeof(uint64_t));
		i += sh->rx[k].got;
	}
	sort_u64(sh->send_lat, calls);
	sort_u64(sh->w2r_lat, got);
	secs = (double)(t_rx - t_start) / 1e9;
	tx_secs = (double)(t_tx - t_start) / 1e9;
	printf("{\"schema_version\":1,\"system\":\"%s\",\"senders\":%u,\"inboxes\":%u,\"batch\":%u,"
	       "\"size\":%u,\"interval_us\":%u,\"expected\":%" PRIu64 ",\"delivered\":%" PRIu64 ","
	       "\"duplicates\":%" PRIu64 ",\"order_errors\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"errors\":%d,"
	       "\"seconds\":%.6f,\"send_seconds\":%.6f,\"msgs_per_s\":%.1f,\"send_msgs_per_s\":%.1f,"
	       "\"send_us\":{\"p50\":%.2f,\"p99\":%.2f},"
	       "\"w2r_us\":{\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f}}\n",
	       o->be->name, o->senders, o->inboxes, o->batch, o->size, o->interval_us, expected, got,
	       dups, ooo, bad, errs, secs, tx_secs, secs > 0 ? (double)got / secs : 0,
	       tx_secs > 0 ? (double)expected / tx_secs : 0,
	       pct_sorted(sh->send_lat, calls, 50) / 1e3, pct_sorted(sh->send_lat, calls, 99) / 1e3,
	       pct_sorted(sh->w2r_lat, got, 50) / 1e3, pct_sorted(sh->w2r_lat, got, 95) / 1e3,
	       pct_sorted(sh->w2r_lat, got, 99) / 1e3);
	fflush(stdout);
	if (got != expected || dups || ooo || bad || errs)
		exit(1);
}

static int abandon(pid_t *pids, unsigned n, const char *path, const struct opts *o, const char *why)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	o->be->destroy(path);
	free(pids);
	fprintf(stderr, "busbench: %s\n", why);
	return 3;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct shared *sh;
	char path[512];
	unsigned n, i, k;
	pid_t *pids;
	int go[2], err;
	uint64_t total, off = 0, t_start;
	struct sigaction sa = { .sa_handler = on_alarm };

	parse_opts(argc, argv, &o);
	total = (uint64_t)o.senders * o.messages;
	n = o.senders + o.inboxes;
	sh = shared_alloc(sizeof(*sh));
	pids = calloc(n, sizeof(*pids));
	if (sh) {
		sh->send_lat = shared_alloc(o.senders * calls_per_sender(&o) * sizeof(uint64_t));
		sh->w2r_lat = shared_alloc(total * sizeof(uint64_t));
	}
	if (!sh || !pids || !sh->send_lat || !sh->w2r_lat || pipe(go)) {
		fprintf(stderr, "busbench: out of memory\n");
		return 3;
	}
	for (k = 0; k < o.inboxes; k++) {
		sh->rx_off[k] = off;
		off += expected_for(&o, k);
	}
	err = o.be->create(path, sizeof(path));
	for (k = 0; !err && k < o.inboxes; k++) {
		char name[32];
		snprintf(name, sizeof(name), "r%u", k);
		err = o.be->inbox_make(path, name);
	}
	if (err) {
		fprintf(stderr, "busbench: cannot create the %s bus: %s\n", o.be->name, strerror(-err));
		return 3;
	}
	/* Senders first in pids[], readers after: reap() counts senders. */
	for (i = 0; i < o.senders; i++)
		pids[i] = spawn(run_sender, &o, path, sh, i, go);
	for (k = 0; k < o.inboxes; k++)
		pids[o.senders + k] = spawn(run_reader, &o, path, sh, k, go);
	close(go[0]);
	for (i = 0; i < n; i++)
		if (pids[i] < 0)
			return abandon(pids, n, path, &o, "fork failed");
	/* A child that dies before the barrier would hang us: bound the wait. */
	for (i = 0; atomic_load(&sh->ready) < n; i++) {
		if (i > 60000)
			return abandon(pids, n, path, &o, "children never became ready");
		sleep_us(1000);
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm(o.timeout_s);
	t_start = now_ns();
	close(go[1]);
	reap(pids, o.senders, n, sh);
	alarm(0);
	free(pids);
	o.be->destroy(path);
	print_report(&o, sh, t_start);
	return 0;
}
