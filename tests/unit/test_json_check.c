/* json_check: what another process sends is copied into our report only
 * when it is one whole JSON value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static int ok(const char *s)
{
	return json_check(s, strlen(s), 8) == 0;
}

static void accepts_json(void **state)
{
	(void)state;
	assert_true(ok("{}"));
	assert_true(ok(" [ ] "));
	assert_true(ok("{\"enabled\":true,\"attach_s\":0.036,\"slots\":[0,1,-2,3.5e-3,1E+9],"
		       "\"why\":null,\"s\":\"a\\\"b\\\\c\\n\\u00e9/\",\"o\":{\"x\":false}}"));
	assert_true(ok("0"));
	assert_true(ok("-0.5"));
	assert_true(ok("\"caf\xc3\xa9\""));
	/* the report writer's own output passes */
	{
		char buf[256];
		struct jsonw w;

		jsonw_init_buf(&w, buf, sizeof(buf));
		jsonw_start_object(&w);
		jsonw_string_field(&w, "name", "j1\t\x01\"");
		jsonw_float_field(&w, "x", "%.3f", 1.5);
		jsonw_name(&w, "a");
		jsonw_start_array(&w);
		jsonw_null(&w);
		jsonw_end_array(&w);
		jsonw_end_object(&w);
		assert_int_equal(jsonw_finish(&w), 0);
		assert_int_equal(json_check(buf, jsonw_len(&w), 8), 0);
	}
}

static void refuses_the_rest(void **state)
{
	(void)state;
	assert_false(ok(""));
	assert_false(ok("   "));
	assert_false(ok("{"));
	assert_false(ok("{\"a\":1"));
	assert_false(ok("{\"a\":1,}"));
	assert_false(ok("[1,]"));
	assert_false(ok("{\"a\" 1}"));
	assert_false(ok("{a:1}"));
	assert_false(ok("[01]"));
	assert_false(ok("[1.]"));
	assert_false(ok("[.5]"));
	assert_false(ok("[1e]"));
	assert_false(ok("[-]"));
	assert_false(ok("tru"));
	assert_false(ok("nul"));
	assert_false(ok("\"open"));
	assert_false(ok("\"bad \\x escape\""));
	assert_false(ok("\"short \\u12\""));
	assert_false(ok("\"raw\nnewline\""));
	assert_false(ok("{}{}"));      /* two values */
	assert_false(ok("{} x"));
	assert_false(ok("],"));
	/* a NUL inside is not the end of the text */
	assert_int_equal(json_check("{}\0{}", 5, 8), -1);
	assert_int_equal(json_check("\"a\0b\"", 5, 8), -1);
	assert_int_equal(json_check(NULL, 0, 8), -1);
}

static void bounds_depth(void **state)
{
	char deep[64];

	(void)state;
	memset(deep, '[', 32);
	memset(deep + 32, ']', 32);
	assert_int_equal(json_check(deep, 64, 32), 0);
	assert_int_equal(json_check(deep, 64, 31), -1);
	/* cut anywhere, it is refused */
	assert_int_equal(json_check(deep, 63, 32), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_json),
		cmocka_unit_test(refuses_the_rest),
		cmocka_unit_test(bounds_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
