/* Without privileges the tracer refuses with -EPERM and one line that names
 * every signal that is off and why; nothing is left half-loaded. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf_harness.h"

static void test_unprivileged_one_line(void **state)
{
	int p[2], st;
	char buf[512] = "";
	ssize_t n;
	pid_t c;

	(void)state;
	SKIP_UNLESS_ROOT(); /* need root to become nobody */
	assert_int_equal(pipe(p), 0);
	c = fork();
	if (c == 0) {
		struct tracer *tr = NULL;
		char why[256];
		int err;

		close(p[0]);
		if (setgid(65534) || setuid(65534))
			_exit(10);
		err = tracer_open(&tr, getpid(), NULL, why, sizeof(why));
		if (write(p[1], why, strlen(why)) < 0)
			_exit(11);
		_exit(err == -EPERM && tr == NULL ? 0 : 12);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(waitpid(c, &st, 0), c);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_null(strchr(buf, '\n'));        /* one line */
	assert_non_null(strstr(buf, "spawn, flock, fd, latency"));
	assert_non_null(strstr(buf, "root"));
}

static void test_bad_root_pid(void **state)
{
	struct tracer *tr = NULL;
	char why[256];

	(void)state;
	SKIP_UNLESS_ROOT();
	assert_int_equal(tracer_open(&tr, 0, NULL, why, sizeof(why)), -EINVAL);
	assert_null(tr);
	/* a pid that cannot exist (above pid_max) */
	assert_int_equal(tracer_open(&tr, 0x7ffffff0, NULL, why, sizeof(why)), -ESRCH);
	assert_null(tr);
	assert_non_null(strstr(why, "pid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unprivileged_one_line),
		cmocka_unit_test(test_bad_root_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
