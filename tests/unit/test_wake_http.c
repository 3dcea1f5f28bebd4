/* test_wake_http.c: the wake listener's request framing (strict, incremental) and the head
 * it relays. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wake_http.h"

/* The framing of len bytes fed whole. */
static enum wake_parse
whole(const char *s, size_t len, struct wake_req *q)
{
	wake_http_init(q);
	return wake_http_feed(q, s, len);
}

/* The same bytes fed one more at a time: the verdict must not depend on how they came. */
static enum wake_parse
drip(const char *s, size_t len, struct wake_req *q)
{
	enum wake_parse p = WAKE_MORE;

	wake_http_init(q);
	for (size_t i = 1; i <= len && p == WAKE_MORE; i++)
		p = wake_http_feed(q, s, i);
	return p;
}

struct row {
	const char *req;
	enum wake_parse want;
	long total;             /* for WAKE_COMPLETE and WAKE_MORE after the head: -1 any */
};

static const struct row rows[] = {
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_COMPLETE, 27 },
	{ "POST /a HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nhello", WAKE_COMPLETE, 53 },
	{ "GET / HTTP/1.0\r\n\r\n", WAKE_COMPLETE, 18 },       /* 1.0 needs no Host */
	{ "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_COMPLETE, 31 }, /* leading CRLFs */
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 005\r\n\r\nabcde", WAKE_COMPLETE, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n", WAKE_COMPLETE, -1 }, /* obs-text */
	{ "GET / HTTP/1.1\r\nHost: x\r\nX:\r\nY:\t a \t\r\n\r\n", WAKE_COMPLETE, -1 },
	/* incomplete */
	{ "GET / HTTP/1.1\r\nHost: x\r\n", WAKE_MORE, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\r", WAKE_MORE, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel", WAKE_MORE, 52 },
	/* bare LF or CR anywhere in the head */
	{ "GET / HTTP/1.1\nHost: x\n\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n\n", WAKE_BAD, -1 },
	{ "GET /first HTTP/1.1\r\nX: y\n\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_BAD,
	    -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nConnection: x\nContent-Length: 5\r\n\r\nhello",
	    WAKE_BAD, -1 },
	{ "GET /\r HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", WAKE_BAD, -1 },
	/* nothing before the colon but the name */
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello", WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length\t: 5\r\n\r\nhello", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n", WAKE_BAD, -1 }, /* a CTL */
	{ "GET / HTTP/1.1\r\nHost: x\r\nX: a\x7fz\r\n\r\n", WAKE_BAD, -1 },
	/* obs-fold */
	{ "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\n\tHost: x\r\n\r\n", WAKE_BAD, -1 },
	/* framing of the body */
	{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", WAKE_NEED_LENGTH,
	    -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	    WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
	    WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nx", WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", WAKE_BAD, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", WAKE_TOO_LARGE, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	    WAKE_TOO_LARGE, -1 },
	{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n", WAKE_MORE,
	    53 + 1048576 },
	/* the request line */
	{ "hello\r\n\r\n", WAKE_BAD, -1 },
	{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / http/1.1\r\nHost: x\r\n\r\n", WAKE_BAD, -1 },
	{ "GET /a\x80 HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_BAD, -1 },
	{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", WAKE_VERSION, -1 },
	{ "GET / HTTP/1.2\r\nHost: x\r\n\r\n", WAKE_VERSION, -1 },
	/* Host: exactly one in HTTP/1.1 */
	{ "GET / HTTP/1.1\r\n\r\n", WAKE_BAD, -1 },
	{ "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", WAKE_BAD, -1 },
	/* Expect */
	{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: later\r\nContent-Length: 1\r\n\r\nx",
	    WAKE_EXPECTATION, -1 },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wake_req a, b;
		size_t len = strlen(rows[i].req);
		enum wake_parse pa = whole(rows[i].req, len, &a);
		enum wake_parse pb = drip(rows[i].req, len, &b);

		if (pa != rows[i].want || pb != rows[i].want)
			fail_msg("row %zu (%s): whole %d, drip %d, want %d", i, rows[i].req, pa, pb,
			    rows[i].want);
		if (rows[i].total >= 0) {
			assert_int_equal(wake_http_total(&a), rows[i].total);
			assert_int_equal(wake_http_total(&b), rows[i].total);
		}
	}
}

/* A body of exactly WAKE_BODY_MAX is held (doc/waking.md, "Limits", documents 1 MiB as
 * allowed). */
static void
test_body_at_the_limit(void **state)
{
	static const char head[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n";
	size_t n = sizeof(head) - 1 + WAKE_BODY_MAX;
	char *req = malloc(n);
	struct wake_req q;

	(void)state;
	assert_non_null(req);
	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'b', WAKE_BODY_MAX);
	wake_http_init(&q);
	assert_int_equal(wake_http_feed(&q, req, n - 1), WAKE_MORE);
	assert_int_equal(wake_http_feed(&q, req, n), WAKE_COMPLETE);
	assert_int_equal(wake_http_total(&q), n);
	free(req);
}

static void
test_head_limits(void **state)
{
	size_t n = WAKE_HEADERS_MAX + 10;
	char *big = malloc(n), *many = malloc(64 * 1024);
	struct wake_req q;
	size_t o;

	(void)state;
	assert_non_null(big);
	assert_non_null(many);
	memset(big, 'a', n);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(whole(big, WAKE_HEADERS_MAX, &q), WAKE_HEADERS_LARGE);
	assert_int_equal(whole(big, n, &q), WAKE_HEADERS_LARGE);
	/* WAKE_FIELDS_MAX fields pass, one more does not */
	o = (size_t)sprintf(many, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 1; i < WAKE_FIELDS_MAX; i++)
		o += (size_t)sprintf(many + o, "X-%d: v\r\n", i);
	memcpy(many + o, "\r\n", 2);
	assert_int_equal(whole(many, o + 2, &q), WAKE_COMPLETE);
	o += (size_t)sprintf(many + o, "X-last: v\r\n");
	memcpy(many + o, "\r\n", 2);
	assert_int_equal(whole(many, o + 2, &q), WAKE_HEADERS_LARGE);
	free(big);
	free(many);
}

static void
test_expect_continue(void **state)
{
	static const char yes[] = "POST / HTTP/1.1\r\nHost: x\r\nexpect: 100-Continue\r\n"
	                          "Content-Length: 5\r\n\r\n";
	static const char no[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
	static const char old[] = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
	                          "Content-Length: 5\r\n\r\n";
	struct wake_req q;

	(void)state;
	assert_int_equal(whole(yes, strlen(yes), &q), WAKE_MORE);
	assert_true(q.expect_continue);
	assert_int_equal(whole(no, strlen(no), &q), WAKE_MORE);
	assert_false(q.expect_continue);
	assert_int_equal(whole(old, strlen(old), &q), WAKE_MORE);
	assert_false(q.expect_continue); /* ignored from HTTP/1.0 */
}

static void
forward(const char *in, const char *want)
{
	struct wake_req q;
	size_t n;
	char *out;

	assert_int_equal(whole(in, strlen(in), &q), WAKE_COMPLETE);
	out = wake_http_forward_head(&q, in, &n);
	assert_non_null(out);
	if (n != strlen(want) || memcmp(out, want, n) != 0)
		fail_msg("forwarded %.*s\nwant %s", (int)n, out, want);
	free(out);
}

static void
test_forward_head(void **state)
{
	(void)state;
	/* hop-by-hop fields go, the others stay byte for byte, in order */
	forward("POST /w HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
	        "X-A:  1 \r\nContent-Length: 2\r\n\r\nhi",
	    "POST /w HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\n");
	/* ... and so do the ones Connection names */
	forward("GET / HTTP/1.1\r\nHost: x\r\nX-Hop: 1\r\nConnection: close, X-Hop\r\n"
	        "X-Keep: 2\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Connection: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX-Keep: 2\r\nConnection: close\r\n\r\n");
	forward("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\n");
	/* what frames the request stays, whatever Connection names */
	forward("POST / HTTP/1.1\r\nHost: x\r\nConnection: Content-Length, Host, X-A\r\n"
	        "X-A: 1\r\nContent-Length: 4\r\n\r\nGET ",
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\n");
	/* leading empty lines are not relayed */
	forward("\r\nGET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
}

/* Who woke a service: the request line, a field, Accept's text/html. */
static void
test_who(void **state)
{
	static const char req[] = "GET /a/b?c=1 HTTP/1.1\r\nHost: x\r\n"
	    "User-Agent:  curl/7.88.1 \r\nAccept: application/json, TEXT/HTML;q=0.9\r\n"
	    "X-Forwarded-For: 1.2.3.4\r\n\r\n";
	struct wake_req q;
	const char *m, *t, *v;
	size_t ml, tl, vl;

	(void)state;
	assert_int_equal(whole(req, sizeof(req) - 1, &q), WAKE_COMPLETE);
	wake_http_start(&q, req, &m, &ml, &t, &tl);
	assert_int_equal(ml, 3);
	assert_memory_equal(m, "GET", 3);
	assert_int_equal(tl, 8);
	assert_memory_equal(t, "/a/b?c=1", 8);
	v = wake_http_field(&q, req, "user-agent", &vl);
	assert_non_null(v);
	assert_int_equal(vl, 11);
	assert_memory_equal(v, "curl/7.88.1", 11);
	assert_null(wake_http_field(&q, req, "X-Real-IP", &vl));
	assert_true(wake_http_field_has(&q, req, "Accept", "text/html"));
	assert_false(wake_http_field_has(&q, req, "Accept", "text/plain"));
	assert_false(wake_http_field_has(&q, req, "Host", "text/html"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_body_at_the_limit),
		cmocka_unit_test(test_head_limits),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_forward_head),
		cmocka_unit_test(test_who),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
