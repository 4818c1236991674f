/* swarm top: the snapshot's wire format (a frame from the bus is never
 * trusted) and the layouts of its views. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "top.h"

static void sample_flat(struct top_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->seq = 7;
	s->pid = 4242;
	s->traced = 1;
	s->elapsed_ms = 12345;
	s->expected = 20;
	s->done = 16;
	s->delivered = 15;
	s->failed = 1;
	s->msgs = 987;
	s->states[TOP_STARTING] = 3;
	s->states[TOP_BUSY] = 10;
	s->states[TOP_IDLE] = 2;
	s->states[TOP_EXITED] = 4;
	s->states[TOP_FAILED] = 1;
	top_slow_offer(s, "w3", 3, 9000);
	top_slow_offer(s, "w17", 17, 1500);
	s->nlocks = 1;
	s->locks[0] = (struct top_lock){ .wait_us = 2500, .max_us = 900, .contended = 4,
					 .acquisitions = 40 };
	snprintf(s->locks[0].path, sizeof(s->locks[0].path), "/dev/shm/swarm-x/master.inbox");
	s->nfds = 1;
	s->fds[0] = (struct top_fd){ .pid = 77, .growth = 12, .exited = 1 };
	snprintf(s->fds[0].agent, sizeof(s->fds[0].agent), "w9");
}

static void sample_hybrid(struct top_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->seq = 1;
	s->pid = 10;
	s->hybrid = 1;
	s->elapsed_ms = 500;
	s->expected = 100;
	s->done = 40;
	s->delivered = 40;
	s->states[TOP_BUSY] = 3;
	s->states[TOP_FAILED] = 1;
	s->coords_total = 4;
	s->ncoords = 2;
	s->coords[0] = (struct top_coord){ .pid = 11, .alive = 1, .open = 15, .done = 10 };
	snprintf(s->coords[0].name, sizeof(s->coords[0].name), "c1");
	s->coords[1] = (struct top_coord){ .pid = 0, .alive = 0, .open = 25, .done = 0, .hung = 2 };
	snprintf(s->coords[1].name, sizeof(s->coords[1].name), "c2r1");
}

static int encode(const struct top_snap *s, char *buf, size_t cap)
{
	int n = top_snap_encode(s, buf, cap);

	assert_true(n > 0);
	return n;
}

static void test_round_trip(void **state)
{
	struct top_snap a, b;
	char buf[TOP_SNAP_MAX], buf2[TOP_SNAP_MAX];
	int n;

	(void)state;
	sample_flat(&a);
	n = encode(&a, buf, sizeof(buf));
	assert_int_equal(top_snap_decode(buf, (size_t)n, &b), 0);
	assert_int_equal(b.seq, 7);
	assert_int_equal(b.pid, 4242);
	assert_int_equal(b.delivered, 15);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.msgs, 987);
	assert_memory_equal(b.states, a.states, sizeof(a.states));
	assert_int_equal(b.nslow, 2);
	assert_string_equal(b.slow[0].agent, "w3");
	assert_int_equal(b.slow[0].running_ms, 9000);
	assert_int_equal(b.nlocks, 1);
	assert_string_equal(b.locks[0].path, "/dev/shm/swarm-x/master.inbox");
	assert_int_equal(b.locks[0].contended, 4);
	assert_int_equal(b.locks[0].acquisitions, 40);
	assert_int_equal(b.nfds, 1);
	assert_int_equal(b.fds[0].growth, 12);
	assert_int_equal(b.fds[0].exited, 1);
	/* Decoding loses nothing: the same bytes again. */
	assert_int_equal(top_snap_encode(&b, buf2, sizeof(buf2)), n);
	assert_memory_equal(buf, buf2, (size_t)n);

	sample_hybrid(&a);
	n = encode(&a, buf, sizeof(buf));
	assert_int_equal(top_snap_decode(buf, (size_t)n, &b), 0);
	assert_int_equal(b.hybrid, 1);
	assert_int_equal(b.coords_total, 4);
	assert_int_equal(b.ncoords, 2);
	assert_string_equal(b.coords[1].name, "c2r1");
	assert_int_equal(b.coords[1].hung, 2);
	assert_int_equal(b.coords[1].alive, 0);
	assert_int_equal(b.final, 0);
	a.final = 1;
	n = encode(&a, buf, sizeof(buf));
	assert_int_equal(top_snap_decode(buf, (size_t)n, &b), 0);
	assert_int_equal(b.final, 1);
}

