/* tracefs (user/base/tracefs.h): found where mountinfo says, mounted only
 * inside a child's own mount namespace, the host's table left as it was. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracefs.h"

static void test_host_untouched(void **state)
{
	char before[1024], after[1024], dir[1024], ev[1100];
	int had, st, r;
	struct stat sb;
	pid_t pid;

	(void)state;
	if (geteuid()) {
		fprintf(stderr, "SKIP %s: needs root (mount)\n", __func__);
		skip();
	}
	had = tracefs_dir(before, sizeof(before));
	assert_true(had == 0 || had == -ENOENT);
	r = tracefs_mountable();
	if (r) {
		fprintf(stderr, "SKIP %s: tracefs cannot be mounted here (%s)\n", __func__,
			strerror(-r));
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		r = tracefs_find_or_mount(dir, sizeof(dir));
		snprintf(ev, sizeof(ev), "%s/events", dir);
		/* mounted already (0) or by us (1), and holding the events */
		_exit(r == (had ? 1 : 0) && !stat(ev, &sb) && S_ISDIR(sb.st_mode) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(tracefs_dir(after, sizeof(after)), had);
	if (!had)
		assert_string_equal(after, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
