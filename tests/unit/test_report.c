/* Report output: JSON validity (escaping, bad UTF-8), percentiles, and the
 * kernel-tracing hook. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "report.h"

static char *render(void (*fn)(FILE *, const struct run_report *),
		    const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, r);
	fclose(f);
	return buf;
}

static void test_percentiles(void **state)
{
	struct lat_samples l = { 0 };
	int i;

	(void)state;
	assert_int_equal(lat_percentile(&l, 50), 0);
	for (i = 100; i >= 1; i--)
		assert_int_equal(lat_add(&l, (uint64_t)i), 0);
	assert_int_equal(lat_percentile(&l, 50), 50);
	assert_int_equal(lat_percentile(&l, 95), 95);
	assert_int_equal(lat_percentile(&l, 99), 99);
	assert_int_equal(lat_percentile(&l, 100), 100);
	lat_add(&l, 1ull << 40);  /* clamped, not wrapped */
	assert_int_equal(lat_percentile(&l, 100), UINT32_MAX);
	lat_free(&l);
}

static void fake_jsonw(struct jsonw *w, void *arg)
{
	jsonw_start_object(w);
	jsonw_bool_field(w, "enabled", true);
	jsonw_int_field(w, "spawns", *(int *)arg);
	jsonw_end_object(w);
}

static void test_report_json(void **state)
{
	struct run_report r;
	struct report_kernel k = { .json = fake_jsonw };
	int spawns = 7;
	char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.topology = "flat";
	r.agents = 3;
	r.expected = 3;
	r.delivered = 2;
	r.failed = 1;
	r.coordination_s = 0.5;
	strcpy(r.bus_dir, "/dev/shm/swarm-x");
	assert_int_equal(report_add_failure(&r, "w3", "exited with status 1 \"x\"", 1, 2,
					    TS_EXITED), 0);
	out = render(report_print_json, &r);
	assert_non_null(strstr(out, "{\"schema_version\":1,"));
	assert_non_null(strstr(out, "\"delivery_rate\":0.6667"));
	assert_non_null(strstr(out, "\"agents_per_s\":6.0"));
	assert_non_null(strstr(out, "\"failures\":[{\"agent\":\"w3\",\"reason\":"
				    "\"exited with status 1 \\\"x\\\"\",\"status\":\"exited\","
				    "\"exit_status\":1,\"task\":3}]"));
	assert_non_null(strstr(out, "\"kernel\":{\"enabled\":false"));
	assert_non_null(strstr(out, "\"logs_dir\":null"));
	free(out);
	k.arg = &spawns;
	r.kernel = &k;
	out = render(report_print_json, &r);
	assert_non_null(strstr(out, "\"kernel\":{\"enabled\":true,\"spawns\":7}}"));
	free(out);
	out = render(report_print_text, &r);
	assert_non_null(strstr(out, "delivered    2 / 3 (66.7 %), 1 failed"));
	assert_non_null(strstr(out, "FAILED w3         task 3: exited"));
	free(out);
	report_free(&r);
}

static void test_many_failures(void **state)
{
	struct run_report r;
	int i;
	char *out;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.topology = "hybrid";
	for (i = 0; i < 120; i++)
		assert_int_equal(report_add_failure(&r, "c1-w1", "x", 0, -1, TS_LOST), 0);
	assert_int_equal(r.nfailures, 120);
	out = render(report_print_text, &r);
	assert_non_null(strstr(out, "and 70 more failures"));
	free(out);
	out = render(report_print_json, &r);
	assert_non_null(strstr(out, "\"task\":null"));
	free(out);
	report_free(&r);
}

static void test_result_line(void **state)
{
	struct task t = { .id = 4, .len = 3, .text = "a\"b", .status = TS_OK,
			  .t_start_ns = 1000, .t_end_ns = 2001000 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	strcpy(t.agent, "w2");
	report_result_line(f, &t, "out\n", 4, 0);
	fclose(f);
	assert_string_equal(buf, "{\"schema_version\":1,\"task\":5,\"input\":\"a\\\"b\","
			    "\"agent\":\"w2\",\"status\":\"ok\",\"exit_status\":0,"
			    "\"duration_s\":0.002000,\"attempts\":0,\"output\":\"out\\n\",\"truncated\":false}\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_many_failures),
		cmocka_unit_test(test_result_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