/* The largest snapshot the master can make still fits a small frame. */
static void test_full_snapshot_is_bounded(void **state)
{
	struct top_snap s, d;
	char buf[TOP_SNAP_MAX];
	unsigned i;
	int n;

	(void)state;
	sample_hybrid(&s);
	s.elapsed_ms = s.msgs = UINT64_MAX;
	s.coords_total = 1000;
	s.ncoords = TOP_MAX_COORDS;
	for (i = 0; i < TOP_MAX_COORDS; i++) {
		memset(s.coords[i].name, 'c', NAME_MAX_LEN);
		s.coords[i].name[NAME_MAX_LEN] = '\0';
		s.coords[i].open = s.coords[i].done = s.coords[i].hung = UINT32_MAX;
		s.coords[i].pid = INT32_MAX;
	}
	for (i = 0; i < TOP_MAX_SLOW; i++)
		top_slow_offer(&s, "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww",
			       UINT32_MAX, UINT64_MAX - i);
	s.nlocks = TOP_MAX_LOCKS;
	for (i = 0; i < TOP_MAX_LOCKS; i++) {
		s.locks[i] = (struct top_lock){ UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, "" };
		memset(s.locks[i].path, '/', TOP_PATH_LEN - 1);
	}
	s.nfds = TOP_MAX_FDS;
	for (i = 0; i < TOP_MAX_FDS; i++) {
		s.fds[i] = (struct top_fd){ .pid = INT32_MAX, .growth = INT64_MIN + 1 };
		memset(s.fds[i].agent, 'f', NAME_MAX_LEN);
	}
	n = top_snap_encode(&s, buf, sizeof(buf));
	assert_true(n > 0 && n < 8192);
	assert_int_equal(top_snap_decode(buf, (size_t)n, &d), 0);
	assert_int_equal(d.ncoords, TOP_MAX_COORDS);
	assert_int_equal(d.nslow, TOP_MAX_SLOW);
	assert_int_equal(d.fds[0].growth, INT64_MIN + 1);
	/* Too small a buffer is an error, never a cut frame. */
	assert_int_equal(top_snap_encode(&s, buf, (size_t)n), -ENOSPC);
	assert_int_equal(top_snap_encode(&s, buf, 10), -ENOSPC);
}

static int decodes(const char *text)
{
	struct top_snap s;

	return top_snap_decode(text, strlen(text), &s);
}

#define HEAD "swarm-top 1 3\nrun 5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\n"

