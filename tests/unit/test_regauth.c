/* test_regauth.c: registry credentials (src/regauth.c): the auth file's forms, the
 * registry hosts it names, and the X-Registry-Auth header. doc/registry.md, "Images from a
 * registry". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "regauth.h"

static void
test_b64(void **state)
{
	static const struct {
		const char *in, *std, *url;
	} v[] = {
		{ "", "", "" },
		{ "f", "Zg==", "Zg==" },
		{ "fo", "Zm8=", "Zm8=" },
		{ "foo", "Zm9v", "Zm9v" },
		{ "\xfb\xff\xbf", "+/+/", "-_-_" },
		{ "user:pass", "dXNlcjpwYXNz", "dXNlcjpwYXNz" },
	};
	char out[32];
	unsigned char back[32];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);

		assert_int_equal(regauth_b64((const unsigned char *)v[i].in, n, 0, out,
		    sizeof(out)), (int)strlen(v[i].std));
		assert_string_equal(out, v[i].std);
		assert_int_equal(regauth_b64((const unsigned char *)v[i].in, n, 1, out,
		    sizeof(out)), (int)strlen(v[i].url));
		assert_string_equal(out, v[i].url);
		/* both alphabets decode, with or without padding */
		assert_int_equal(regauth_unb64(v[i].std, back, sizeof(back)), (int)n);
		assert_memory_equal(back, v[i].in, n);
		assert_int_equal(regauth_unb64(v[i].url, back, sizeof(back)), (int)n);
		assert_memory_equal(back, v[i].in, n);
	}
	assert_int_equal(regauth_unb64("ab$c", back, sizeof(back)), -1);
	assert_int_equal(regauth_b64((const unsigned char *)"foo", 3, 0, out, 4), -1);
	assert_int_equal(regauth_unb64("Zm9vYmFy", back, 3), -1);
}

static void
test_host(void **state)
{
	static const char *const v[][2] = {
		{ "https://index.docker.io/v1/", "docker.io" },
		{ "index.docker.io", "docker.io" },
		{ "registry-1.docker.io", "docker.io" },
		{ "http://127.0.0.1:5000/v2/", "127.0.0.1:5000" },
		{ "127.0.0.1:5000", "127.0.0.1:5000" },
		{ "https://registry.example:443", "registry.example:443" },
		{ "ghcr.io/some/path", "ghcr.io" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		regauth_host(v[i][0], out, sizeof(out));
		assert_string_equal(out, v[i][1]);
	}
}

/* The header is base64url of the JSON the Engine API documents for X-Registry-Auth. */
static void
test_header(void **state)
{
	static const char file[] = "{\"auths\": {"
	    "\"http://127.0.0.1:5000\": {\"auth\": \"dXNlcjpwYXNz\"},"
	    "\"reg.example:5000\": {\"username\": \"ann\", \"password\": \"s3>cr?t\"},"
	    "\"https://index.docker.io/v1/\": {\"identitytoken\": \"tok\", \"auth\": \"eDp5\"},"
	    "\"helper.example\": {}}}";
	static const struct {
		const char *host;
		int rc;
		const char *json;
	} v[] = {
		{ "127.0.0.1:5000", 1,
		  "{\"username\":\"user\",\"password\":\"pass\",\"serveraddress\":\"127.0.0.1:5000\"}" },
		{ "reg.example:5000", 1,
		  "{\"username\":\"ann\",\"password\":\"s3>cr?t\",\"serveraddress\":\"reg.example:5000\"}" },
		{ "docker.io", 1, "{\"identitytoken\":\"tok\",\"serveraddress\":"
		  "\"https://index.docker.io/v1/\"}" },
		{ "helper.example", 0, NULL },
		{ "127.0.0.1:5001", 0, NULL },
	};
	struct regauth a;
	char err[128], hdr[512];
	unsigned char json[512];

	assert_int_equal(regauth_parse(file, strlen(file), &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 3);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int n;

		assert_int_equal(regauth_header(&a, v[i].host, hdr, sizeof(hdr)), v[i].rc);
		if (v[i].json == NULL)
			continue;
		/* url-safe: nothing a header or a URL would mangle */
		assert_int_equal(strcspn(hdr, "+/"), strlen(hdr));
		n = regauth_unb64(hdr, json, sizeof(json) - 1);
		assert_true(n > 0);
		json[n] = '\0';
		assert_string_equal((char *)json, v[i].json);
	}
	/* too small a buffer: -1, never a cut header */
	assert_int_equal(regauth_header(&a, "127.0.0.1:5000", hdr, 16), -1);
	regauth_free(&a);
	assert_int_equal(a.n, 0);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} v[] = {
		{ "", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "{\"auths\": {\"a\": 1}, \"auths\": {}}", "not a JSON object" },
		{ "{\"auths\": \"x\"}", "\"auths\" is not an object" },
		{ "{\"auths\": {\"\": {\"auth\": \"dXNlcjpwYXNz\"}}}", "auths entry \"\" names no registry" },
		{ "{\"auths\": {\"r\": {\"auth\": \"bm9jb2xvbg==\"}}}",
		  "auths entry r: \"auth\" is not base64 of user:password" },
	};
	struct regauth a;
	char err[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		err[0] = '\0';
		assert_int_equal(regauth_parse(v[i].text, strlen(v[i].text), &a, err, sizeof(err)),
		    -1);
		assert_string_equal(err, v[i].err);
		assert_int_equal(a.n, 0);
	}
	/* no "auths": every pull anonymous */
	assert_int_equal(regauth_parse("{\"credsStore\":\"x\"}", 18, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
