/* httpc.c: asynchronous HTTP client: curl_multi_socket_action driven by the epoll loop. */
#include "httpc.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "log.h"

#define HTTPC_MAX_BODY (16u * 1024 * 1024)
#define HTTPC_CONNECT_TIMEOUT_MS 10000
/* Sizing (doc/benchmarks.md, "Where the memory goes"): every transfer's receive buffer, the
 * connections open at once (more wait in curl's queue: a round of 100 inspects does not
 * become 100 sockets and buffers), the idle ones kept, the easy handles kept for reuse. */
#define HTTPC_BUFFER 4096L
#define HTTPC_MAX_CONNS 16L
#define HTTPC_CACHED_CONNS 8L
#define HTTPC_SPARE 8

/* One per socket curl asks us to watch; curl hands it back via curl_multi_assign. */
struct httpc_sock {
	struct httpc *c;
	struct loop_io io;
	struct httpc_sock *prev, *next;
};

struct httpc_xfer {
	struct httpc_xfer *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	/* Set from inside a curl callback, acted on once curl returns (run_deferred). */
	bool pending, cancelled;
	/* Finished with an answer: only then is the handle kept for reuse. curl leaves one
	 * that failed (e.g. queued behind HTTPC_MAX_CONNS past its timeout) refusing
	 * CURLOPT_BUFFERSIZE, and every start that reused it failed. */
	bool reusable;
	const char *fail; /* our own reason for aborting the transfer */
	int too_large;    /* the body passed max_body */
	bool secret_url;  /* httpc_req's: logs withhold the url */
	char *body;
	size_t len, cap, max_body;
	httpc_done_cb done;
	httpc_data_cb data;
	void *arg;
	int64_t start_ms;
	char api_version[32];
	char errbuf[CURL_ERROR_SIZE];
};

struct httpc {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer;
	struct httpc_xfer *xfers;
	struct httpc_sock *socks;
	size_t nactive;
	CURL *spare[HTTPC_SPARE]; /* finished easy handles, reset and reused */
	size_t nspare;
	/* Set while libcurl runs our callbacks: curl refuses add/remove_handle then. */
	bool in_curl;
};

/* ---- transfers ------------------------------------------------------------------- */

static void
xfer_destroy(struct httpc *c, struct httpc_xfer *x)
{
	curl_multi_remove_handle(c->multi, x->easy); /* a no-op if never added */
	if (x->easy != NULL && x->reusable && c->nspare < HTTPC_SPARE)
		c->spare[c->nspare++] = x->easy;
	else
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body);
	/* Test the head, not prev: lets the static analyzer see the head move. */
	if (c->xfers == x)
		c->xfers = x->next;
	else
		x->prev->next = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	if (!x->cancelled)
		c->nactive--;
	free(x);
}

/* Report the outcome. The transfer is freed before done runs, so done may start or
 * cancel anything; only locals are touched afterwards. */