static void test_decode_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"swarm-top 1 3\n",
		"swarm-top 2 3\nrun 5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-tip 1 3\nrun 5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		HEAD,                                   /* no "end" */
		HEAD "end",                             /* no final newline */
		HEAD "end\nend\n",                      /* something after end */
		HEAD "bogus 1\nend\n",                  /* unknown item */
		HEAD "end \n",                          /* trailing space */
		"swarm-top 1 3\nrun 5 flat 0 1 100 20 21 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 flat 0 1 100 20 10 11 0 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 flat 0 1 100 20 10 8 3 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 star 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 flat 2 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun -5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 flat 0 1 18446744073709551616 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 flat 0 1 1e3 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5  flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\nend\n",
		"swarm-top 1 3\nrun 5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4\nend\n",
		"swarm-top 1 3\nrun 5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0 9\nend\n",
		"swarm-top 1 3\nstates 1 2 3 0 4 0\nrun 5 flat 0 1 100 20 10 8 2 50\nend\n",
		HEAD "slow ../etc 1 5\nend\n",          /* not a bus name */
		HEAD "slow w1 1\nend\n",
		HEAD "slow w1 1 5 6\nend\n",
		HEAD "coord c1 1 1 0 0 0\nend\n",       /* coordinators in a flat run */
		HEAD "coords 3\nend\n",
		HEAD "lock 1 2 3 4\nend\n",             /* no path */
		HEAD "lock 1 2 5 4 /a\nend\n",          /* contended > acquisitions */
		HEAD "lock 1 2 3 4 /a\tb\nend\n",       /* a control byte in a path */
		HEAD "fd w1 3 -x 0\nend\n",
		HEAD "fd w1 3 5 2\nend\n",
		HEAD "fd - 3 --5 0\nend\n",
		HEAD "final\nfinal\nend\n",
		HEAD "final 1\nend\n",
		("swarm-top 1 3\nrun 5 hybrid 0 0 100 20 10 8 2 50\nstates 1 2 3 0 4 0\n"
		 "coord c1 1 1 0 0 0\ncoords 0\nend\n"),  /* more listed than exist */
	};
	char many[4096];
	size_t i, n;

	(void)state;
	assert_int_equal(decodes(HEAD "end\n"), 0);
	assert_int_equal(decodes(HEAD "lock 1 2 3 4 /a b c\nfd - 3 -5 0\nend\n"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decodes(bad[i]) != -EBADMSG)
			fail_msg("accepted bad snapshot #%zu:\n%s", i, bad[i]);
	}
	/* More list items than the bound. */
	n = (size_t)snprintf(many, sizeof(many), HEAD);
	for (i = 0; i <= TOP_MAX_SLOW; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "slow w%zu %zu 1\n", i, i);
	snprintf(many + n, sizeof(many) - n, "end\n");
	assert_int_equal(decodes(many), -EBADMSG);
	/* An embedded NUL, and a frame larger than any snapshot. */
	assert_int_equal(top_snap_decode(HEAD "end\n\0", sizeof(HEAD "end\n"), &(struct top_snap){ 0 }),
			 -EBADMSG);
	assert_int_equal(top_snap_decode(many, TOP_SNAP_MAX + 1, &(struct top_snap){ 0 }), -EBADMSG);
	assert_int_equal(top_snap_decode(NULL, 0, &(struct top_snap){ 0 }), -EBADMSG);
}

/* Every single-byte corruption of a valid frame is refused or decodes to
 * something inside every bound. */
static void test_decode_survives_corruption(void **state)
{
	static const unsigned char subst[] = { 0, '\n', ' ', '9', 'x', '-', 0xff };
	struct top_snap a, d;
	char buf[TOP_SNAP_MAX], bad[TOP_SNAP_MAX];
	size_t i, k;
	int n, accepted = 0;

	(void)state;
	sample_flat(&a);
	n = encode(&a, buf, sizeof(buf));
	for (i = 0; i < (size_t)n; i++)
		for (k = 0; k < sizeof(subst); k++) {
			memcpy(bad, buf, (size_t)n);
			bad[i] = (char)subst[k];
			if (top_snap_decode(bad, (size_t)n, &d))
				continue;
			accepted++;
			assert_true(d.nslow <= TOP_MAX_SLOW && d.nlocks <= TOP_MAX_LOCKS &&
				    d.nfds <= TOP_MAX_FDS && d.ncoords <= TOP_MAX_COORDS);
			assert_true(d.done <= d.expected && d.delivered + d.failed <= d.done);
			assert_true(top_snap_encode(&d, bad, sizeof(bad)) > 0);
		}
	assert_true(accepted > 0);   /* e.g. a digit changed into another */
}

