/* Replacement strings, shell quoting of -c scripts, and plain-command
 * input (::: / :::: / -0 / --colsep / combinations). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "replace.h"
#include "run_input.h"

/* argv[1] of "echo ARG" with one column s. */
static char *one(const char *arg, const char *s, uint64_t seq, unsigned slot)
{
	char *argv[] = { "echo", (char *)arg, NULL }, **out, *r;
	const char *cols[] = { s };
	struct replace_in in = { .cols = cols, .ncols = 1, .seq = seq, .slot = slot };

	assert_int_equal(replace_argv(argv, &in, 0, &out), 0);
	assert_string_equal(out[0], "echo");
	assert_null(out[2]);
	r = strdup(out[1]);
	free(out);
	return r;
}

static void expect(const char *arg, const char *in, const char *want)
{
	char *got = one(arg, in, 7, 3);

	assert_string_equal(got, want);
	free(got);
}

/* The values GNU parallel 20221122 prints for the same inputs. */
static void test_modifiers(void **state)
{
	(void)state;
	expect("{.}", "a/b.c.d", "a/b.c");
	expect("{.}", "foo.", "foo");
	expect("{.}", ".bashrc", "");
	expect("{.}", "a.b/c", "a.b/c");
	expect("{.}", "x/.y", "x/");
	expect("{/}", "a/b.c.d", "b.c.d");
	expect("{/}", "a/", "");
	expect("{/}", "/", "");
	expect("{//}", "a/b.c.d", "a");
	expect("{//}", "foo.", ".");
	expect("{//}", "/", "/");
	expect("{//}", "a/", ".");
	expect("{//}", "a//b", "a");
	expect("{//}", "", ".");
	expect("{//}", "dir/sub/", "dir");
	expect("{//}", "/abs", "/");
	expect("{/.}", "a/b.c.d", "b.c");
	expect("{/.}", "x/.y", "");
	expect("{#}-{%}", "x", "7-3");
	expect("pre{}post", "a b", "prea bpost");
	expect("{}{}", "ab", "abab");
}

static void test_not_tokens(void **state)
{
	(void)state;
	expect("{x}", "v", "{x}");
	expect("{", "v", "{");
	expect("{0}", "v", "{0}");
	expect("{{}}", "v", "{v}");
	/* a value is never re-scanned */
	expect("{}", "{.}", "{.}");
	{
		char *argv[] = { "echo", "{x}", NULL }, *argv2[] = { "a", "b{/.}c", NULL };

		assert_false(replace_has(argv));
		assert_true(replace_has(argv2));
	}
}

static void test_shell_script_quoted(void **state)
{
	char *argv[] = { "/bin/sh", "-ec", "echo {} \"$1\"", "_", "{}", NULL }, **out;
	const char *cols[] = { "a'; touch x" };
	struct replace_in in = { .cols = cols, .ncols = 1, .seq = 1, .slot = 1 };

	(void)state;
	assert_int_equal(replace_shell_script(argv), 2);
	assert_int_equal(replace_argv(argv, &in, 1, &out), 0);
	assert_string_equal(out[2], "echo 'a'\"'\"'; touch x' \"$1\"");
	/* a positional parameter goes in as it is */
	assert_string_equal(out[4], "a'; touch x");
	assert_null(out[5]);
	free(out);
}

static void test_shell_detection(void **state)
{
	char *a[] = { "bash", "-o", "pipefail", "-c", "s", NULL };
	char *b[] = { "sh", "script.sh", "{}", NULL };
	char *c[] = { "/usr/bin/env", "-c", "x", NULL };
	char *d[] = { "dash", "-e", "-c", "--", "s", NULL };
	char *e[] = { "busybox", "sh", "-c", "s", NULL };

	(void)state;
	assert_int_equal(replace_shell_script(a), 4);
	assert_int_equal(replace_shell_script(b), -1);
	assert_int_equal(replace_shell_script(c), -1);
	assert_int_equal(replace_shell_script(d), 4);
	assert_int_equal(replace_shell_script(e), 3);
}