static void
xfer_finish(struct httpc *c, struct httpc_xfer *x, CURLcode rc)
{
	struct httpc_result res = { 0 };
	char err[CURL_ERROR_SIZE + 64], apiv[sizeof(x->api_version)];
	const char *url = NULL, *why;
	size_t n;
	httpc_done_cb done = x->done;
	void *arg = x->arg;
	char *body = x->body;

	res.ok = rc == CURLE_OK && x->fail == NULL;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
	res.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	res.too_large = x->too_large;
	res.body = body != NULL ? body : "";
	res.body_len = x->len;
	res.elapsed_ms = loop_clock_ms() - x->start_ms;
	if (x->api_version[0] != '\0') {
		memcpy(apiv, x->api_version, sizeof(apiv));
		res.api_version = apiv;
	}
	if (!res.ok) {
		why = x->fail != NULL ? x->fail
		    : x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc);
		n = strnlen(why, sizeof(err) - 1); /* errbuf dies with x: copy it */
		memcpy(err, why, n);
		err[n] = '\0';
		res.error = err;
		/* A data callback asking to stop is not a failure worth logging. */
		curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
		if (x->data == NULL || strcmp(why, "aborted") != 0)
			log_debug("http %s: %s", x->secret_url ? "(url withheld)" :
			    url != NULL ? url : "?", err);
	}
	x->body = NULL;
	x->reusable = res.ok;
	xfer_destroy(c, x);
	if (done != NULL)
		done(arg, &res);
	free(body);
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *userp)
{
	struct httpc_xfer *x = userp;
	size_t n = size * nmemb, cap;
	char *nb;

	if (x->cancelled)
		return 0;
	if (x->data != NULL) {
		if (x->data(x->arg, p, n) == 0 && !x->cancelled)
			return n;
		if (!x->cancelled)
			x->fail = "aborted";
		return 0;
	}
	if (n > x->max_body - x->len) {
		x->fail = "response too large";
		x->too_large = 1;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		cap = x->cap != 0 ? x->cap : 4096;
		while (cap < x->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? x->len + n + 1 : cap * 2;
		nb = realloc(x->body, cap);
		if (nb == NULL) {
			x->fail = "out of memory";
			return 0;
		}
		x->body = nb;
		x->cap = cap;
	}
	memcpy(x->body + x->len, p, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *userp)
{
	static const char name[] = "API-Version:";
	struct httpc_xfer *x = userp;
	size_t n = size * nmemb, i = sizeof(name) - 1, end = n;

	/* Docker tells its API version in every response; callers negotiate with it. */
	if (n < i || strncasecmp(p, name, i) != 0)
		return n;
	while (i < end && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (end > i && (p[end - 1] == '\r' || p[end - 1] == '\n' || p[end - 1] == ' '))
		end--;
	if (end - i >= sizeof(x->api_version))
		end = i + sizeof(x->api_version) - 1;
	memcpy(x->api_version, p + i, end - i);
	x->api_version[end - i] = '\0';
	return n;
}

static int
add_header(struct httpc_xfer *x, const char *name, const char *prefix, const char *value)
{
	struct curl_slist *l;
	char h[4096];
	/* An empty value ("Expect:") tells curl to drop its own header of that name. */
	int n = snprintf(h, sizeof(h), "%s:%s%s%s", name, *prefix || *value ? " " : "", prefix,
	    value);

	/* A CR or LF in a value would let it smuggle extra headers. */
	if (n < 0 || (size_t)n >= sizeof(h) || strpbrk(value, "\r\n") != NULL) {
		log_err("http: invalid %s header value", name);
		return -1;
	}
	l = curl_slist_append(x->headers, h);
	if (l == NULL) {
		log_err("http: out of memory");
		return -1;
	}
	x->headers = l;
	return 0;
}

/* Everything that can go wrong is a local setup error: no I/O happens here. */
static int
xfer_setup(struct httpc_xfer *x, const struct httpc_req *req)
{
	const char *method = req->method != NULL ? req->method : "GET";
	CURL *e = x->easy;
	int64_t to = req->timeout_ms > 0 ? req->timeout_ms : 0, cto = req->connect_timeout_ms;
	CURLcode rc = CURLE_OK; /* or-ed: any failure leaves it nonzero */

	if (cto <= 0)
		cto = to > 0 && to < HTTPC_CONNECT_TIMEOUT_MS ? to : HTTPC_CONNECT_TIMEOUT_MS;
	/* curl takes a long: where that is 32 bits, 25 days would wrap. */
	if (to > LONG_MAX || cto > LONG_MAX) {
		log_err("http %s %s: timeout of %lldms is more than curl takes", method,
		    req->secret_url ? "(url withheld)" : req->url,
		    (long long)to);
		return -1;
	}
	if (req->content_type != NULL && add_header(x, "Content-Type", "", req->content_type))
		return -1;
	if (req->bearer != NULL && add_header(x, "Authorization", "Bearer ", req->bearer))
		return -1;
	if (req->header_name != NULL && add_header(x, req->header_name, "", req->header_value))
		return -1;
	/* Without this curl waits up to 1 s for "100 Continue" before sending big bodies. */
	if (add_header(x, "Expect", "", "") == -1)
		return -1;

	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* Never through a proxy, whatever http_proxy/ALL_PROXY say (doc/configuration.md, "Choices
	 * the spec left open"): probes go to replicas on loopback or a Docker network, the Engine is
	 * a unix socket, and Prometheus is a peer the daemon reaches directly. */
	rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
	rc |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)to);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cto);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	rc |= curl_easy_setopt(e, CURLOPT_BUFFERSIZE, HTTPC_BUFFER);
	rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, req->no_reuse ? 1L : 0L);
	if (req->unix_socket != NULL)
		rc |= curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->body != NULL || strcmp(method, "POST") == 0) {
		/* Size first, so COPYPOSTFIELDS copies exactly body_len bytes; an empty POST
		 * still sends "Content-Length: 0". */
		rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body != NULL ? req->body_len : 0));
		rc |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body != NULL ? req->body : "");
		if (strcmp(method, "POST") != 0)
			rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0) {
		/* HEAD answers carry a Content-Length but no body: do not wait for one. */
		rc |= curl_easy_setopt(e, CURLOPT_NOBODY, (long)(strcmp(method, "HEAD") == 0));
		rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}
	if (rc != CURLE_OK) {
		log_err("http %s %s: curl_easy_setopt failed", method,
		    req->secret_url ? "(url withheld)" : req->url);
		return -1;
	}
	return 0;
}

