/* test_httpc.c: the async HTTP client on a real loop against a threaded test server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpc.h"
#include "log.h"
#include "loop.h"
#include "testutil.h"

/* ---- a tiny HTTP/1.1 server: one thread per connection, Connection: close ---------- */

#define MAX_CONNS 256

struct srv {
	int lfd;
	char url[128];          /* base URL */
	char dir[64], path[108]; /* unix socket, when used */
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_t threads[MAX_CONNS];
	int fds[MAX_CONNS];
	int nconns;
	/* the last request, for the tests to check */
	char method[16], target[256], ctype[128], auth[256];
	char *body;
	size_t body_len;
	int had_clen, had_expect, requests, inflight, max_inflight;
};

struct conn {
	struct srv *s;
	int fd;
};

static void
respond(int fd, int status, const char *extra, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status,
	    len, extra);

	/* Server threads must not use cmocka's asserts (they longjmp). */
	if (n < 0 || (size_t)n >= sizeof(head))
		abort();
	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

static const char *
header_value(const char *head, const char *name)
{
	const char *p = head;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			return p + nl + 1 + (p[nl + 1] == ' ');
	}
	return NULL;
}

static void
copy_line(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	while (src != NULL && src[i] != '\0' && src[i] != '\r' && i + 1 < n) {
		dst[i] = src[i];
		i++;
	}
	dst[i] = '\0';
}

static void *
serve(void *arg)
{
	struct conn *cn = arg;
	struct srv *s = cn->s;
	int fd = cn->fd;
	char buf[65536], method[16] = "", target[256] = "", *end;
	size_t got = 0, hlen, clen = 0;
	const char *v;
	ssize_t r;

	free(cn);
	/* Read the head, then Content-Length bytes of body. */
	for (;;) {
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			return NULL;
		got += (size_t)r;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	hlen = (size_t)(end - buf) + 4;
	v = header_value(buf, "Content-Length");
	if (v != NULL)
		clen = strtoul(v, NULL, 10);
	while (got < hlen + clen && got < sizeof(buf) - 1) {
		r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (r <= 0)
			return NULL;
		got += (size_t)r;
	}
	sscanf(buf, "%15s %255s", method, target);

	pthread_mutex_lock(&s->mu);
	memcpy(s->method, method, sizeof(method));
	memcpy(s->target, target, sizeof(target));
	copy_line(s->ctype, sizeof(s->ctype), header_value(buf, "Content-Type"));
	copy_line(s->auth, sizeof(s->auth), header_value(buf, "Authorization"));
	s->had_clen = v != NULL;
	s->had_expect = header_value(buf, "Expect") != NULL;
	free(s->body);
	s->body = malloc(clen + 1);
	memcpy(s->body, buf + hlen, clen);
	s->body[clen] = '\0';
	s->body_len = clen;
	s->requests++;
	if (++s->inflight > s->max_inflight)
		s->max_inflight = s->inflight;
	pthread_mutex_unlock(&s->mu);

	if (strcmp(target, "/hello") == 0) {
		respond(fd, 200, "api-version: 1.41\r\n", "hello world", 11);
	} else if (strcmp(target, "/echo") == 0) {
		respond(fd, 201, "Content-Type: application/json\r\n", buf + hlen, clen);
	} else if (strcmp(target, "/missing") == 0) {
		respond(fd, 404, "", "{\"message\":\"nope\"}", 18);
	} else if (strncmp(target, "/slow/", 6) == 0) {
		usleep((useconds_t)atoi(target + 6) * 1000);
		respond(fd, 200, "", "slow", 4);
	} else if (strcmp(target, "/big") == 0) {
		char *big = malloc(100000);

		memset(big, 'x', 100000);
		respond(fd, 200, "", big, 100000);
		free(big);
	} else if (strcmp(target, "/stream") == 0) {
		static const char head[] =
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

		send_all(fd, head, sizeof(head) - 1);
		for (int i = 0; i < 5; i++) {
			char chunk[64];
			int n = snprintf(chunk, sizeof(chunk), "7\r\nline %d\n\r\n", i);

			send_all(fd, chunk, (size_t)n);
			usleep(30000);
		}
		send_all(fd, "0\r\n\r\n", 5);
	} else if (strcmp(target, "/hang") == 0) {
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			; /* never answer; ends when the client gives up */
	} else {
		respond(fd, 204, "", "", 0);
	}
	pthread_mutex_lock(&s->mu);
	s->inflight--;
	pthread_mutex_unlock(&s->mu);
	/* The fd is closed by srv_stop, so its number cannot be reused under it. */
	shutdown(fd, SHUT_WR);
	return NULL;
}

static void *
acceptor(void *arg)
{
	struct srv *s = arg;
	int fd;

	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		struct conn *cn = malloc(sizeof(*cn));

		cn->s = s;
		cn->fd = fd;
		pthread_mutex_lock(&s->mu);
		if (s->nconns >= MAX_CONNS)
			abort();
		s->fds[s->nconns] = fd;
		if (pthread_create(&s->threads[s->nconns], NULL, serve, cn) != 0)
			abort();
		s->nconns++;
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

static struct srv *
srv_start(int use_unix)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(in);

	pthread_mutex_init(&s->mu, NULL);
	if (use_unix) {
		strcpy(s->dir, "/tmp/test_httpc.XXXXXX");
		assert_non_null(mkdtemp(s->dir));
		snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
		strcpy(un.sun_path, s->path);
		s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(bind(s->lfd, (struct sockaddr *)&un, sizeof(un)), 0);
		strcpy(s->url, "http://localhost");
	} else {
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(bind(s->lfd, (struct sockaddr *)&in, sizeof(in)), 0);
		assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&in, &len), 0);
		snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", ntohs(in.sin_port));
	}
	assert_int_equal(listen(s->lfd, 128), 0);
	assert_int_equal(pthread_create(&s->acceptor, NULL, acceptor, s), 0);
	return s;
}

