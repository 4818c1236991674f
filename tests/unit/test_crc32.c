/* Our CRC-32 must equal zlib's crc32() bit for bit: frames written by one
 * swarm build are read by another, and older buses hold zlib CRCs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "crc32.h"

static void test_known_vector(void **state)
{
	(void)state;
	/* the check value of CRC-32/ISO-HDLC */
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(crc32_update(0, "", 0), 0);
}

static void test_matches_zlib_every_length_and_alignment(void **state)
{
	unsigned char buf[4096 + 8];
	size_t len, off;

	(void)state;
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 4096; len += len < 80 ? 1 : 37)
			assert_int_equal(crc32_update(0, buf + off, len),
					 (uint32_t)crc32(0L, buf + off, (uInt)len));
}

static void test_chaining(void **state)
{
	const char *a = "swarm frame header", *b = "and its payload";
	char both[64];

	(void)state;
	snprintf(both, sizeof(both), "%s%s", a, b);
	assert_int_equal(crc32_update(crc32_update(0, a, strlen(a)), b, strlen(b)),
			 crc32_update(0, both, strlen(both)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vector),
		cmocka_unit_test(test_matches_zlib_every_length_and_alignment),
		cmocka_unit_test(test_chaining),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