static void test_slow_offer_keeps_longest(void **state)
{
	struct top_snap s = { 0 };
	char name[16];
	unsigned i, seen[101] = { 0 }, want = 100;

	(void)state;
	for (i = 1; i <= 50; i++) {
		snprintf(name, sizeof(name), "w%u", i);
		top_slow_offer(&s, name, i, (i * 37) % 101);   /* scrambled, distinct */
		seen[(i * 37) % 101] = i;
	}
	assert_int_equal(s.nslow, TOP_MAX_SLOW);
	/* The TOP_MAX_SLOW largest values offered, longest first. */
	for (i = 0; i < s.nslow; i++) {
		while (!seen[want])
			want--;
		assert_int_equal(s.slow[i].running_ms, want);
		assert_int_equal(s.slow[i].task, seen[want]);
		want--;
	}
}

static void test_rates(void **state)
{
	struct top_snap a, b;
	struct top_rates r;

	(void)state;
	sample_flat(&a);
	b = a;
	b.elapsed_ms += 2000;
	b.msgs += 500;
	b.done += 4;
	b.delivered += 4;
	top_rates(NULL, &b, &r);
	assert_true(r.msgs_per_s < 0 && r.tasks_per_s < 0);
	top_rates(&a, &b, &r);
	assert_true(r.msgs_per_s > 249.9 && r.msgs_per_s < 250.1);
	assert_true(r.tasks_per_s > 1.99 && r.tasks_per_s < 2.01);
	b.pid = a.pid + 1;   /* another master: no rate across runs */
	top_rates(&a, &b, &r);
	assert_true(r.msgs_per_s < 0);
}

/* Every line fits the width, the screen fits the height, and the numbers
 * that matter are there. */
static int check_screen(const char *scr, int cols, int rows)
{
	const char *p = scr;
	int lines = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');

		assert_non_null(nl);
		if (nl - p > cols)
			fail_msg("line %d is %d columns wide, more than %d: %.*s", lines,
				 (int)(nl - p), cols, (int)(nl - p), p);
		for (const char *q = p; q < nl; q++)
			assert_true(*q >= 0x20 && *q <= 0x7e);
		lines++;
		p = nl + 1;
	}
	assert_true(lines <= rows);
	return lines;
}

static void test_view_layouts(void **state)
{
	static const int sizes[][2] = { { 120, 40 }, { 80, 24 }, { 60, 20 }, { 40, 15 },
					{ 40, 6 }, { 25, 30 }, { 20, 3 }, { 10, 2 }, { 1, 1 } };
	struct top_snap s;
	struct top_rates r = { 123.4, 2.0 };
	char scr[TOP_SNAP_MAX];
	size_t i;

	(void)state;
	sample_flat(&s);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int cols = sizes[i][0], rows = sizes[i][1], lines;

		top_view_screen(&s, &r, "swarm-0123456789abcdef", NULL, cols, rows, scr,
				sizeof(scr));
		lines = check_screen(scr, cols, rows);
		assert_true(lines >= 1);
		if (cols >= 40 && rows >= 15) {
			assert_non_null(strstr(scr, "delivery 15/20 75.0%"));
			assert_non_null(strstr(scr, "busy 10"));
			assert_non_null(strstr(scr, "failed 1"));
			assert_non_null(strstr(scr, "msgs/s 123"));
		}
	}
	/* Wide: states on one line, every section, the footer last. */
	top_view_screen(&s, &r, "swarm-x", NULL, 120, 40, scr, sizeof(scr));
	assert_non_null(strstr(scr, "agents 20: starting 3  busy 10  idle 2  hung 0  exited 4  failed 1"));
	assert_non_null(strstr(scr, "  w3 "));
	assert_non_null(strstr(scr, "9.0s"));
	assert_non_null(strstr(scr, "master.inbox"));
	assert_non_null(strstr(scr, "  w9 "));
	assert_non_null(strstr(scr, "q quit\n"));
	assert_int_equal(strcmp(scr + strlen(scr) - 7, "q quit\n"), 0);
	/* Narrow: the states wrap instead of being cut off. */
	top_view_screen(&s, &r, "swarm-x", "master not answering", 40, 15, scr, sizeof(scr));
	assert_non_null(strstr(scr, "agents 20: starting 3 busy 10 idle 2\n"));
	assert_non_null(strstr(scr, "  hung 0 exited 4 failed 1\n"));
	assert_non_null(strstr(scr, "master not answering\n"));
	/* Tiny: the one number that matters. */
	top_view_screen(&s, &r, "swarm-x", NULL, 10, 2, scr, sizeof(scr));
	assert_string_equal(scr, "15/20\n");
	/* A buffer too small for the screen is cut at a line, never overrun. */
	memset(scr, 'Z', sizeof(scr));
	assert_true(top_view_screen(&s, &r, "swarm-x", NULL, 120, 40, scr, 100) < 100);
	assert_int_equal(scr[100], 'Z');
}