static void
srv_stop(struct srv *s)
{
	/* shutdown wakes the blocked accept() and recv() calls. */
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->acceptor, NULL);
	for (int i = 0; i < s->nconns; i++) {
		shutdown(s->fds[i], SHUT_RDWR);
		pthread_join(s->threads[i], NULL);
		close(s->fds[i]);
	}
	close(s->lfd);
	if (s->path[0] != '\0') {
		unlink(s->path);
		rmdir(s->dir);
	}
	pthread_mutex_destroy(&s->mu);
	free(s->body);
	free(s);
}

/* ---- fixture: a loop, a client, a server, and done-callback records ---------------- */

struct fx {
	struct loop l;
	struct httpc *c;
	struct srv *srv;
	struct loop_timer safety;
	int expired;
	int finished, want; /* loop_break when finished reaches want */
	int order;
};

struct rec {
	struct fx *f;
	int called, order, ok, timed_out;
	long status;
	char body[256];
	size_t body_len;
	char error[256], apiv[32];
	int64_t elapsed;
	/* streaming */
	int chunks, abort_after;
	char streamed[256];
	size_t streamed_len;
	/* re-entrancy hooks */
	struct httpc_xfer *cancel_other;
	struct rec *start_rec;
};

static void
on_done(void *arg, const struct httpc_result *res)
{
	struct rec *r = arg;

	r->called++;
	r->order = ++r->f->order;
	r->ok = res->ok;
	r->status = res->status;
	r->timed_out = res->timed_out;
	r->elapsed = res->elapsed_ms;
	r->body_len = res->body_len;
	assert_non_null(res->body);
	assert_int_equal(res->body[res->body_len], '\0');
	snprintf(r->body, sizeof(r->body), "%s", res->body);
	snprintf(r->error, sizeof(r->error), "%s", res->error ? res->error : "");
	snprintf(r->apiv, sizeof(r->apiv), "%s", res->api_version ? res->api_version : "");
	if (!res->ok)
		assert_non_null(res->error);
	if (r->cancel_other != NULL)
		httpc_cancel(r->f->c, r->cancel_other);
	if (++r->f->finished >= r->f->want)
		loop_break(&r->f->l);
}

