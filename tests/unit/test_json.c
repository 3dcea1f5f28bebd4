/* test_json.c: strict JSON: what json_parse_strict accepts, refuses, and says why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* A body with its exact length: some hold NUL bytes. */
#define B(s) s, sizeof(s) - 1

struct jcase {
	const char *body;
	size_t len;
	const char *err; /* NULL: accepted */
};

static void
check(const struct jcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[128] = "unset";
		/* An exact-size copy: a read past len shows under ASan/valgrind. */
		char *b = malloc(c[i].len + 1);
		cJSON *root;

		assert_non_null(b);
		memcpy(b, c[i].body, c[i].len);
		root = json_parse_strict(b, c[i].len, err, sizeof(err));
		if (c[i].err == NULL && root == NULL)
			fail_msg("case %zu refused: %s", i, err);
		if (c[i].err != NULL && root != NULL)
			fail_msg("case %zu accepted, want \"%s\"", i, c[i].err);
		if (c[i].err != NULL && strcmp(err, c[i].err) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err, c[i].err);
		if (c[i].err == NULL)
			assert_string_equal(err, "");
		/* the wrapper agrees */
		cJSON_Delete(root);
		root = json_parse_whole(b, c[i].len);
		assert_true((root != NULL) == (c[i].err == NULL));
		cJSON_Delete(root);
		free(b);
	}
}

static void
test_accepted(void **state)
{
	static const struct jcase cases[] = {
		{ B("{}"), NULL },
		{ B("[]"), NULL },
		{ B(" \t\r\n{\"a\":1}\r\n "), NULL },
		{ B("\"plain\""), NULL },
		{ B("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}"), NULL }, /* same key, other objects */
		{ B("{\"A\":1,\"a\":2}"), NULL },                             /* keys are case-sensitive */
		{ B("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
		    "\"k9\":1,\"k10\":1}"), NULL },                           /* the sorted path */
		{ B("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\""), NULL },
		{ B("\"\\u00e9 \\ud83d\\ude00\""), NULL },
		{ B("\"\\\\u0000\""), NULL }, /* an escaped backslash, then the text u0000 */
		{ B("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\""), NULL },
	};

	check(cases, N(cases));
}

static void
test_refused(void **state)
{
	static const struct jcase cases[] = {
		/* not JSON at all: cJSON's refusals */
		{ B(""), "not JSON" },
		{ B("hello"), "not JSON" },
		{ B("{}x"), "not JSON" },
		{ B("{}{}"), "not JSON" },
		{ B("{\"a\":1"), "not JSON" },
		{ B("\"\\ud800\""), "not JSON" }, /* lone surrogates */
		{ B("\"\\udc00\""), "not JSON" },
		{ B("\"\\x\""), "not JSON" },
		/* NUL: raw or escaped, in a value, a key or after the document */
		{ B("{\"alertname\":\"RelUp\\u0000-not-RelUp\"}"),
		    "\\u0000 (NUL) in a string at byte 19" },
		{ B("{\"a\\u0000b\":1}"), "\\u0000 (NUL) in a string at byte 3" },
		{ B("{\"a\":\"x\0y\"}"), "control character 0x00 in a string at byte 7" },
		{ B("{}\0"), "control character 0x00 at byte 2" },
		{ B("\0{}"), "control character 0x00 at byte 0" },
		{ B("{\"a\":\"\\\0\"}"), "control character 0x00 in a string at byte 7" },
		/* other control characters: raw ones are never JSON inside strings */
		{ B("\"a\tb\""), "control character 0x09 in a string at byte 2" },
		{ B("\"a\nb\""), "control character 0x0a in a string at byte 2" },
		{ B("\"\x1b[31m\""), "control character 0x1b in a string at byte 1" },
		{ B("{\x0b}"), "control character 0x0b at byte 1" },
		/* invalid UTF-8, anywhere */
		{ B("\"\xff\""), "invalid UTF-8 at byte 1" },
		{ B("\"\x80\""), "invalid UTF-8 at byte 1" },           /* lone continuation */
		{ B("\"\xc0\xaf\""), "invalid UTF-8 at byte 1" },       /* overlong '/' */
		{ B("\"\xe0\x80\xaf\""), "invalid UTF-8 at byte 1" },   /* overlong, 3 bytes */
		{ B("\"\xed\xa0\x80\""), "invalid UTF-8 at byte 1" },   /* surrogate U+D800 */
		{ B("\"\xf4\x90\x80\x80\""), "invalid UTF-8 at byte 1" }, /* above U+10FFFF */
		{ B("\"\xe2\x82\""), "invalid UTF-8 at byte 1" },       /* cut sequence */
		{ B("\"ab\xe2\x82"), "invalid UTF-8 at byte 3" },       /* cut at the end */
		{ B("{\"a\":1}\xc3"), "invalid UTF-8 at byte 7" },
		{ B("\"\\\xc3\xa9\""), "not JSON" },                    /* valid, but no escape */
		/* duplicate keys, small and sorted paths, nested, escaped */
		{ B("{\"replicas\":2,\"replicas\":3}"), "duplicate key \"replicas\"" },
		{ B("{\"a\":1,\"b\":2,\"a\":1}"), "duplicate key \"a\"" },
		{ B("[{\"x\":{\"y\":[{\"z\":1,\"z\":1}]}}]"), "duplicate key \"z\"" },
		{ B("{\"a\":1,\"\\u0061\":2}"), "duplicate key \"a\"" },
		{ B("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
		    "\"k9\":1,\"k4\":1}"), "duplicate key \"k4\"" },
		{ B("{\"\":1,\"\":2}"), "duplicate key \"\"" },
		{ B("{\"q\\\"\":1,\"q\\\"\":2}"), "duplicate key \"q?\"" }, /* echo drops quotes */
	};

	check(cases, N(cases));
}

/* The byte-level pass alone, and err that is NULL or tiny. */
static void
test_check_text(void **state)
{
	char small[8];

	assert_int_equal(json_check_text(B("\"ok\""), NULL, 0), 0);
	assert_int_equal(json_check_text(B("\"\xff\""), NULL, 0), -1);
	assert_int_equal(json_check_text(B("\"\xff\""), small, sizeof(small)), -1);
	assert_string_equal(small, "inva...");
	assert_null(json_parse_strict(NULL, 0, NULL, 0));
	assert_null(json_parse_strict(B("{\"a\":1,\"a\":1}"), NULL, 0));
}

/* A Docker list: an array, strictly parsed, or nothing. */
static void
test_parse_array(void **state)
{
	cJSON *a = json_parse_array(" [1, {\"a\": 2}] ");

	(void)state;
	assert_non_null(a);
	assert_int_equal(cJSON_GetArraySize(a), 2);
	cJSON_Delete(a);
	assert_null(json_parse_array("{}"));
	assert_null(json_parse_array("[1] [2]"));
	assert_null(json_parse_array("[{\"a\":1,\"a\":2}]"));
	assert_null(json_parse_array(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_check_text),
		cmocka_unit_test(test_parse_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