/* ---- the loop side: sockets, timer and driving curl ------------------------------- */

static void
sock_free(struct httpc *c, struct httpc_sock *s)
{
	/* curl may already have closed the fd; loop_io_stop tolerates that. */
	loop_io_stop(c->loop, &s->io);
	if (c->socks == s)
		c->socks = s->next;
	else
		s->prev->next = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
}

/* After curl returns: carry out what callbacks asked for while curl was busy. A done
 * callback may change the list, so restart the walk after each one. */
static void
run_deferred(struct httpc *c)
{
	struct httpc_xfer *x, *next;

restart:
	for (x = c->xfers; x != NULL; x = next) {
		next = x->next;
		if (x->cancelled) {
			xfer_destroy(c, x);
		} else if (x->pending) {
			x->pending = false;
			if (curl_multi_add_handle(c->multi, x->easy) == CURLM_OK)
				continue;
			x->fail = "could not start transfer";
			xfer_finish(c, x, CURLE_FAILED_INIT);
			goto restart;
		}
	}
}

static void
drive(struct httpc *c, curl_socket_t fd, int ev)
{
	CURLMsg *msg;
	CURLMcode mc;
	CURLcode rc;
	char *x;
	int running, left;

	c->in_curl = true;
	mc = curl_multi_socket_action(c->multi, fd, ev, &running);
	c->in_curl = false;
	if (mc != CURLM_OK)
		log_warning("curl_multi_socket_action: %s", curl_multi_strerror(mc));
	run_deferred(c);
	/* Copy out of msg before xfer_finish: removing the handle invalidates it. */
	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
		if (x != NULL)
			xfer_finish(c, (struct httpc_xfer *)x, rc);
	}
}

static void
on_io(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct httpc_sock *s = io->arg;
	int ev = 0;

	if (events & EPOLLIN)
		ev |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		ev |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		ev |= CURL_CSELECT_ERR;
	/* s may be freed inside: do not touch it afterwards. */
	drive(s->c, io->fd, ev);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	drive(t->arg, CURL_SOCKET_TIMEOUT, 0);
}

static int
on_curl_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct httpc *c = userp;
	struct httpc_sock *s = socketp;
	uint32_t events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(c, s);
		return 0;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			/* Returning -1 would kill every transfer for good; this one times out. */
			log_err("http: out of memory");
			return 0;
		}
		s->c = c;
		loop_io_init(&s->io, fd, on_io, s);
		s->next = c->socks;
		if (c->socks != NULL)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	(void)loop_io_start(c->loop, &s->io, events); /* logs its own failure */
	return 0;
}

