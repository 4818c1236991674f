/* The NATS run ledger: every task counted once, whatever JetStream
 * redelivers, and the delivery history that explains it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nats_ledger.h"

static int setup(void **state)
{
	static struct ledger l;

	assert_int_equal(ledger_init(&l, 10), 0);
	*state = &l;
	return 0;
}

static int teardown(void **state)
{
	ledger_free(*state);
	return 0;
}

static void first_result_counts_duplicates_do_not(void **state)
{
	struct ledger *l = *state;

	assert_int_equal(ledger_result(l, 3, 1, "c1", 1), 1);
	assert_int_equal(ledger_result(l, 3, 1, "c1", 1), 0);   /* same delivery again */
	assert_int_equal(ledger_result(l, 3, 2, "c2", 1), 0);   /* redone elsewhere */
	assert_int_equal(l->done, 1);
	assert_int_equal(l->duplicates, 2);
	assert_int_equal(ledger_open(l), 9);
	assert_int_equal(l->t[3].status, 1);
}

static void redelivery_history(void **state)
{
	struct ledger *l = *state;
	char buf[128];

	assert_int_equal(ledger_taken(l, 5, 1, "c1"), 0);
	assert_int_equal(ledger_taken(l, 5, 2, "c2"), 0);
	assert_int_equal(ledger_result(l, 5, 2, "c2", 1), 1);
	assert_int_equal(l->redelivered_tasks, 1);
	ledger_history(l, 5, buf, sizeof(buf));
	assert_string_equal(buf, "1@c1 2@c2 2@c2=result");
	/* A second late delivery of the same task does not count it twice. */
	assert_int_equal(ledger_taken(l, 5, 3, "c1"), 0);
	assert_int_equal(l->redelivered_tasks, 1);
}

static void exhausted_then_late_result(void **state)
{
	struct ledger *l = *state;
	char buf[128];

	ledger_taken(l, 7, 1, "c1");
	ledger_taken(l, 7, 2, "c1");
	assert_int_equal(ledger_exhausted(l, 7, 2), 1);
	assert_int_equal(ledger_exhausted(l, 7, 2), 0);          /* advisory twice */
	assert_int_equal(l->exhausted, 1);
	ledger_history(l, 7, buf, sizeof(buf));
	assert_string_equal(buf, "1@c1 2@c1 gave up after 2 deliveries");
	/* The work was finished after all: it counts, once. */
	assert_int_equal(ledger_result(l, 7, 2, "c1", 1), 1);
	assert_int_equal(l->exhausted, 0);
	assert_int_equal(l->done, 1);
	/* A result never turns back into a failure. */
	assert_int_equal(ledger_exhausted(l, 7, 5), 0);
	assert_int_equal(l->exhausted, 0);
}

static void bad_input_rejected(void **state)
{
	struct ledger *l = *state;

	assert_int_equal(ledger_result(l, 10, 1, "c1", 1), -EINVAL);  /* no such task */
	assert_int_equal(ledger_result(l, 1, 0, "c1", 1), -EINVAL);   /* attempt 0 */
	assert_int_equal(ledger_result(l, 1, 1, "bad name", 1), -EINVAL);
	assert_int_equal(ledger_result(l, 1, 1, "", 1), -EINVAL);
	assert_int_equal(ledger_taken(l, 99, 1, "c1"), -EINVAL);
	assert_int_equal(ledger_exhausted(l, 10, 1), -EINVAL);
	assert_int_equal(l->done, 0);
	assert_int_equal(ledger_open(l), 10);
}

static void history_bounded(void **state)
{
	struct ledger *l = *state;
	char buf[512], small[8];
	unsigned i;

	for (i = 1; i <= LEDGER_HIST_MAX + 3; i++)
		assert_int_equal(ledger_taken(l, 0, i, "c1"), 0);
	ledger_history(l, 0, buf, sizeof(buf));
	assert_non_null(strstr(buf, "(+3 more)"));
	assert_int_equal(ledger_history(l, 0, small, sizeof(small)), sizeof(small) - 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_result_counts_duplicates_do_not, setup, teardown),
		cmocka_unit_test_setup_teardown(redelivery_history, setup, teardown),
		cmocka_unit_test_setup_teardown(exhausted_then_late_result, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_input_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(history_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
