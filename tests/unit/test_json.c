/* The JSON writer (user/base/json.h): escaping, structure, numbers,
 * misuse, and the bounded buffer's truncation. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

#define BIG 4096

/* One string value through a buffer writer. */
static const char *str(const char *s, size_t len, int bytes)
{
	static char buf[BIG];
	struct jsonw w;

	jsonw_init_buf(&w, buf, sizeof(buf));
	if (bytes)
		jsonw_string_bytes(&w, s, len);
	else
		jsonw_string_len(&w, s, len);
	assert_int_equal(jsonw_finish(&w), 0);
	return buf;
}

#define S(lit) lit, sizeof(lit) - 1

static void test_escape_table(void **state)
{
	static const struct { const char *in; size_t len; const char *out; } t[] = {
		{ S(""), "\"\"" },
		{ S("plain text /"), "\"plain text /\"" },
		{ S("\""), "\"\\\"\"" },
		{ S("\\"), "\"\\\\\"" },
		{ S("\n\r\t"), "\"\\n\\r\\t\"" },
		{ S("\b\f"), "\"\\u0008\\u000c\"" },
		{ S("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"" },
		{ S("a\0b"), "\"a\\u0000b\"" },
		{ S("\xc3\xa9"), "\"\xc3\xa9\"" },                    /* é as it is */
		{ S("\xe2\x80\xa8"), "\"\xe2\x80\xa8\"" },            /* U+2028 */
		{ S("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"" },    /* 4 bytes */
		{ S("\xff"), "\"\\ufffd\"" },                         /* never UTF-8 */
		{ S("\x80z"), "\"\\ufffdz\"" },                       /* stray continuation */
		{ S("a\xc3"), "\"a\\ufffd\"" },                       /* cut short */
		{ S("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },              /* overlong '/' */
		{ S("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },   /* surrogate */
		{ S("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(str(t[i].in, t[i].len, 0), t[i].out);
}

static void test_escape_bytes(void **state)
{
	(void)state;
	/* kernel names: each byte alone, short escapes not used */
	assert_string_equal(str("caf\xc3\xa9", 16, 1), "\"caf\\u00c3\\u00a9\"");
	assert_string_equal(str("a\nb\"\\\x7f", 16, 1), "\"a\\u000ab\\\"\\\\\\u007f\"");
	assert_string_equal(str("abcdef", 3, 1), "\"abc\"");   /* max */
	assert_string_equal(str("ab\0cd", 5, 1), "\"ab\"");     /* NUL ends it */
}

static void test_base64(void **state)
{
	static const char *const v[][2] = {   /* RFC 4648, section 10 */
		{ "", "\"\"" }, { "f", "\"Zg==\"" }, { "fo", "\"Zm8=\"" },
		{ "foo", "\"Zm9v\"" }, { "foob", "\"Zm9vYg==\"" },
		{ "fooba", "\"Zm9vYmE=\"" }, { "foobar", "\"Zm9vYmFy\"" },
	};
	char buf[64];
	struct jsonw w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		jsonw_init_buf(&w, buf, sizeof(buf));
		jsonw_base64(&w, v[i][0], strlen(v[i][0]));
		assert_int_equal(jsonw_finish(&w), 0);
		assert_string_equal(buf, v[i][1]);
	}
}

static void nested(struct jsonw *w)
{
	jsonw_start_object(w);
	jsonw_uint_field(w, "a", 1);
	jsonw_name(w, "b");
	jsonw_start_array(w);
	jsonw_int(w, -2);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_start_array(w);
	jsonw_end_array(w);
	jsonw_string(w, NULL);
	jsonw_end_array(w);
	jsonw_name(w, "c");
	jsonw_start_object(w);
	jsonw_bool_field(w, "t", true);
	jsonw_null_field(w, "n");
	jsonw_end_object(w);
	jsonw_end_object(w);
}

static void test_nesting(void **state)
{
	char buf[BIG];
	struct jsonw w;

	(void)state;
	jsonw_init_buf(&w, buf, sizeof(buf));
	nested(&w);
	jsonw_newline(&w);
	nested(&w);      /* JSON lines: no comma between top-level values */
	jsonw_newline(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_string_equal(buf,
		"{\"a\":1,\"b\":[-2,{},[],null],\"c\":{\"t\":true,\"n\":null}}\n"
		"{\"a\":1,\"b\":[-2,{},[],null],\"c\":{\"t\":true,\"n\":null}}\n");
	assert_int_equal(jsonw_len(&w), strlen(buf));
}

static void test_pretty(void **state)
{
	char buf[BIG];
	struct jsonw w;

	(void)state;
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_pretty(&w, true);
	nested(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_string_equal(buf,
		"{\n"
		"    \"a\": 1,\n"
		"    \"b\": [\n"
		"        -2,\n"
		"        {},\n"
		"        [],\n"
		"        null\n"
		"    ],\n"
		"    \"c\": {\n"
		"        \"t\": true,\n"
		"        \"n\": null\n"
		"    }\n"
		"}");
}

static void test_numbers(void **state)
{
	char buf[BIG];
	struct jsonw w;

	(void)state;
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_array(&w);
	jsonw_uint(&w, UINT64_MAX);
	jsonw_int(&w, INT64_MIN);
	jsonw_float(&w, "%.3f", 1.0 / 3);
	jsonw_float(&w, "%.1f", -0.0);
	jsonw_float(&w, "%.0f", 1e20);
	jsonw_float(&w, "%.3f", NAN);        /* not JSON: null */
	jsonw_float(&w, "%.3f", INFINITY);
	jsonw_float(&w, "%.3f", -INFINITY);
	jsonw_printf(&w, "%u.%03u", 12u, 7u);
	jsonw_end_array(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_string_equal(buf, "[18446744073709551615,-9223372036854775808,0.333,"
			    "-0.0,100000000000000000000,null,null,null,12.007]");
}

static void test_misuse(void **state)
{
	char buf[64];
	struct jsonw w;

	(void)state;
	/* a value in an object without a name: refused, nothing written */
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_object(&w);
	jsonw_uint(&w, 1);
	assert_string_equal(buf, "{");
	assert_int_equal(jsonw_error(&w), -EINVAL);

	/* a name in an array, at the top, or twice */
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_name(&w, "x");
	assert_int_equal(jsonw_error(&w), -EINVAL);
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_array(&w);
	jsonw_name(&w, "x");
	assert_string_equal(buf, "[");
	assert_int_equal(jsonw_error(&w), -EINVAL);
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_object(&w);
	jsonw_name(&w, "x");
	jsonw_name(&w, "y");
	assert_int_equal(jsonw_error(&w), -EINVAL);

	/* ends that do not match, an end with no start, a name left dangling */
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_array(&w);
	jsonw_end_object(&w);
	assert_int_equal(jsonw_error(&w), -EINVAL);
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_end_array(&w);
	assert_int_equal(jsonw_error(&w), -EINVAL);
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_object(&w);
	jsonw_name(&w, "x");
	jsonw_end_object(&w);
	assert_int_equal(jsonw_error(&w), -EINVAL);

	/* left open; a newline inside a container */
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_object(&w);
	assert_int_equal(jsonw_error(&w), 0);
	jsonw_newline(&w);
	assert_string_equal(buf, "{");
	assert_int_equal(jsonw_finish(&w), -EINVAL);
}

static void test_depth(void **state)
{
	char buf[BIG];
	struct jsonw w;
	int i;

	(void)state;
	jsonw_init_buf(&w, buf, sizeof(buf));
	for (i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_start_array(&w);
	assert_int_equal(jsonw_error(&w), 0);
	jsonw_start_array(&w);     /* one too deep: refused */
	assert_int_equal(jsonw_error(&w), -EINVAL);
	assert_int_equal(strlen(buf), JSONW_MAX_DEPTH);
	for (i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_end_array(&w);
	assert_int_equal(jsonw_finish(&w), -EINVAL);   /* the first error stays */
}

/* Something of every kind: structure, escapes, printf'd numbers. */
static void sample(struct jsonw *w)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "s", "a\"b\xff\xc3\xa9\n");
	jsonw_float_field(w, "f", "%.6f", 3.25);
	jsonw_name(w, "v");
	jsonw_start_array(w);
	jsonw_uint(w, 123456789);
	jsonw_base64(w, "xyz!", 4);
	jsonw_string_bytes(w, "\xe9t\xe9", 8);
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_newline(w);
}

/* Every size from 0 up: never a byte past cap, always NUL-terminated, a
 * prefix of the whole, -ENOSPC exactly when it did not fit, need exact. */
static void test_truncation(void **state)
{
	char full[BIG], buf[BIG + 16];
	size_t n, cap;
	struct jsonw w;

	(void)state;
	jsonw_init_buf(&w, full, sizeof(full));
	sample(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	n = strlen(full);
	assert_int_equal(jsonw_need(&w), n);

	for (cap = 0; cap <= n + 1; cap++) {
		memset(buf, 'G', sizeof(buf));
		jsonw_init_buf(&w, cap ? buf : NULL, cap);
		sample(&w);
		assert_int_equal(jsonw_need(&w), n);
		assert_true(buf[cap] == 'G' && buf[cap + 15] == 'G');
		if (!cap)
			continue;
		assert_int_equal(jsonw_finish(&w), cap > n ? 0 : -ENOSPC);
		assert_int_equal(strlen(buf), cap > n ? n : cap - 1);
		assert_int_equal(jsonw_len(&w), strlen(buf));
		assert_memory_equal(buf, full, strlen(buf));
	}
	jsonw_init_buf(&w, NULL, 0);
	sample(&w);
	assert_int_equal(jsonw_finish(&w), -ENOSPC);
}

static void test_file(void **state)
{
	char *text = NULL;
	size_t len = 0;
	struct jsonw w;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	jsonw_init_file(&w, f);
	sample(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	fclose(f);
	assert_string_equal(text, "{\"s\":\"a\\\"b\\ufffd\xc3\xa9\\n\",\"f\":3.250000,"
			    "\"v\":[123456789,\"eHl6IQ==\",\"\\u00e9t\\u00e9\"]}\n");
	assert_int_equal(jsonw_len(&w), len);
	free(text);

	/* a sink that refuses: -EIO */
	f = fopen("/dev/full", "w");
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	jsonw_init_file(&w, f);
	sample(&w);
	assert_int_equal(jsonw_finish(&w), -EIO);
	fclose(f);
}

static void test_raw(void **state)
{
	char buf[64];
	struct jsonw w;

	(void)state;
	jsonw_init_buf(&w, buf, sizeof(buf));
	jsonw_start_object(&w);
	jsonw_name(&w, "k");
	jsonw_raw(&w, "{\"x\":1}", 7);
	jsonw_uint_field(&w, "n", 2);
	jsonw_end_object(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_string_equal(buf, "{\"k\":{\"x\":1},\"n\":2}");
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid(S("")));
	assert_true(utf8_valid(S("ascii \xc3\xa9 \xf0\x9f\x98\x80")));
	assert_false(utf8_valid(S("\xc3")));
	assert_false(utf8_valid(S("\xed\xa0\x80")));
	assert_false(utf8_valid(S("\xc0\x80")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_bytes),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_utf8_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