static void test_append_and_columns(void **state)
{
	char *argv[] = { "echo", "x", NULL }, *argv2[] = { "echo", "{2}", "{1/}", "{}", "{3}", NULL };
	const char *cols[] = { "a/b", "c d" };
	struct replace_in in = { .cols = cols, .ncols = 2, .seq = 1, .slot = 1 };
	char **out;

	(void)state;
	assert_int_equal(replace_argv(argv, &in, 1, &out), 0);
	assert_string_equal(out[2], "a/b");
	assert_string_equal(out[3], "c d");
	assert_null(out[4]);
	free(out);
	assert_int_equal(replace_argv(argv, &in, 0, &out), 0);
	assert_null(out[2]);
	free(out);
	assert_int_equal(replace_argv(argv2, &in, 1, &out), 0);
	assert_string_equal(out[1], "c d");
	assert_string_equal(out[2], "b");
	assert_string_equal(out[3], "a/b c d");
	assert_string_equal(out[4], "");     /* no such column */
	assert_null(out[5]);
	free(out);
}

static void test_cmdline(void **state)
{
	char *argv[] = { "echo", "a b", "it's", "$(x)", "plain-1.txt", "", NULL }, *l;

	(void)state;
	l = replace_cmdline(argv);
	assert_non_null(l);
	assert_string_equal(l, "echo 'a b' 'it'\"'\"'s' '$(x)' plain-1.txt ''");
	free(l);
}

static int write_file(char *path, const char *data, size_t len)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		return -1;
	close(fd);
	return 0;
}

static void test_input_combinations(void **state)
{
	char *argv[] = { "echo", ":::", "a", "b", "::::", NULL, ":::", "1", NULL };
	char path[] = "/tmp/swarm-test-input.XXXXXX";
	struct input_cfg c = { 0 };
	struct task_list tl;
	const char *bad = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(write_file(path, "x,y\r\n\nz\n", 8), 0);
	argv[5] = path;
	assert_int_equal(input_split_argv(argv, &c, &bad), 0);
	assert_null(argv[1]);
	assert_int_equal(c.nsrc, 3);
	c.colsep = ",";
	assert_int_equal(input_load(&c, &tl, err, sizeof(err)), 0);
	/* 2 x 2 x 1, the last source fastest */
	assert_int_equal(tl.n, 4);
	assert_string_equal(tl.v[0].text, "a x y 1");
	assert_int_equal(tl.v[0].ncols, 4);
	assert_string_equal(tl.v[1].text, "a z 1");
	assert_string_equal(tl.v[2].text, "b x y 1");
	assert_int_equal(tl.v[3].id, 3);
	assert_string_equal(tl.v[0].cols + 2, "x");
	tasks_free(&tl);
	input_free(&c);
	unlink(path);
}

static void test_input_null_and_errors(void **state)
{
	char path[] = "/tmp/swarm-test-input.XXXXXX";
	char *argv[] = { "echo", ":::", NULL }, *argv2[] = { "echo", "::::", path, NULL };
	struct input_cfg c = { 0 };
	struct task_list tl;
	const char *bad = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(input_split_argv(argv, &c, &bad), -EINVAL);
	assert_string_equal(bad, ":::");
	input_free(&c);
	assert_int_equal(write_file(path, "a\nb\0c\0\0", 7), 0);
	assert_int_equal(input_split_argv(argv2, &c, &bad), 0);
	assert_int_equal(input_load(&c, &tl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2: contains a NUL byte"));
	c.null_sep = 1;
	assert_int_equal(input_load(&c, &tl, err, sizeof(err)), 0);
	assert_int_equal(tl.n, 2);
	assert_string_equal(tl.v[0].text, "a\nb");
	assert_string_equal(tl.v[1].text, "c");
	tasks_free(&tl);
	c.colsep = "(";
	assert_int_equal(input_load(&c, &tl, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--colsep"));
	input_free(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modifiers),
		cmocka_unit_test(test_not_tokens),
		cmocka_unit_test(test_shell_script_quoted),
		cmocka_unit_test(test_shell_detection),
		cmocka_unit_test(test_append_and_columns),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_input_combinations),
		cmocka_unit_test(test_input_null_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
