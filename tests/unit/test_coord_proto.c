/* Master <-> coordinator payloads: round trips and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coord_proto.h"
#include "tasks.h"

static void test_task_roundtrip(void **state)
{
	char buf[64];
	const char *text;
	size_t len;
	uint32_t id;
	int n;

	(void)state;
	n = proto_task_encode(buf, sizeof(buf), 42, "do\nthis", 7);
	assert_true(n > 0);
	assert_int_equal(proto_task_decode(buf, (size_t)n, &id, &text, &len), 0);
	assert_int_equal(id, 42);
	assert_int_equal(len, 7);
	assert_memory_equal(text, "do\nthis", 7);
	assert_int_equal(proto_task_encode(buf, 4, 42, "long text", 9), -ENOSPC);
	assert_int_equal(proto_task_decode("x\nt", 3, &id, &text, &len), -EBADMSG);
	assert_int_equal(proto_task_decode("12", 2, &id, &text, &len), -EBADMSG);
	assert_int_equal(proto_task_decode("99999999999\nt", 13, &id, &text, &len), -EBADMSG);
}

static void test_result_roundtrip(void **state)
{
	struct proto_result r = { .id = 7, .status = TS_FAILED, .exit_code = -9,
				  .dur_us = 1234, .lat_us = 56, .out = "a\nb\0c",
				  .out_len = 5 }, d;
	char buf[256];
	int n;

	(void)state;
	strcpy(r.agent, "c3-w12");
	strcpy(r.reason, "killed by signal 9\nsecond line");
	n = proto_result_encode(buf, sizeof(buf), &r);
	assert_true(n > 0);
	assert_int_equal(proto_result_decode(buf, (size_t)n, &d), 0);
	assert_int_equal(d.id, 7);
	assert_int_equal(d.status, TS_FAILED);
	assert_int_equal(d.exit_code, -9);
	assert_int_equal(d.dur_us, 1234);
	assert_int_equal(d.lat_us, 56);
	assert_string_equal(d.agent, "c3-w12");
	assert_string_equal(d.reason, "killed by signal 9 second line");
	assert_int_equal(d.out_len, 5);
	assert_memory_equal(d.out, "a\nb\0c", 5);
	/* empty reason and output */
	r.reason[0] = 0;
	r.out_len = 0;
	n = proto_result_encode(buf, sizeof(buf), &r);
	assert_int_equal(proto_result_decode(buf, (size_t)n, &d), 0);
	assert_string_equal(d.reason, "");
	assert_int_equal(d.out_len, 0);
}

static void test_result_hostile(void **state)
{
	static const char *const bad[] = {
		"",                                   /* empty */
		"1 1 0 5 5 w1 ok",                    /* no newline */
		"1 0 0 5 5 w1 -\n",                   /* status 0 (none) */
		"1 99 0 5 5 w1 -\n",                  /* unknown status */
		"x 1 0 5 5 w1 -\n",                   /* bad id */
		"1 1 0 5 5 ../etc -\n",               /* bad agent name */
		"1 1 0 5 5 w1\n",                     /* no reason */
		"1 1 0 5 w1 -\n",                     /* missing field */
		"1 1 0 99999999999999999999 5 w1 -\n", /* overflow */
		"1 1 --3 5 5 w1 -\n",
	};
	struct proto_result d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(proto_result_decode(bad[i], strlen(bad[i]), &d), -EBADMSG);
}

static void test_stats_and_hung(void **state)
{
	struct proto_stats s = { 10, 1700000000000000000ull, 55, 23, 1800, 2000 }, d;
	char buf[256], agent[NAME_MAX_LEN + 1];
	uint32_t id;
	int n;

	(void)state;
	n = proto_stats_encode(buf, sizeof(buf), &s);
	assert_true(n > 0);
	assert_int_equal(proto_stats_decode(buf, (size_t)n, &d), 0);
	assert_memory_equal(&s, &d, sizeof(s));
	assert_int_equal(proto_stats_decode("stats 1 2 3", 11, &d), -EBADMSG);
	assert_int_equal(proto_stats_decode("stats 1 2 3 4 5 6 7", 19, &d), -EBADMSG);
	n = proto_hung_encode(buf, sizeof(buf), 9, "c1-w2");
	assert_int_equal(proto_hung_decode(buf, (size_t)n, &id, agent), 0);
	assert_int_equal(id, 9);
	assert_string_equal(agent, "c1-w2");
	assert_int_equal(proto_hung_decode("hung 9 a/b", 10, &id, agent), -EBADMSG);
	assert_int_equal(proto_hung_decode("hung x c1", 9, &id, agent), -EBADMSG);
}

