/* test_prom.c: Prometheus 2.42 query answers parsed, and queries over a real loop and server. */
#define _GNU_SOURCE /* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpc.h"
#include "log.h"
#include "loop.h"
#include "prom.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- prom_parse ------------------------------------------------------------------- */

#define OK_VEC(v) "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":" \
	"[{\"metric\":{},\"value\":[1714644930.123,\"" v "\"]}]}}"
#define OK_SCALAR(v) "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":" \
	"[1714644930.123,\"" v "\"]}}"

struct pcase {
	const char *body;
	long status;
	bool ok;
	double value;
	const char *err;
};

static void
check_cases(const struct pcase *cases, size_t n)
{
	struct prom_value v;

	for (size_t i = 0; i < n; i++) {
		int rc;

		memset(&v, 0xa5, sizeof(v));
		rc = prom_parse(cases[i].body, strlen(cases[i].body), cases[i].status, "sum(x)", &v);
		if (v.ok != cases[i].ok || rc != (cases[i].ok ? 0 : -1))
			fail_msg("case %zu (%s): ok %d rc %d error \"%s\"", i, cases[i].body, v.ok,
			    rc, v.error);
		if (v.ok) {
			assert_true(v.value == cases[i].value);
			assert_string_equal(v.error, "");
		} else {
			assert_true(isnan(v.value));
			if (strcmp(v.error, cases[i].err) != 0)
				fail_msg("case %zu: got \"%s\", want \"%s\"", i, v.error,
				    cases[i].err);
		}
	}
}

/* Bodies as Prometheus 2.42 writes them (web/api/v1, jsonutil.MarshalFloat). */
static void
test_result_types(void **state)
{
	static const struct pcase cases[] = {
		{ OK_SCALAR("0.25"), 200, true, 0.25, NULL },
		{ OK_VEC("42"), 200, true, 42, NULL },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
		  "{\"job\":\"web\",\"instance\":\"a:1\"},\"value\":[1714644930,\"7\"]}]},"
		  "\"warnings\":[\"w\"]}", 200, true, 7, NULL },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", 200,
		    false, 0, "empty result" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":null}}", 200,
		    false, 0, "empty result" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}", 200, false, 0,
		    "empty result" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
		  "{\"job\":\"a\"},\"value\":[1,\"1\"]},{\"metric\":{\"job\":\"b\"},\"value\":[1,\"2\"]}]}}",
		    200, false, 0, "query sum(x) returned 2 series, want 1 (aggregate it)" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
		  "{},\"values\":[[1,\"1\"],[2,\"2\"]]}]}}", 200, false, 0,
		    "matrix result, want scalar or vector (drop the range selector)" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1,\"a\"]}}",
		    200, false, 0, "string result, want scalar or vector (drop the range selector)" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"histogram\",\"result\":[]}}", 200,
		    false, 0, "unknown resultType 'histogram'" },
		{ "{\"status\":\"success\",\"data\":{\"result\":[]}}", 200, false, 0,
		    "response without data.resultType" },
		{ "{\"status\":\"success\"}", 200, false, 0, "response without data.resultType" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}", 200,
		    false, 0, "vector result is not an array" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
		  "{}}]}}", 200, false, 0, "sample is not a [time, value] pair" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[7]}}", 200,
		    false, 0, "sample is not a [time, value] pair" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[\"1\"]}}",
		    200, false, 0, "sample is not a [time, value] pair" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":null}}", 200,
		    false, 0, "sample is not a [time, value] pair" },
	};

	check_cases(cases, N(cases));
}

