/* read_text_at (util.h): a small text file, NUL-terminated and bounded,
 * opened at a directory with the caller's extra flags. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static char dir[] = "/tmp/swarm-read-text.XXXXXX";

static int setup(void **state)
{
	char p[64];
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(p, sizeof(p), "%s/f", dir);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs("hello\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/l", dir);
	return symlink("f", p);
}

static int teardown(void **state)
{
	char p[64];

	(void)state;
	snprintf(p, sizeof(p), "%s/f", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/l", dir);
	unlink(p);
	return rmdir(dir);
}

static void test_whole_and_bounded(void **state)
{
	char path[64], buf[16], small[4];

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(read_text_at(AT_FDCWD, path, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "hello\n");
	/* at most len - 1 bytes, always terminated */
	assert_int_equal(read_text_at(AT_FDCWD, path, 0, small, sizeof(small)), 0);
	assert_string_equal(small, "hel");
	assert_int_equal(read_text_at(AT_FDCWD, path, 0, buf, 0), -EINVAL);
}

static void test_at_dir_and_flags(void **state)
{
	char buf[16];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(read_text_at(dfd, "l", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "hello\n");
	assert_int_equal(read_text_at(dfd, "l", O_NOFOLLOW, buf, sizeof(buf)), -ELOOP);
	assert_int_equal(read_text_at(dfd, "missing", 0, buf, sizeof(buf)), -ENOENT);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_bounded),
		cmocka_unit_test(test_at_dir_and_flags),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
