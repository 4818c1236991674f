/* --bus / --join URL checks: a typo is a usage error before any network. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nats_mesh.h"

static void good_urls(void **state)
{
	(void)state;
	assert_int_equal(nm_url_valid("nats://127.0.0.1:4222"), 0);
	assert_int_equal(nm_url_valid("nats://host-a.example"), 0);
	assert_int_equal(nm_url_valid("nats://user:pw@h:1"), 0);
	assert_int_equal(nm_url_valid("tls://h:65535"), 0);
	assert_int_equal(nm_url_valid("nats://[::1]:4222"), 0);
	assert_int_equal(nm_url_valid("nats://a:4222,nats://b:4222"), 0);
	assert_true(nm_is_url("nats://x"));
	assert_false(nm_is_url("/dev/shm/swarm-x"));
}

static void bad_urls(void **state)
{
	char big[NM_URL_MAX + 8];

	(void)state;
	assert_int_equal(nm_url_valid(NULL), -EINVAL);
	assert_int_equal(nm_url_valid(""), -EINVAL);
	assert_int_equal(nm_url_valid("http://h:4222"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://h:0"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://h:65536"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://h:"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://h:42x"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://h o:1"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://h;rm:1"), -EINVAL);
	/* found by fuzz_parsers: any byte was accepted before the '@' */
	assert_int_equal(nm_url_valid("nats://us er:pw@h:1"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://user:p\nw@h:1"), -EINVAL);
	assert_int_equal(nm_url_valid("tls://k:\xff\xff@h:1"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://[zz]:1"), -EINVAL);
	assert_int_equal(nm_url_valid("nats://a:1,"), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "nats://", 7);
	assert_int_equal(nm_url_valid(big), -EINVAL);
}

static void error_text(void **state)
{
	(void)state;
	assert_non_null(strstr(nm_strerror(-ENOTSUP), "lacks NATS support"));
	assert_non_null(strstr(nm_strerror(-ENOTCONN), "not reachable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_urls),
		cmocka_unit_test(bad_urls),
		cmocka_unit_test(error_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