static void
test_values(void **state)
{
	static const struct pcase cases[] = {
		{ OK_VEC("1.5"), 200, true, 1.5, NULL },
		{ OK_VEC("1e3"), 200, true, 1000, NULL },
		{ OK_VEC("1.5e+03"), 200, true, 1500, NULL },
		{ OK_VEC("-0.125"), 200, true, -0.125, NULL },
		{ OK_VEC("0"), 200, true, 0, NULL },
		{ OK_VEC("1e-400"), 200, true, 0, NULL }, /* underflow: a tiny number, fine */
		{ OK_VEC("NaN"), 200, false, 0, "result is NaN" },
		{ OK_VEC("+Inf"), 200, false, 0, "result is +Inf" },
		{ OK_VEC("-Inf"), 200, false, 0, "result is -Inf" },
		{ OK_SCALAR("NaN"), 200, false, 0, "result is NaN" },
		{ OK_VEC("1e999"), 200, false, 0, "result is +Inf" },
		{ OK_VEC("abc"), 200, false, 0, "bad sample value 'abc'" },
		{ OK_VEC(""), 200, false, 0, "bad sample value ''" },
		{ OK_VEC("1.5x"), 200, false, 0, "bad sample value '1.5x'" },
		{ OK_VEC(" 1"), 200, false, 0, "bad sample value ' 1'" },
		{ OK_VEC("1 "), 200, false, 0, "bad sample value '1 '" },
		{ OK_VEC("1\\n"), 200, false, 0, "bad sample value '1?'" },
		/* strtod skips all of isspace, not only ' ', '\t' and '\n' */
		{ OK_VEC("\\r1"), 200, false, 0, "bad sample value '?1'" },
		{ OK_VEC("\\u000b1"), 200, false, 0, "bad sample value '?1'" },
		{ OK_VEC("\\f1"), 200, false, 0, "bad sample value '?1'" },
		{ OK_VEC("\\t1"), 200, false, 0, "bad sample value '?1'" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
		  "{},\"value\":[1714644930.123,1.5]}]}}", 200, false, 0,
		    "sample value is not a string" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,null]}}",
		    200, false, 0, "sample value is not a string" },
	};

	check_cases(cases, N(cases));
}