static void
on_never(void *arg, const struct httpc_result *res)
{
	fail_msg("done called for a cancelled transfer");
}

static void
on_safety(struct loop *l, struct loop_timer *t)
{
	struct fx *f = t->arg;

	f->expired = 1;
	loop_break(l);
}

/* Run the loop until `want` transfers finished; a bug cannot hang the test. */
static void
run(struct fx *f, int want)
{
	f->want = want;
	loop_timer_start(&f->l, &f->safety, 5000);
	if (f->finished < want)
		loop_run(&f->l);
	loop_timer_stop(&f->l, &f->safety);
	assert_false(f->expired);
}

static struct httpc_req
req_for(struct fx *f, struct rec *r, const char *path, char *url, size_t urllen)
{
	struct httpc_req q = { .method = "GET", .done = on_done, .arg = r, .timeout_ms = 3000 };
	int n = snprintf(url, urllen, "%s%s", f->srv->url, path);

	assert_true(n > 0 && (size_t)n < urllen);
	memset(r, 0, sizeof(*r));
	r->f = f;
	q.url = url;
	if (f->srv->path[0] != '\0')
		q.unix_socket = f->srv->path;
	return q;
}

static int
setup_common(void **state, int use_unix)
{
	struct fx *f = calloc(1, sizeof(*f));

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(loop_init(&f->l), 0);
	loop_timer_init(&f->safety, on_safety, f);
	f->c = httpc_new(&f->l);
	assert_non_null(f->c);
	f->srv = srv_start(use_unix);
	*state = f;
	return 0;
}

static int
setup_tcp(void **state)
{
	return setup_common(state, 0);
}

static int
setup_unix(void **state)
{
	return setup_common(state, 1);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	httpc_free(f->c);
	srv_stop(f->srv);
	loop_fini(&f->l);
	free(f);
	return 0;
}

/* ---- tests ----------------------------------------------------------------------- */

static void
test_get_body_and_api_version(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/hello", url, sizeof(url));

	assert_non_null(httpc_start(f->c, &q));
	assert_int_equal(httpc_active(f->c), 1);
	assert_int_equal(r.called, 0); /* never from inside httpc_start */
	run(f, 1);
	assert_int_equal(r.called, 1);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello world");
	assert_int_equal(r.body_len, 11);
	assert_string_equal(r.apiv, "1.41"); /* sent as lowercase "api-version" */
	assert_false(r.timed_out);
	assert_true(r.elapsed >= 0 && r.elapsed < 3000);
	assert_int_equal(httpc_active(f->c), 0);
	assert_string_equal(f->srv->method, "GET");
}

static void
test_post_json(void **state)
{
	static const char json[] = "{\"Image\":\"web:1\",\"n\":3}";
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/echo", url, sizeof(url));

	q.method = "POST";
	q.body = json;
	q.body_len = strlen(json);
	q.content_type = "application/json";
	q.bearer = "s3cret";
	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, json);
	pthread_mutex_lock(&f->srv->mu);
	assert_string_equal(f->srv->method, "POST");
	assert_string_equal(f->srv->body, json);
	assert_string_equal(f->srv->ctype, "application/json");
	assert_string_equal(f->srv->auth, "Bearer s3cret");
	assert_false(f->srv->had_expect);
	pthread_mutex_unlock(&f->srv->mu);
}

static void
test_post_empty_and_delete(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/start", url, sizeof(url));

	q.method = "POST";
	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.status, 204);
	assert_string_equal(r.body, "");
	assert_string_equal(f->srv->method, "POST");
	assert_true(f->srv->had_clen); /* Content-Length: 0 */
	assert_int_equal(f->srv->body_len, 0);

	q = req_for(f, &r, "/containers/x?force=1", url, sizeof(url));
	q.method = "DELETE";
	f->finished = 0;
	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.status, 204);
	assert_string_equal(f->srv->method, "DELETE");
	assert_string_equal(f->srv->target, "/containers/x?force=1");
}

