/* Task file parsing and {} substitution. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tasks.h"

/* Load text through a real pipe, as --tasks - would read it. */
static int load_text(const char *text, size_t len, struct task_list *tl,
		     size_t *bad)
{
	int p[2], err;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, len), (ssize_t)len);
	close(p[1]);
	err = tasks_load_fd(p[0], tl, bad);
	close(p[0]);
	return err;
}

static void test_lines(void **state)
{
	const char txt[] = "one\ntwo words\n\n\nthree\r\nlast-no-newline";
	struct task_list tl;
	size_t bad;

	(void)state;
	assert_int_equal(load_text(txt, sizeof(txt) - 1, &tl, &bad), 0);
	assert_int_equal(tl.n, 4);
	assert_string_equal(tl.v[0].text, "one");
	assert_string_equal(tl.v[1].text, "two words");
	assert_string_equal(tl.v[2].text, "three");    /* \r dropped */
	assert_int_equal(tl.v[2].len, 5);
	assert_string_equal(tl.v[3].text, "last-no-newline");
	assert_int_equal(tl.v[3].id, 3);
	assert_int_equal(tl.v[0].owner, -1);
	tasks_free(&tl);
}

static void test_empty_and_blank(void **state)
{
	struct task_list tl;

	(void)state;
	assert_int_equal(load_text("", 0, &tl, NULL), 0);
	assert_int_equal(tl.n, 0);
	tasks_free(&tl);
	assert_int_equal(load_text("\n\r\n\n", 4, &tl, NULL), 0);
	assert_int_equal(tl.n, 0);
	tasks_free(&tl);
}

static void test_nul_refused_with_line(void **state)
{
	const char txt[] = "ok\nalso ok\nbad\0byte\n";
	struct task_list tl;
	size_t bad = 0;

	(void)state;
	assert_int_equal(load_text(txt, sizeof(txt) - 1, &tl, &bad), -EINVAL);
	assert_int_equal(bad, 3);
	assert_null(tl.v);
}

static void test_long_line_refused(void **state)
{
	size_t len = TASK_MAX_LEN + 10, bad = 0;
	char *txt = malloc(len + 3);
	struct task_list tl;
	int p[2], err;
	pid_t pid;

	(void)state;
	memset(txt, 'x', len);
	memcpy(txt + len, "\n", 2);
	/* Bigger than a pipe buffer: write from a child. */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(write_full(p[1], "a\n", 2) || write_full(p[1], txt, len + 1));
	}
	close(p[1]);
	err = tasks_load_fd(p[0], &tl, &bad);
	close(p[0]);
	waitpid(pid, NULL, 0);
	assert_int_equal(err, -E2BIG);
	assert_int_equal(bad, 2);
	free(txt);
}

static void test_generate(void **state)
{
	struct task_list tl;

	(void)state;
	assert_int_equal(tasks_generate(3, &tl), 0);
	assert_int_equal(tl.n, 3);
	assert_string_equal(tl.v[0].text, "task 1");
	assert_string_equal(tl.v[2].text, "task 3");
	assert_int_equal(tl.v[2].len, 6);
	tasks_free(&tl);
	assert_int_equal(tasks_generate(TASK_MAX_COUNT + 1, &tl), -E2BIG);
}

static void test_substitute(void **state)
{
	char *argv[] = { "/bin/echo", "{}", "pre{}post", "{}{}", "plain", "{", NULL };
	char *none[] = { "/bin/true", "x", NULL };
	char **out;

	(void)state;
	assert_true(tasks_has_placeholder(argv));
	assert_false(tasks_has_placeholder(none));
	assert_int_equal(tasks_substitute(argv, "a b", &out), 0);
	assert_string_equal(out[0], "/bin/echo");
	assert_string_equal(out[1], "a b");
	assert_string_equal(out[2], "prea bpost");
	assert_string_equal(out[3], "a ba b");
	assert_string_equal(out[4], "plain");
	assert_string_equal(out[5], "{");
	assert_null(out[6]);
	free(out);
	/* shorter than the placeholder, and empty */
	assert_int_equal(tasks_substitute(argv, "", &out), 0);
	assert_string_equal(out[2], "prepost");
	assert_string_equal(out[3], "");
	free(out);
	/* the task text is never re-scanned for {} */
	assert_int_equal(tasks_substitute(argv, "{}", &out), 0);
	assert_string_equal(out[3], "{}{}");
	free(out);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(task_status_name(TS_OK), "ok");
	assert_string_equal(task_status_name(TS_HUNG), "hung");
	assert_string_equal(task_status_name(TS_TIMEOUT), "timeout");
	assert_string_equal(task_status_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_empty_and_blank),
		cmocka_unit_test(test_nul_refused_with_line),
		cmocka_unit_test(test_long_line_refused),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_substitute),
		cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