static void
test_errors(void **state)
{
	static const struct pcase cases[] = {
		{ "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
		  "\\\"query\\\": 1:5: parse error: unexpected end of input\"}", 400, false, 0,
		    "bad_data: invalid parameter \"query\": 1:5: parse error: unexpected end of input" },
		{ "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"many-to-many matching "
		  "not allowed: matching labels must be unique on one side\"}", 422, false, 0,
		    "execution: many-to-many matching not allowed: matching labels must be unique "
		    "on one side" },
		{ "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in "
		  "expression evaluation\"}", 503, false, 0,
		    "timeout: query timed out in expression evaluation" },
		{ "{\"status\":\"error\",\"data\":null}", 500, false, 0, "error: no message" },
		{ "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
		  "502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n"
		  "</html>\r\n", 502, false, 0, "HTTP 502" },
		{ "404 page not found\n", 404, false, 0, "HTTP 404" },
		{ "{\"message\":\"no\"}", 404, false, 0, "HTTP 404" },
		{ "", 503, false, 0, "HTTP 503" },
		{ "", 200, false, 0, "not JSON" },
		{ "hello", 200, false, 0, "not JSON" },
		{ OK_VEC("1") "x", 200, false, 0, "not JSON" },
		{ OK_VEC("1") "\n", 200, true, 1, NULL },
		{ "{\"status\":\"success\",\"data\":{", 200, false, 0, "not JSON" },
		{ "[]", 200, false, 0, "not a Prometheus API response" },
		{ "{\"status\":\"maybe\"}", 200, false, 0, "not a Prometheus API response" },
		{ "{\"status\":1}", 200, false, 0, "not a Prometheus API response" },
		/* strict JSON (doc/testing.md, "Fuzzing"): which "status" would count? */
		{ "{\"status\":\"error\",\"status\":\"success\",\"data\":{\"resultType\":"
		  "\"scalar\",\"result\":[1,\"5\"]}}", 200, false, 0, "duplicate key \"status\"" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{"
		  "\"metric\":{\"a\":\"\xff\"},\"value\":[1,\"1\"]}]}}", 200, false, 0,
		    "invalid UTF-8 at byte 76" },
		{ OK_VEC("1\\u00005"), 200, false, 0, "\\u0000 (NUL) in a string at byte 99" },
		/* a success envelope behind an error status is not trusted */
		{ OK_VEC("1"), 500, false, 0, "HTTP 500" },
	};

	check_cases(cases, N(cases));
}

/* The query is echoed cut and the message still ends in what went wrong... as far as
 * 255 bytes allow; a huge error message is cut with "...". */
static void
test_long_messages(void **state)
{
	static const char two[] =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
		"{},\"value\":[1,\"1\"]},{\"metric\":{},\"value\":[1,\"2\"]}]}}";
	char query[1000], body[3000];
	struct prom_value v;
	int n;

	memset(query, 'q', sizeof(query) - 1);
	query[sizeof(query) - 1] = '\0';
	assert_int_equal(prom_parse(two, strlen(two), 200, query, &v), -1);
	assert_non_null(strstr(v.error, "qqq... returned 2 series"));
	assert_true(strlen(v.error) < sizeof(v.error));
	assert_int_equal(prom_parse(two, strlen(two), 200, NULL, &v), -1);
	assert_string_equal(v.error, "query ? returned 2 series, want 1 (aggregate it)");

	n = snprintf(body, sizeof(body), "{\"status\":\"error\",\"errorType\":\"%s\",\"error\":\"%s\"}",
	    query, query);
	assert_true(n > 0 && (size_t)n < sizeof(body));
	assert_int_equal(prom_parse(body, (size_t)n, 400, "x", &v), -1);
	assert_int_equal(strlen(v.error), 32 + 2 + 120 + 3);
	assert_string_equal(v.error + strlen(v.error) - 4, "q...");
}

/* ---- prom_query against a tiny server --------------------------------------------- */

enum mode { ANSWER, HANG };

struct srv {
	int lfd, port;
	char url[64];
	pthread_t thr;
	pthread_mutex_t mu;
	enum mode mode;
	int status;
	const char *answer;
	/* the last request, for the tests to check */
	char method[16], target[128], ctype[128], body[4096];
	int requests;
};

/* One connection at a time is all these tests need; the server thread must not use
 * cmocka's asserts (they longjmp), so it aborts on impossible states instead. */
static void *
serve(void *arg)
{
	struct srv *s = arg;
	int fd;

	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		char buf[8192], head[256], *end = NULL, *cl;
		size_t got = 0, hlen, clen = 0;
		ssize_t r;
		int n;

		while (end == NULL && got < sizeof(buf) - 1) {
			r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			end = strstr(buf, "\r\n\r\n");
		}
		if (end == NULL) {
			close(fd);
			continue;
		}
		hlen = (size_t)(end - buf) + 4;
		if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL)
			clen = strtoul(cl + 17, NULL, 10);
		while (got < hlen + clen && got < sizeof(buf) - 1) {
			r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		buf[got] = '\0';
		pthread_mutex_lock(&s->mu);
		s->requests++;
		if (sscanf(buf, "%15s %127s", s->method, s->target) != 2)
			abort();
		s->ctype[0] = '\0';
		if ((cl = strcasestr(buf, "\r\nContent-Type: ")) != NULL)
			(void)sscanf(cl + 16, "%127[^\r]", s->ctype);
		snprintf(s->body, sizeof(s->body), "%s", buf + hlen);
		pthread_mutex_unlock(&s->mu);
		if (s->mode == HANG) {
			while (recv(fd, buf, sizeof(buf), 0) > 0)
				; /* never answer; ends when the client gives up */
		} else {
			n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
			    "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			    s->status, strlen(s->answer));
			if (n < 0 || (size_t)n >= sizeof(head))
				abort();
			send_all(fd, head, (size_t)n);
			send_all(fd, s->answer, strlen(s->answer));
		}
		close(fd);
	}
	return NULL;
}

static void
srv_start(struct srv *s, enum mode mode, int status, const char *answer)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t len = sizeof(in);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->status = status;
	s->answer = answer;
	pthread_mutex_init(&s->mu, NULL);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&in, &len), 0);
	s->port = ntohs(in.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	assert_int_equal(listen(s->lfd, 16), 0);
	assert_int_equal(pthread_create(&s->thr, NULL, serve, s), 0);
}