static void
test_bad_header_value_rejected(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/hello", url, sizeof(url));

	q.bearer = "x\r\nX-Evil: 1";
	assert_null(httpc_start(f->c, &q));
	assert_int_equal(httpc_active(f->c), 0);
}

static void
test_404_is_ok(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/missing", url, sizeof(url));

	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "{\"message\":\"nope\"}");
	assert_string_equal(r.error, "");
}

static void
test_connection_refused(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t len = sizeof(in);
	struct rec r;
	char url[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct httpc_req q;

	/* A port that was just free: nobody listens there. */
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	close(fd);
	q = req_for(f, &r, "", url, sizeof(url));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(in.sin_port));
	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.ok, 0);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_true(strlen(r.error) > 0);
}

static void
test_timeout_does_not_block_others(void **state)
{
	struct fx *f = *state;
	struct rec hang, quick;
	char u1[256], u2[256];
	struct httpc_req q1 = req_for(f, &hang, "/hang", u1, sizeof(u1));
	struct httpc_req q2 = req_for(f, &quick, "/slow/100", u2, sizeof(u2));
	int64_t t0 = loop_clock_ms();

	q1.timeout_ms = 400;
	assert_non_null(httpc_start(f->c, &q1));
	assert_non_null(httpc_start(f->c, &q2));
	run(f, 2);
	assert_int_equal(quick.ok, 1);
	assert_int_equal(quick.order, 1); /* finished while the other was still hanging */
	assert_int_equal(hang.order, 2);
	assert_int_equal(hang.ok, 0);
	assert_int_equal(hang.timed_out, 1);
	assert_true(hang.elapsed >= 350);
	assert_true(loop_clock_ms() - t0 < 2000);
}

/* Transfers queued behind HTTPC_MAX_CONNS past their timeout fail when they get a
 * connection ("Failed to resolve host ... after 0 ms"), and curl keeps such a handle in a
 * state where it refuses CURLOPT_BUFFERSIZE: reused, it made later starts fail with
 * "curl_easy_setopt failed" (doc/benchmarks.md, "Scale curves", 30 x 10). Here, as in
 * the daemon, each answer starts the next requests. */
static struct chain {
	struct fx *f;
	char url[256];
	int started, refused, done;
} chain;

static void
on_chain_done(void *arg, const struct httpc_result *res)
{
	(void)arg;
	(void)res;
	chain.done++;
	for (int k = 0; k < 2 && chain.started < 400; k++) {
		struct httpc_req q = { .method = "GET", .url = chain.url, .done = on_chain_done,
		    .timeout_ms = 300 };

		chain.started++;
		if (httpc_start(chain.f->c, &q) == NULL)
			chain.refused++;
	}
	if (chain.done >= chain.started - chain.refused)
		loop_break(&chain.f->l);
}

static void
test_start_after_queued_timeouts(void **state)
{
	struct fx *f = *state;
	int n = snprintf(chain.url, sizeof(chain.url), "%s/slow/200", f->srv->url);

	assert_true(n > 0 && (size_t)n < sizeof(chain.url));
	chain.f = f;
	chain.started = chain.refused = chain.done = 0;
	for (int i = 0; i < 40; i++) {
		struct httpc_req q = { .method = "GET", .url = chain.url, .done = on_chain_done,
		    .timeout_ms = 300 };

		chain.started++;
		assert_non_null(httpc_start(f->c, &q));
	}
	loop_timer_start(&f->l, &f->safety, 20000);
	loop_run(&f->l);
	loop_timer_stop(&f->l, &f->safety);
	assert_false(f->expired);
	assert_int_equal(chain.started, 400);
	assert_int_equal(chain.refused, 0);
}