/* Found by fuzz_proto: the decoder refused the top of the u64 range that
 * the encoder prints, so such a result line would have been dropped. */
static void test_u64_full_range(void **state)
{
	struct proto_stats a = { UINT64_MAX, UINT64_MAX - 1, 18446744073709551609ull,
				 1844674407370955161ull, 0, 1 }, b;
	struct proto_result r = { .id = UINT32_MAX, .status = TS_OK,
				  .dur_us = UINT64_MAX, .lat_us = UINT64_MAX,
				  .agent = "w1" }, r2;
	char buf[256];
	int n;

	(void)state;
	n = proto_stats_encode(buf, sizeof(buf), &a);
	assert_true(n > 0);
	assert_int_equal(proto_stats_decode(buf, (size_t)n, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	n = proto_result_encode(buf, sizeof(buf), &r);
	assert_true(n > 0);
	assert_int_equal(proto_result_decode(buf, (size_t)n, &r2), 0);
	assert_true(r2.dur_us == UINT64_MAX && r2.lat_us == UINT64_MAX);
	/* one past the top still refused */
	assert_int_equal(proto_stats_decode("stats 18446744073709551616 0 0 0 0 0", 36, &b), -EBADMSG);
	assert_int_equal(proto_stats_decode("stats 0 0 0 0 0 99999999999999999999", 36, &b), -EBADMSG);
}

/* The assignment journal the master reads to salvage a dead coordinator:
 * strict, so a hostile or torn line maps no answer to the wrong task. */
static void test_journal(void **state)
{
	char buf[96];
	uint32_t w, id;
	int n;

	(void)state;
	n = proto_journal_encode(buf, sizeof(buf), "c2r1-w10", 4242);
	assert_int_equal(n, 14);
	assert_string_equal(buf, "c2r1-w10 4242\n");
	assert_int_equal(proto_journal_decode(buf, (size_t)n, "c2r1", &w, &id), 0);
	assert_int_equal(w, 10);
	assert_int_equal(id, 4242);
	assert_int_equal(proto_journal_decode("c2-w3 7", 7, "c2", &w, &id), 0);
	assert_int_equal(w, 3);
	assert_int_equal(id, 7);
	assert_int_equal(proto_journal_encode(buf, 8, "c2r1-w10", 4242), -ENOSPC);
	/* another coordinator's line, a prefix of our name, malformed */
	assert_int_equal(proto_journal_decode("c2-w3 7\n", 8, "c2r1", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2r1-w3 7\n", 10, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w03 7\n", 9, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w0 7\n", 8, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w3x 7\n", 9, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w3 -1\n", 9, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w3 4294967296", 16, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w3 99999999999999999999999", 29, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w3 7 8", 9, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w2 00003", 11, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w2 0\n", 8, "c2", &w, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(proto_journal_decode("c2-w3  7", 8, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w3", 5, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("c2-w 7", 6, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_journal_decode("", 0, "c2", &w, &id), -EBADMSG);
	assert_int_equal(proto_worker_of("c2-w7", "c2", &w), 0);
	assert_int_equal(w, 7);
	assert_int_equal(proto_worker_of("c2-w7 ", "c2", &w), -EBADMSG);
	assert_int_equal(proto_worker_of("c2-w", "c2", &w), -EBADMSG);
	assert_int_equal(proto_worker_of("c2r1-w7", "c2", &w), -EBADMSG);
	assert_int_equal(proto_worker_of("c2-w+7", "c2", &w), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_roundtrip),
		cmocka_unit_test(test_result_roundtrip),
		cmocka_unit_test(test_result_hostile),
		cmocka_unit_test(test_stats_and_hung),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_u64_full_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
