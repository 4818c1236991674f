/* The project's one log2 histogram: slot rule (same as BPF), percentile
 * estimate, and the bcc-style printer (under 80 columns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist.h"

static void test_slot_rule(void **state)
{
	(void)state;
	assert_int_equal(hist_slot(0), 0);
	assert_int_equal(hist_slot(1), 0);
	assert_int_equal(hist_slot(2), 1);
	assert_int_equal(hist_slot(3), 1);
	assert_int_equal(hist_slot(4), 2);
	assert_int_equal(hist_slot(100000), 16);     /* 65536..131071 */
	assert_int_equal(hist_slot(10000), 13);      /* 8192..16383 */
	assert_int_equal(hist_slot(UINT64_MAX), HIST_SLOTS - 1);
}

static void test_percentiles(void **state)
{
	uint32_t s[HIST_SLOTS] = { 0 };

	(void)state;
	assert_true(hist_percentile(s, HIST_SLOTS, 0.5) == 0.0);
	s[10] = 100; /* 1024..2047 */
	assert_true(hist_percentile(s, HIST_SLOTS, 0.5) >= 1024);
	assert_true(hist_percentile(s, HIST_SLOTS, 0.5) < 2048);
	s[20] = 1;   /* one outlier ~1 s */
	assert_true(hist_percentile(s, HIST_SLOTS, 0.5) < 2048);
	assert_true(hist_percentile(s, HIST_SLOTS, 1.0) >= 1 << 20);
	assert_int_equal(hist_total(s, HIST_SLOTS), 101);
	/* monotonic in p */
	assert_true(hist_percentile(s, HIST_SLOTS, 0.95) <= hist_percentile(s, HIST_SLOTS, 0.999));
}

static void test_print_bcc_style(void **state)
{
	uint32_t s[HIST_SLOTS] = { 0 };
	char *buf = NULL, *line, *save;
	size_t len = 0;
	int rows = 0;
	FILE *f;

	(void)state;
	s[3] = 5;
	s[6] = 40;
	s[31] = 1;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	hist_print(f, s, HIST_SLOTS, "usecs");
	fclose(f);
	assert_non_null(strstr(buf, "usecs : count    distribution"));
	assert_non_null(strstr(buf, "        64 -> 127        : 40       |****************************************|"));
	assert_non_null(strstr(buf, "         8 -> 15         : 5        |*****"));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) < 80);
		rows++;
	}
	assert_int_equal(rows, 1 + (31 - 3 + 1)); /* header + first..last slot */
	free(buf);
}

static void test_print_empty(void **state)
{
	uint32_t s[HIST_SLOTS] = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	hist_print(f, s, HIST_SLOTS, "usecs");
	fclose(f);
	assert_non_null(strstr(buf, "no samples"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_rule),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_print_bcc_style),
		cmocka_unit_test(test_print_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
