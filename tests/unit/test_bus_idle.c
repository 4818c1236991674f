/* An idle reader gives its consumed segment back however it slices its
 * waiting: a full small tmpfs must not stay full because the reader polls
 * with short timeouts. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus_fixture.h"
#include "bus.h"

static int seg_exists(struct bus *b, const char *name)
{
	struct stat st;

	return fstatat(bus_dirfd(b), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_short_waits_still_reclaim(void **state)
{
	struct bus *b = *state;
	struct inbox *a, *r;
	struct bus_out m = { .data = "payload", .len = 7 };
	struct bus_msg msg;
	uint64_t give_up;
	int i;

	assert_int_equal(inbox_open(b, "a", &a), 0);
	assert_int_equal(inbox_open(b, "r", &r), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(inbox_send(r, a, &m), 0);
	assert_int_equal(inbox_reader_begin(r), 0);
	while (inbox_next(r, &msg) == 1)
		;
	assert_int_equal(inbox_commit(r), 0);
	assert_true(seg_exists(b, "r.00000001.seg"));
	/* 30 ms waits for up to 3 s: far past the 100 ms idle threshold. */
	give_up = now_ns() + 3000000000ull;
	while (seg_exists(b, "r.00000001.seg") && now_ns() < give_up)
		assert_int_equal(inbox_wait(r, 30), 0);
	assert_false(seg_exists(b, "r.00000001.seg"));
	/* And the inbox keeps working after the reclaim. */
	assert_int_equal(inbox_send(r, a, &m), 0);
	assert_int_equal(inbox_wait(r, 1000), 1);
	assert_int_equal(inbox_next(r, &msg), 1);
	assert_memory_equal(msg.data, "payload", 7);
	inbox_close(a);
	inbox_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_short_waits_still_reclaim, bus_fixture_setup, bus_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