static void
srv_stop(struct srv *s)
{
	shutdown(s->lfd, SHUT_RDWR); /* wakes accept() */
	pthread_join(s->thr, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
}

/* ---- fixture: a loop with a safety timer, a client, callback records ------------------- */

struct fx {
	struct loop l;
	struct httpc *c;
	struct loop_timer safety;
	bool expired;
	int calls;
	struct prom_value v;
	/* re-entrancy: the callback starts another query */
	const char *again_url;
	struct prom_query *again;
};

static void
on_value(void *arg, const struct prom_value *v)
{
	struct fx *f = arg;

	f->calls++;
	f->v = *v;
	if (f->again_url != NULL) {
		f->again = prom_query(f->c, f->again_url, "up", 1000, on_value, f);
		f->again_url = NULL;
		return;
	}
	loop_break(&f->l);
}

static void
on_safety(struct loop *l, struct loop_timer *t)
{
	struct fx *f = t->arg;

	f->expired = true;
	loop_break(l);
}

/* Run until a callback breaks the loop; a bug cannot hang the test. */
static void
run(struct fx *f)
{
	loop_timer_start(&f->l, &f->safety, 5000);
	loop_run(&f->l);
	loop_timer_stop(&f->l, &f->safety);
	assert_false(f->expired);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(loop_init(&f->l), 0);
	loop_timer_init(&f->safety, on_safety, f);
	f->c = httpc_new(&f->l);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	httpc_free(f->c);
	loop_fini(&f->l);
	free(f);
	return 0;
}

static void
test_query_ok(void **state)
{
	struct fx *f = *state;
	struct srv s;
	char url[80];
	struct prom_query *q;

	srv_start(&s, ANSWER, 200, OK_VEC("12.5"));
	/* a trailing slash on the configured URL does not double the slash */
	snprintf(url, sizeof(url), "%s/", s.url);
	q = prom_query(f->c, url, "sum(rate(http_requests_total{job=\"web\"}[1m])) / 2", 2500,
	    on_value, f);
	assert_non_null(q);
	assert_int_equal(f->calls, 0); /* never from inside prom_query */
	run(f);
	srv_stop(&s);
	assert_int_equal(f->calls, 1);
	assert_true(f->v.ok);
	assert_true(f->v.value == 12.5);
	assert_string_equal(s.method, "POST");
	assert_string_equal(s.target, "/api/v1/query");
	assert_string_equal(s.ctype, "application/x-www-form-urlencoded");
	assert_string_equal(s.body, "query=sum%28rate%28http_requests_total%7Bjob%3D%22web%22%7D"
	    "%5B1m%5D%29%29%20%2F%202&timeout=2s");
}

static void
test_query_503(void **state)
{
	struct fx *f = *state;
	struct srv s;

	srv_start(&s, ANSWER, 503,
	    "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in "
	    "expression evaluation\"}");
	assert_non_null(prom_query(f->c, s.url, "up", 500, on_value, f));
	run(f);
	srv_stop(&s);
	assert_int_equal(f->calls, 1);
	assert_false(f->v.ok);
	assert_true(isnan(f->v.value));
	assert_string_equal(f->v.error, "timeout: query timed out in expression evaluation");
	assert_string_equal(s.body, "query=up&timeout=1s"); /* never below 1s */
}

/* A query matching 100k series answers 5 MB, which took the loop 706 ms to parse only
 * to refuse it: the transfer is cut at PROM_ANSWER_MAX, unparsed. One series with
 * large labels just under the bound still reads. */
static char *
series_answer(size_t nseries, size_t label_len)
{
	static const char head[] = "{\"status\":\"success\",\"data\":{\"resultType\":"
	    "\"vector\",\"result\":[";
	size_t cap = sizeof(head) + nseries * (64 + label_len) + 16, len;
	char *b = malloc(cap);

	assert_non_null(b);
	len = (size_t)snprintf(b, cap, "%s", head);
	for (size_t i = 0; i < nseries; i++) {
		len += (size_t)snprintf(b + len, cap - len, "%s{\"metric\":{\"i\":\"%zu\",\"l\":\"",
		    i > 0 ? "," : "", i);
		memset(b + len, 'x', label_len);
		len += label_len;
		len += (size_t)snprintf(b + len, cap - len, "\"},\"value\":[1,\"7\"]}");
	}
	len += (size_t)snprintf(b + len, cap - len, "]}}");
	assert_true(len < cap);
	return b;
}

static void
test_query_huge_answer(void **state)
{
	struct fx *f = *state;
	struct srv s;
	char *huge = series_answer(100000, 0), *big = series_answer(1, PROM_ANSWER_MAX - 200);

	assert_true(strlen(huge) > 4 * 1024 * 1024);
	srv_start(&s, ANSWER, 200, huge);
	assert_non_null(prom_query(f->c, s.url, "x", 5000, on_value, f));
	run(f);
	srv_stop(&s);
	assert_false(f->v.ok);
	assert_string_equal(f->v.error,
	    "answer larger than 64 KiB, not read: many series? aggregate the query");

	assert_true(strlen(big) <= PROM_ANSWER_MAX);
	srv_start(&s, ANSWER, 200, big);
	assert_non_null(prom_query(f->c, s.url, "x", 5000, on_value, f));
	run(f);
	srv_stop(&s);
	assert_true(f->v.ok);
	assert_true(f->v.value == 7);
	free(huge);
	free(big);
}

static void
test_query_refused(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t len = sizeof(in);
	char url[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was just free and has no listener. */
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(in.sin_port));
	close(fd);
	assert_non_null(prom_query(f->c, url, "up", 2000, on_value, f));
	run(f);
	assert_int_equal(f->calls, 1);
	assert_false(f->v.ok);
	assert_true(isnan(f->v.value));
	assert_true(f->v.error[0] != '\0');
	assert_null(strstr(f->v.error, "timeout"));
}

static void
test_query_timeout(void **state)
{
	struct fx *f = *state;
	struct srv s;
	int64_t t0 = loop_clock_ms(), took;

	srv_start(&s, HANG, 0, NULL);
	assert_non_null(prom_query(f->c, s.url, "up", 300, on_value, f));
	run(f);
	took = loop_clock_ms() - t0;
	srv_stop(&s);
	assert_int_equal(f->calls, 1);
	assert_false(f->v.ok);
	assert_string_equal(f->v.error, "timeout after 300ms");
	assert_true(took >= 250 && took < 3000);
}

/* The callback may start the next query: the first one is gone by then. */
static void
test_query_from_callback(void **state)
{
	struct fx *f = *state;
	struct srv s;

	srv_start(&s, ANSWER, 200, OK_SCALAR("3"));
	f->again_url = s.url;
	assert_non_null(prom_query(f->c, s.url, "up", 1000, on_value, f));
	run(f);
	srv_stop(&s);
	assert_int_equal(f->calls, 2);
	assert_non_null(f->again);
	assert_true(f->v.ok);
	assert_true(f->v.value == 3);
	assert_int_equal(s.requests, 2);
}

/* A cancelled query never calls back and leaks nothing (valgrind). */
static void
test_query_cancel(void **state)
{
	struct fx *f = *state;
	struct srv s;
	struct prom_query *q;

	srv_start(&s, HANG, 0, NULL);
	q = prom_query(f->c, s.url, "up", 1000, on_value, f);
	assert_non_null(q);
	prom_cancel(f->c, q);
	prom_cancel(f->c, NULL);
	assert_int_equal(httpc_active(f->c), 0);
	/* another query still completes, and the cancelled one stays silent */
	srv_stop(&s);
	srv_start(&s, ANSWER, 200, OK_VEC("1"));
	assert_non_null(prom_query(f->c, s.url, "up", 1000, on_value, f));
	run(f);
	srv_stop(&s);
	assert_int_equal(f->calls, 1);
	assert_true(f->v.ok);
}

static void
test_query_bad_args(void **state)
{
	struct fx *f = *state;

	assert_null(prom_query(f->c, "http://127.0.0.1:1", "up", 0, on_value, f));
	assert_null(prom_query(f->c, "http://127.0.0.1:1", NULL, 1000, on_value, f));
	assert_null(prom_query(f->c, NULL, "up", 1000, on_value, f));
	assert_null(prom_query(f->c, "http://127.0.0.1:1", "up", 1000, NULL, f));
	assert_int_equal(f->calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_types),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_messages),
		cmocka_unit_test_setup_teardown(test_query_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_huge_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_bad_args, setup, teardown),
	};

	log_init(LOG_CRIT); /* the bad-argument cases log by design */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