static int
on_chunk(void *arg, const char *data, size_t len)
{
	struct rec *r = arg;

	r->chunks++;
	assert_true(r->streamed_len + len < sizeof(r->streamed));
	memcpy(r->streamed + r->streamed_len, data, len);
	r->streamed_len += len;
	r->streamed[r->streamed_len] = '\0';
	if (r->cancel_other != NULL) {
		httpc_cancel(r->f->c, r->cancel_other); /* from inside curl: deferred */
		r->cancel_other = NULL;
	}
	if (r->start_rec != NULL) {
		char *url = malloc(256);
		struct httpc_req q;
		struct rec *nr = r->start_rec;

		r->start_rec = NULL;
		q = req_for(r->f, nr, "/hello", url, 256);
		assert_non_null(httpc_start(r->f->c, &q)); /* copied: url may go */
		free(url);
	}
	return r->abort_after != 0 && r->chunks >= r->abort_after ? -1 : 0;
}

static void
test_streaming(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/stream", url, sizeof(url));

	q.data = on_chunk;
	q.timeout_ms = 0; /* event streams run without a timeout */
	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.status, 200);
	assert_true(r.chunks >= 2); /* sent 30 ms apart */
	assert_string_equal(r.streamed, "line 0\nline 1\nline 2\nline 3\nline 4\n");
	assert_int_equal(r.body_len, 0); /* not accumulated */
	assert_string_equal(r.body, "");
}

static void
test_abort_from_data_callback(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/stream", url, sizeof(url));

	q.data = on_chunk;
	r.abort_after = 1;
	assert_non_null(httpc_start(f->c, &q));
	run(f, 1);
	assert_int_equal(r.called, 1);
	assert_int_equal(r.chunks, 1);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "aborted");
	assert_int_equal(httpc_active(f->c), 0);
}

static void
test_max_body(void **state)
{
	struct fx *f = *state;
	struct rec r, r2;
	char url[256], url2[256];
	struct httpc_req q = req_for(f, &r, "/big", url, sizeof(url));
	struct httpc_req q2 = req_for(f, &r2, "/big", url2, sizeof(url2));

	q.max_body = 1000;
	assert_non_null(httpc_start(f->c, &q));
	assert_non_null(httpc_start(f->c, &q2)); /* default limit: fits */
	run(f, 2);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.error, "response too large");
	assert_int_equal(r2.ok, 1);
	assert_int_equal(r2.body_len, 100000);
}

static void
test_cancel(void **state)
{
	struct fx *f = *state;
	struct rec a, b, c2, d;
	char u1[256], u2[256], u3[256], u4[256];
	struct httpc_req q1 = req_for(f, &a, "/slow/50", u1, sizeof(u1));
	struct httpc_req q2 = req_for(f, &b, "/slow/150", u2, sizeof(u2));
	struct httpc_req q3 = req_for(f, &c2, "/hang", u3, sizeof(u3));
	struct httpc_req q4 = req_for(f, &d, "/hello", u4, sizeof(u4));
	struct httpc_xfer *x1, *x3;

	/* Straight away, before any I/O. */
	q1.done = on_never;
	x1 = httpc_start(f->c, &q1);
	assert_non_null(x1);
	httpc_cancel(f->c, x1);
	/* From another transfer's done callback, while the victim is mid-flight. */
	q3.done = on_never;
	x3 = httpc_start(f->c, &q3);
	assert_non_null(x3);
	assert_non_null(httpc_start(f->c, &q4));
	d.cancel_other = x3;
	assert_non_null(httpc_start(f->c, &q2));
	run(f, 2);
	assert_int_equal(d.ok, 1);
	assert_int_equal(b.ok, 1);
	assert_int_equal(httpc_active(f->c), 0);
}