/* Only (re)arms the loop timer: curl must not be re-entered from here. */
static int
on_curl_timer(CURLM *m, long ms, void *userp)
{
	struct httpc *c = userp;

	if (ms < 0)
		loop_timer_stop(c->loop, &c->timer);
	else
		(void)loop_timer_start(c->loop, &c->timer, ms);
	return 0;
}

/* ---- public API ------------------------------------------------------------------- */

struct httpc *
httpc_new(struct loop *l)
{
	struct httpc *c;

	/* Reference counted by libcurl; balanced in httpc_free. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("curl_global_init failed");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->loop = l;
	loop_timer_init(&c->timer, on_timer, c);
	c->multi = curl_multi_init();
	if (c->multi == NULL)
		goto fail;
	if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, HTTPC_MAX_CONNS) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, HTTPC_CACHED_CONNS) != CURLM_OK)
		goto fail;
	return c;
fail:
	log_err("http: cannot create the curl multi handle");
	if (c != NULL && c->multi != NULL)
		curl_multi_cleanup(c->multi);
	free(c);
	curl_global_cleanup();
	return NULL;
}

void
httpc_free(struct httpc *c)
{
	struct httpc_xfer *x, *xn;
	struct httpc_sock *s, *sn;

	if (c == NULL)
		return;
	for (x = c->xfers; x != NULL; x = xn) {
		xn = x->next;
		xfer_destroy(c, x);
	}
	/* Cleanup may close cached connections; we stop watching everything ourselves. */
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, NULL);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
	for (s = c->socks; s != NULL; s = sn) {
		sn = s->next;
		sock_free(c, s);
	}
	loop_timer_stop(c->loop, &c->timer);
	curl_multi_cleanup(c->multi);
	while (c->nspare > 0)
		curl_easy_cleanup(c->spare[--c->nspare]);
	free(c);
	curl_global_cleanup();
}

struct httpc_xfer *
httpc_start(struct httpc *c, const struct httpc_req *req)
{
	struct httpc_xfer *x;

	if (req->url == NULL || req->done == NULL) {
		log_err("http: request without url or done callback");
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		log_err("http: out of memory");
		return NULL;
	}
	x->done = req->done;
	x->data = req->data;
	x->arg = req->arg;
	x->max_body = req->max_body != 0 ? req->max_body : HTTPC_MAX_BODY;
	x->secret_url = req->secret_url;
	x->start_ms = loop_clock_ms();
	if (c->nspare > 0) {
		x->easy = c->spare[--c->nspare];
		curl_easy_reset(x->easy);
	} else {
		x->easy = curl_easy_init();
	}
	if (x->easy == NULL || xfer_setup(x, req) == -1)
		goto fail;
	/* curl refuses new handles from inside its callbacks: add after it returns. */
	x->pending = c->in_curl;
	if (!x->pending && curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
		log_err("http %s: curl_multi_add_handle failed", req->url);
		goto fail;
	}
	x->next = c->xfers;
	if (c->xfers != NULL)
		c->xfers->prev = x;
	c->xfers = x;
	c->nactive++;
	return x;
fail:
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x);
	return NULL;
}

void
httpc_cancel(struct httpc *c, struct httpc_xfer *x)
{
	if (x == NULL || x->cancelled)
		return;
	if (c->in_curl) {
		/* From a data callback: curl cannot remove handles now; on_write aborts it
		 * if it is the running one, run_deferred frees it. */
		x->cancelled = true;
		c->nactive--;
		return;
	}
	xfer_destroy(c, x);
}

size_t
httpc_active(const struct httpc *c)
{
	return c->nactive;
}

int
httpc_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (outlen == 0)
		return -1;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		/* RFC 3986 unreserved; no isalnum(): it follows the locale. */
		bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL;

		if (o + (keep ? 1 : 3) >= outlen)
			return -1;
		if (keep) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 15];
	}
	out[o] = '\0';
	return (int)o;
}
