/* The sub-command option parsers, called twice in one process (as a
 * coordinator or the fuzzer does): a parse that stopped inside a short
 * option cluster must not leak getopt state into the next one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_args.h"
#include "swarm.h"

static void test_send_parse_after_bad_cluster(void **state)
{
	char cluster[] = "-xy";
	char *bad[] = { "send", cluster, NULL };
	char *good[] = { "send", "--from", "a", "--to", "b", "payload", NULL };
	struct send_opts o;

	(void)state;
	assert_int_equal(parse_send(2, bad, &o), EXIT_USAGE);
	/* The caller reuses its buffer; getopt must not still point into it. */
	memcpy(cluster, "-zz", 3);
	assert_int_equal(parse_send(6, good, &o), 0);
	assert_string_equal(o.to, "b");
	assert_string_equal(o.from, "a");
	assert_string_equal(o.payload, "payload");
}

static void test_recv_parse_after_bad_cluster(void **state)
{
	char cluster[] = "-qr";
	char *bad[] = { "recv", cluster, NULL };
	char *good[] = { "recv", "--as", "w1", "--count", "3", NULL };
	struct recv_opts o;

	(void)state;
	assert_int_equal(parse_recv(2, bad, &o), EXIT_USAGE);
	memcpy(cluster, "-zz", 3);
	assert_int_equal(parse_recv(5, good, &o), 0);
	assert_string_equal(o.as, "w1");
	assert_int_equal(o.count, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_parse_after_bad_cluster),
		cmocka_unit_test(test_recv_parse_after_bad_cluster),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