static void
test_reentrant_data_callback(void **state)
{
	struct fx *f = *state;
	struct rec s, victim, started;
	char u1[256], u2[256];
	struct httpc_req q1 = req_for(f, &s, "/stream", u1, sizeof(u1));
	struct httpc_req q2 = req_for(f, &victim, "/hang", u2, sizeof(u2));

	/* A data callback that cancels another transfer and starts a new one. */
	q2.done = on_never;
	q1.data = on_chunk;
	s.cancel_other = httpc_start(f->c, &q2);
	assert_non_null(s.cancel_other);
	s.start_rec = &started;
	assert_non_null(httpc_start(f->c, &q1));
	run(f, 2);
	assert_int_equal(s.ok, 1);
	assert_int_equal(started.ok, 1);
	assert_string_equal(started.body, "hello world");
	assert_int_equal(httpc_active(f->c), 0);
}

static void
test_50_concurrent(void **state)
{
	struct fx *f = *state;
	struct rec *r = calloc(50, sizeof(*r));
	char(*urls)[256] = calloc(50, 256);
	int64_t t0 = loop_clock_ms();

	for (int i = 0; i < 50; i++) {
		struct httpc_req q = req_for(f, &r[i], "/slow/100", urls[i], 256);

		assert_non_null(httpc_start(f->c, &q));
	}
	assert_int_equal(httpc_active(f->c), 50);
	run(f, 50);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(r[i].called, 1);
		assert_int_equal(r[i].ok, 1);
		assert_string_equal(r[i].body, "slow");
	}
	/* Serially this would take 5 s. */
	assert_true(loop_clock_ms() - t0 < 2500);
	assert_true(f->srv->max_inflight >= 10);
	assert_int_equal(httpc_active(f->c), 0);
	free(r);
	free(urls);
}

static void
test_free_with_transfers_in_flight(void **state)
{
	struct fx *f = *state;
	struct rec r;
	char url[256];
	struct httpc_req q = req_for(f, &r, "/hang", url, sizeof(url));

	q.done = on_never;
	assert_non_null(httpc_start(f->c, &q));
	/* Let it connect and send, then free the client with it pending (teardown). */
	loop_timer_start(&f->l, &f->safety, 100);
	loop_run(&f->l);
	f->expired = 0;
	assert_int_equal(httpc_active(f->c), 1);
}

static void
test_unix_socket(void **state)
{
	struct fx *f = *state;
	struct rec r, r2;
	char url[256], url2[256];
	struct httpc_req q = req_for(f, &r, "/hello", url, sizeof(url));
	struct httpc_req q2 = req_for(f, &r2, "/echo", url2, sizeof(url2));

	assert_non_null(q.unix_socket);
	q2.method = "POST";
	q2.body = "{}";
	q2.body_len = 2;
	assert_non_null(httpc_start(f->c, &q));
	assert_non_null(httpc_start(f->c, &q2));
	run(f, 2);
	assert_int_equal(r.ok, 1);
	assert_string_equal(r.body, "hello world");
	assert_string_equal(r.apiv, "1.41");
	assert_int_equal(r2.status, 201);
	assert_string_equal(r2.body, "{}");
}

static void
test_escape(void **state)
{
	char out[64];

	assert_int_equal(httpc_escape("abcXYZ019-._~", out, sizeof(out)), 13);
	assert_string_equal(out, "abcXYZ019-._~");
	assert_true(httpc_escape("{\"label\":[\"a=b c\"]}/é", out, sizeof(out)) > 0);
	assert_string_equal(out, "%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D%2F%C3%A9");
	assert_int_equal(httpc_escape("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(httpc_escape("a b", out, 6), 5); /* exact fit */
	assert_string_equal(out, "a%20b");
	assert_int_equal(httpc_escape("a b", out, 5), -1);
	assert_int_equal(httpc_escape("abc", out, 3), -1);
	assert_int_equal(httpc_escape("", out, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_body_and_api_version, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_post_json, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_post_empty_and_delete, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_bad_header_value_rejected, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_404_is_ok, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_does_not_block_others, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_streaming, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_abort_from_data_callback, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_max_body, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_data_callback, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_50_concurrent, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_transfers_in_flight, setup_tcp, teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket, setup_unix, teardown),
		cmocka_unit_test_setup_teardown(test_start_after_queued_timeouts, setup_tcp, teardown),
		cmocka_unit_test(test_escape),
	};

	log_init(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
