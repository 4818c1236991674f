/* One table gives every master and coordinator its setup steps' words and
 * exit codes: a wrong argument is exit 2, a refusing host exit 3, and no
 * step is left without words (its line would read "(null) failed"). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "setup_step.h"
#include "swarm.h"

static void test_every_step_has_words(void **state)
{
	int s;

	(void)state;
	for (s = 0; s < STEP_MAX; s++) {
		const char *t = setup_step_text((enum setup_step)s);

		assert_non_null(t);
		assert_true(strlen(t) > 3);
	}
	/* out of range: still words, never a crash or NULL */
	assert_string_equal(setup_step_text(STEP_MAX), "setting up");
	assert_string_equal(setup_step_text((enum setup_step)-1), "setting up");
}

static void test_arguments_are_usage(void **state)
{
	(void)state;
	assert_int_equal(setup_step_exit(STEP_COMMAND, -ENOENT), EXIT_USAGE);
	assert_int_equal(setup_step_exit(STEP_COMMAND, -EACCES), EXIT_USAGE);
	assert_int_equal(setup_step_exit(STEP_TASKS, -ENOENT), EXIT_USAGE);
	assert_int_equal(setup_step_exit(STEP_TASKS, -E2BIG), EXIT_USAGE);
	assert_int_equal(setup_step_exit(STEP_TASKS, -EISDIR), EXIT_USAGE);
	assert_int_equal(setup_step_exit(STEP_METRICS, -EADDRNOTAVAIL), EXIT_USAGE);
}

static void test_the_host_is_env(void **state)
{
	(void)state;
	/* a task file there but unreadable: the environment's */
	assert_int_equal(setup_step_exit(STEP_TASKS, -EACCES), EXIT_ENV);
	assert_int_equal(setup_step_exit(STEP_TASKS, -EIO), EXIT_ENV);
	assert_int_equal(setup_step_exit(STEP_BUS, -ENOENT), EXIT_ENV);
	assert_int_equal(setup_step_exit(STEP_BUS, -ENOSPC), EXIT_ENV);
	assert_int_equal(setup_step_exit(STEP_LOGS, -EPERM), EXIT_ENV);
	assert_int_equal(setup_step_exit(STEP_NATS_CONNECT, -EINVAL), EXIT_ENV);
	assert_int_equal(setup_step_exit(STEP_MAX, -ENOENT), EXIT_ENV);
}

static void test_nats_steps(void **state)
{
	(void)state;
	assert_true(setup_step_is_nats(STEP_NATS_CONNECT));
	assert_true(setup_step_is_nats(STEP_NATS_JOIN));
	assert_false(setup_step_is_nats(STEP_LOGS));
	assert_false(setup_step_is_nats(STEP_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_step_has_words),
		cmocka_unit_test(test_arguments_are_usage),
		cmocka_unit_test(test_the_host_is_env),
		cmocka_unit_test(test_nats_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
