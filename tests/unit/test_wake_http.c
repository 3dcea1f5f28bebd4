/* test_wake_http.c: where a held request ends, and its Connection: close form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wake.h"

static enum wake_parse
parse(const char *s, size_t *hdr, size_t *total)
{
	return wake_http_parse(s, strlen(s), hdr, total);
}

static void
test_parse(void **state)
{
	size_t h = 0, t = 0;
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char post[] = "POST /a HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nhello";

	(void)state;
	assert_int_equal(parse(get, &h, &t), WAKE_COMPLETE);
	assert_int_equal(h, strlen(get));
	assert_int_equal(t, strlen(get));
	assert_int_equal(parse(post, &h, &t), WAKE_COMPLETE);
	assert_int_equal(t, strlen(post));
	assert_int_equal(h, strlen(post) - 5);
	/* incomplete: headers, then body */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n", &h, &t), WAKE_MORE);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel", &h, &t),
	    WAKE_MORE);
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &h, &t),
	    WAKE_NEED_LENGTH);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", &h, &t),
	    WAKE_TOO_LARGE);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n", &h, &t),
	    WAKE_MORE);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &h, &t),
	    WAKE_BAD);
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
	                     &h, &t), WAKE_BAD);
	assert_int_equal(parse("hello\r\n\r\n", &h, &t), WAKE_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\n folded\r\n\r\n", &h, &t), WAKE_BAD);
}

static void
test_headers_too_large(void **state)
{
	size_t n = WAKE_HEADERS_MAX + 10, h, t;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(wake_http_parse(big, n, &h, &t), WAKE_HEADERS_LARGE);
	free(big);
}

static void
test_close(void **state)
{
	static const char in[] = "POST /w HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
	                         "Keep-Alive: timeout=5\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi";
	static const char want[] = "POST /w HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nContent-Length: 2\r\n"
	                           "Connection: close\r\n\r\nhi";
	size_t h, t, n;
	char *out;

	(void)state;
	assert_int_equal(wake_http_parse(in, strlen(in), &h, &t), WAKE_COMPLETE);
	out = wake_http_close(in, h, t, &n);
	assert_non_null(out);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	free(out);
}

static void
test_expect_continue(void **state)
{
	static const char yes[] = "POST / HTTP/1.1\r\nHost: x\r\nexpect: 100-Continue\r\n"
	                          "Content-Length: 5\r\n\r\n";
	static const char no[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
	size_t h, t;

	(void)state;
	assert_int_equal(wake_http_parse(yes, strlen(yes), &h, &t), WAKE_MORE);
	assert_true(wake_http_expects_continue(yes, h));
	assert_int_equal(wake_http_parse(no, strlen(no), &h, &t), WAKE_MORE);
	assert_false(wake_http_expects_continue(no, h));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_headers_too_large),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_expect_continue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
