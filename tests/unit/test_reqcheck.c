/* test_reqcheck.c: method lists, media type, bearer scheme and Host checks (doc/api.md
 * "API limits"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "reqcheck.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_method(void **state)
{
	(void)state;
	assert_true(reqcheck_method("GET", "GET, HEAD"));
	assert_true(reqcheck_method("HEAD", "GET, HEAD"));
	assert_true(reqcheck_method("POST", "POST"));
	/* An empty method once looped forever: strstr(p, "") never advances. */
	assert_false(reqcheck_method("", "GET, HEAD"));
	assert_false(reqcheck_method("", "POST"));
	assert_false(reqcheck_method("", ""));
	assert_false(reqcheck_method("GE", "GET, HEAD"));
	assert_false(reqcheck_method("ET", "GET, HEAD"));
	assert_false(reqcheck_method("GET, HEAD", "GET, HEAD"));
	assert_false(reqcheck_method("get", "GET, HEAD")); /* methods are case-sensitive */
	assert_false(reqcheck_method("POST", "GET, HEAD"));
	assert_false(reqcheck_method(" ", "GET, HEAD"));
}

static void
test_json_type(void **state)
{
	static const char *const good[] = {
		"application/json", "application/json; charset=utf-8", "Application/JSON",
		"application/json;charset=UTF-8", "application/json ; x=y",
	};
	static const char *const bad[] = {
		"text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
		"application/jsonx", "application/json-patch+json", "application/", "",
		" application/json", "application/json,text/plain",
	};

	(void)state;
	for (size_t i = 0; i < N(good); i++)
		assert_true(reqcheck_json_type(good[i]));
	for (size_t i = 0; i < N(bad); i++)
		assert_false(reqcheck_json_type(bad[i]));
	assert_false(reqcheck_json_type(NULL));
}

static void
test_bearer(void **state)
{
	(void)state;
	assert_true(reqcheck_bearer("Bearer s3cret", "s3cret"));
	assert_true(reqcheck_bearer("bearer s3cret", "s3cret")); /* the scheme is case-insensitive */
	assert_true(reqcheck_bearer("BEARER s3cret", "s3cret"));
	assert_true(reqcheck_bearer("Bearer   s3cret", "s3cret"));
	assert_false(reqcheck_bearer("Bearer S3cret", "s3cret")); /* the token is not */
	assert_false(reqcheck_bearer("Bearers3cret", "s3cret"));
	assert_false(reqcheck_bearer("Bearer s3cre", "s3cret"));
	assert_false(reqcheck_bearer("Bearer s3cretx", "s3cret"));
	assert_false(reqcheck_bearer("Bearer ", "s3cret"));
	assert_false(reqcheck_bearer("Basic s3cret", "s3cret"));
	assert_false(reqcheck_bearer("Bear s3cret", "s3cret"));
	assert_false(reqcheck_bearer(NULL, "s3cret"));
}

static void
test_host(void **state)
{
	static const char *const names[] = { "dockscale.internal" };
	static const char *const good[] = {
		"127.0.0.1:9280", "127.0.0.1", "localhost:9280", "LocalHost", "[::1]:9280",
		"[::1]", "10.1.2.3:9280", "dockscale.internal:9280", "DOCKSCALE.internal",
	};
	static const char *const bad[] = {
		"evil.example:9280", "evil.example", "127.0.0.1.nip.io:9280", "localhost.:9280",
		"", ":9280", "127.0.0.1:", "127.0.0.1:x", "[::1", "[::1]x", "::1", "[evil]:1",
		"2130706433", "0x7f.1:9280", "localhost:9280:1", "dockscale.internal.evil:1",
	};

	(void)state;
	assert_true(reqcheck_host(NULL, NULL, 0)); /* HTTP/1.0 */
	for (size_t i = 0; i < N(good); i++)
		assert_true(reqcheck_host(good[i], names, N(names)));
	for (size_t i = 0; i < N(bad); i++)
		assert_false(reqcheck_host(bad[i], names, N(names)));
	assert_false(reqcheck_host("dockscale.internal", NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_json_type),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