static void test_view_sections(void **state)
{
	struct top_snap s;
	struct top_rates r = { -1, -1 };
	char scr[TOP_SNAP_MAX];

	(void)state;
	sample_hybrid(&s);
	top_view_screen(&s, &r, "swarm-x", NULL, 80, 30, scr, sizeof(scr));
	check_screen(scr, 80, 30);
	assert_non_null(strstr(scr, "COORDINATORS (4)"));
	assert_non_null(strstr(scr, "c2r1"));
	assert_non_null(strstr(scr, "... 2 more"));
	assert_non_null(strstr(scr, "coordinators 4: "));
	assert_non_null(strstr(scr, "msgs/s -"));
	assert_null(strstr(scr, "SLOWEST"));        /* no worker clocks in hybrid */
	assert_non_null(strstr(scr, "not traced"));
	/* A long lock path keeps its tail. */
	sample_flat(&s);
	memset(s.locks[0].path, 'a', TOP_PATH_LEN - 1);
	memcpy(s.locks[0].path + TOP_PATH_LEN - 12, "/tail.inbox", 11);
	top_view_screen(&s, &r, "swarm-x", NULL, 60, 30, scr, sizeof(scr));
	check_screen(scr, 60, 30);
	assert_non_null(strstr(scr, "/tail.inbox\n"));
}

static void test_view_line_and_json(void **state)
{
	struct top_snap s;
	struct top_rates r = { 250, 2 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	sample_flat(&s);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	top_view_line(f, &s, &r, 1700000000ull * 1000000000ull);
	fclose(f);
	assert_string_equal(buf, "2023-11-14T22:13:20Z starting 3 busy 10 idle 2 hung 0 "
			    "exited 4 failed 1 msgs/s 250 delivery 15/20 75.0%\n");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	top_view_json(f, &s, &r, 1700000000ull * 1000000000ull);
	fclose(f);
	assert_non_null(strstr(buf, "{\"schema_version\":1,\"time\":\"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(buf, "\"states\":{\"starting\":3,\"busy\":10,\"idle\":2,"
				    "\"hung\":0,\"exited\":4,\"failed\":1}"));
	assert_non_null(strstr(buf, "\"delivered\":15,"));
	assert_non_null(strstr(buf, "\"final\":false,"));
	assert_non_null(strstr(buf, "\"msgs_per_s\":250.000"));
	assert_non_null(strstr(buf, "\"path\":\"/dev/shm/swarm-x/master.inbox\""));
	assert_non_null(strstr(buf, "\"fd_suspects\":[{\"agent\":\"w9\",\"pid\":77,\"growth\":12,"
				    "\"exited\":true}]"));
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));   /* one line per object */
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_full_snapshot_is_bounded),
		cmocka_unit_test(test_decode_rejects_malformed),
		cmocka_unit_test(test_decode_survives_corruption),
		cmocka_unit_test(test_slow_offer_keeps_longest),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_view_layouts),
		cmocka_unit_test(test_view_sections),
		cmocka_unit_test(test_view_line_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
