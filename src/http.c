/* http.c: libmicrohttpd in external-epoll mode, request limits, and JSON error replies. */
#include "http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "http_int.h"
#include "log.h"
#include "text.h"

/* doc/api.md, "API limits". */
#define HTTP_CONN_TIMEOUT_S 10U       /* idle: no byte either way (a backstop) */
#define HTTP_HEADERS_MAX_MS 5000      /* connection or previous answer -> whole headers */
#define HTTP_BODY_MAX_MS 5000         /* whole headers -> whole body and answer sent */
#define HTTP_CONN_LIMIT 512U
#define HTTP_CONN_SOFT 448U           /* above it a new connection evicts the oldest */
#define HTTP_CONN_MEMORY ((size_t)16 * 1024) /* headers both ways; libmicrohttpd zeroes what a request used */

/* One TCP connection, listed earliest deadline first while it may still be cut. */
struct conn {
	struct conn *prev, *next;
	struct MHD_Connection *mc;
	int64_t deadline;
	bool listed;
	bool cut;                 /* shut down by us: never listed again */
};

struct http {
	struct MHD_Daemon *mhd;
	struct loop *loop;
	struct loop_io io;
	struct loop_timer timer;
	struct loop_timer sweep;  /* the head's deadline */
	struct conn *head, *tail; /* by deadline */
	size_t nconns;
	http_handler handler;
	void *ctx;
	unsigned port;
	struct http_defer_set defers; /* requests waiting for their answer (http_defer.c) */
};

static void http_reschedule(struct http *h);

int
http_resp_set(struct http_resp *r, int status, const char *ctype, const char *body, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return -1;
	memcpy(copy, body, len);
	copy[len] = '\0';
	http_resp_take(r, status, ctype, copy, len);
	return 0;
}

void
http_resp_take(struct http_resp *r, int status, const char *ctype, char *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = len;
}

void
http_resp_error(struct http_resp *r, int status, const char *fmt, ...)
{
	char msg[512];
	cJSON *o;
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	text_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = cJSON_CreateObject();
	if (o != NULL && cJSON_AddStringToObject(o, "error", msg) != NULL)
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL) {
		/* Out of memory: a static body still tells the client what happened. */
		static const char oom[] = "{\"error\":\"out of memory\"}";
		(void)http_resp_set(r, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	http_resp_take(r, status, "application/json", s, strlen(s));
}

const char *
http_req_arg(const struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
	    MHD_GET_ARGUMENT_KIND, key);
}

enum MHD_Result
http_queue(struct MHD_Connection *c, struct http_resp *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->body == NULL)
		http_resp_error(r, 500, "handler produced no response");
	resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r->body);
		r->body = NULL;
		return MHD_NO;
	}
	r->body = NULL; /* owned by MHD now */
	if (r->content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->retry_after > 0) {
		char secs[16];

		(void)snprintf(secs, sizeof(secs), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* doc/api.md, "Status page": no answer may be sniffed into another type, framed,
	 * leak the page's address or be read by another origin's page. */
	MHD_add_response_header(resp, "Content-Security-Policy",
	    r->csp != NULL ? r->csp : HTTP_CSP_NONE);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void
conn_unlink(struct http *h, struct conn *k)
{
	if (!k->listed)
		return;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		h->head = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	else
		h->tail = k->prev;
	k->prev = k->next = NULL;
	k->listed = false;
}

/* The connection's next phase must end within ms: its headers, then its body and
 * answer, so a whole request takes at most HTTP_HEADERS_MAX_MS + HTTP_BODY_MAX_MS
 * however slowly it trickles in. */
static void
conn_arm(struct http *h, struct conn *k, int64_t ms)
{
	struct conn *at;

	conn_unlink(h, k);
	if (k->cut)
		return;
	k->deadline = loop_now(h->loop) + ms;
	/* Deadlines are mostly now + the same constant: the place is at or near the tail. */
	for (at = h->tail; at != NULL && at->deadline > k->deadline; at = at->prev)
		;
	k->prev = at;
	k->next = at != NULL ? at->next : h->head;
	if (k->next != NULL)
		k->next->prev = k;
	else
		h->tail = k;
	if (at != NULL)
		at->next = k;
	else
		h->head = k;
	k->listed = true;
	if (h->head == k)
		loop_timer_start(h->loop, &h->sweep, ms);
}

/* MHD cannot close a connection on request: shutting the socket down makes its next
 * read see the end, and MHD closes it itself (the fd stays MHD's, so it is never
 * reused under it). */
static void
conn_cut(struct http *h, struct conn *k)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(k->mc,
	    MHD_CONNECTION_INFO_CONNECTION_FD);

	conn_unlink(h, k);
	k->cut = true;
	if (ci != NULL)
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The router answers every request, 413s included, so it can count them per route.
 * It is first called on the headers alone (headers_only): an answer then is sent at
 * once and the body is never read. */
static enum MHD_Result
dispatch(struct http *h, struct MHD_Connection *c, const char *url, const char *method,
    const struct upload *up, bool *answered, void **con_cls)
{
	struct http_resp resp = { 0 };
	struct http_req req = { 0 };
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);

	req.method = method;
	req.path = url;
	req.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	req.host = header(c, MHD_HTTP_HEADER_HOST);
	req.origin = header(c, "Origin");
	req.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.headers_only = up == NULL;
	if (up == NULL) {
		/* MHD has checked the value's syntax; a declared oversized body is answered
		 * now, before a byte of it is read. */
		req.too_big = cl != NULL && strtoull(cl, NULL, 10) > HTTP_BODY_MAX;
		req.body = NULL;
	} else {
		req.too_big = up->too_big;
		req.body = up->buf != NULL && !up->too_big ? up->buf : "";
		req.body_len = up->too_big ? 0 : up->len;
	}
	req.conn = c;
	req.server = h;
	h->handler(h->ctx, &req, &resp);
	*answered = up != NULL || resp.status != 0 || resp.defer != NULL;
	if (resp.defer != NULL)
		return http_defer_suspend(h, c, resp.defer, con_cls);
	if (!*answered)
		return MHD_YES; /* read the body */
	return http_queue(c, &resp);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct upload *up = *con_cls;
	bool answered;

	if (up != NULL && up->defer != NULL)
		return http_defer_finish(c, up); /* resumed: its answer is ready */
	if (up == NULL) {
		struct conn *k = conn_of(c);
		enum MHD_Result r;

		if (k != NULL)
			conn_arm(h, k, HTTP_BODY_MAX_MS);
		r = dispatch(h, c, url, method, NULL, &answered, con_cls);
		if (r != MHD_YES || answered)
			return r;
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (up->too_big || up->len + n > HTTP_BODY_MAX) {
			/* Undeclared length (chunked): drained, bounded by HTTP_BODY_MAX_MS. */
			up->too_big = true;
			return MHD_YES;
		}
		if (up->len + n + 1 > up->cap) {
			size_t cap = up->cap ? up->cap : 4096;
			char *b;

			while (cap < up->len + n + 1)
				cap *= 2;
			b = realloc(up->buf, cap);
			if (b == NULL)
				return MHD_NO;
			up->buf = b;
			up->cap = cap;
		}
		memcpy(up->buf + up->len, upload_data, n);
		up->len += n;
		up->buf[up->len] = '\0';
		return MHD_YES;
	}
	return dispatch(h, c, url, method, up, &answered, con_cls);
}

static void
notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	struct conn *k = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		k = calloc(1, sizeof(*k));
		if (k == NULL)
			return; /* untracked: still bounded by the idle timeout */
		k->mc = c;
		*socket_context = k;
		h->nconns++;
		/* Slots never run out for a quick request: slow ones make room. */
		if (h->nconns > HTTP_CONN_SOFT && h->head != NULL)
			conn_cut(h, h->head);
		conn_arm(h, k, HTTP_HEADERS_MAX_MS);
		return;
	}
	if (k == NULL)
		return;
	conn_unlink(h, k);
	h->nconns--;
	free(k);
	*socket_context = NULL;
}

static void
on_sweep(struct loop *l, struct loop_timer *t)
{
	struct http *h = t->arg;
	int64_t now = loop_now(l);

	while (h->head != NULL && h->head->deadline <= now)
		conn_cut(h, h->head);
	if (h->head != NULL)
		loop_timer_start(l, &h->sweep, h->head->deadline - now);
	if (MHD_run(h->mhd) != MHD_YES)
		log_warning("http: MHD_run failed");
	http_reschedule(h);
}

static void
request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct upload *up = *con_cls;
	struct conn *k = conn_of(c);

	if (up != NULL) {
		http_defer_done(up);
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
	if (k != NULL)
		conn_arm(h, k, HTTP_HEADERS_MAX_MS); /* the next request on this connection */
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* MHD's own unescaping turns %00 into a NUL that silently ends the path; leave it
 * escaped so "/x%00/y" stays one unknown path instead of "/x". */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++) {
		int hi = r[0] == '%' ? hexval(r[1]) : -1;
		int lo = hi >= 0 ? hexval(r[2]) : -1;

		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	/* Per-connection events a client causes at will (limits reached, closures): at
	 * notice a flood would flood the journal too. */
	log_debug("http: %s", buf);
}

static void
http_run(struct http *h)
{
	if (MHD_run(h->mhd) != MHD_YES)
		log_warning("http: MHD_run failed");
	http_reschedule(h);
}

static void
on_io(struct loop *l, struct loop_io *io, uint32_t events)
{
	http_run(io->arg);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	http_run(t->arg);
}

/* MHD keeps its own deadlines (idle connections, data already buffered): never wait
 * longer than it asks. */
static void
http_reschedule(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		loop_timer_start(h->loop, &h->timer, ms > 60000 ? 60000 : (int64_t)ms);
	else
		loop_timer_stop(h->loop, &h->timer);
}

/* "127.0.0.1:9280", "localhost:9280", "[::1]:9280" -> sockaddr. */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *slen, bool *v6)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	unsigned long port;
	char *end;
	size_t hlen;

	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (hlen < 2 || listen[hlen - 1] != ']')
			return -1;
		hlen -= 2;
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, listen + 1, hlen);
	} else {
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, listen, hlen);
	}
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*slen = sizeof(*sin);
		*v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*slen = sizeof(*sin6);
		*v6 = true;
		return 0;
	}
	return -1;
}

struct http *
http_start(struct loop *l, const char *listen, http_handler handler, void *ctx)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	bool v6;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct http *h;

	if (parse_listen(listen, &ss, &slen, &v6) == -1) {
		log_err("http: bad listen address %s", listen);
		return NULL;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->loop = l;
	h->handler = handler;
	h->ctx = ctx;
	loop_timer_init(&h->timer, on_timer, h);
	loop_timer_init(&h->sweep, on_sweep, h);
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_PER_IP,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, h,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, h,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, request_completed, h,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		log_err("http: cannot listen on %s (address in use or not local?)", listen);
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL)
		goto fail;
	loop_io_init(&h->io, info->epoll_fd, on_io, h);
	if (loop_io_start(l, &h->io, EPOLLIN) == -1)
		goto fail;
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : 0;
	http_reschedule(h);
	return h;
fail:
	log_err("http: cannot hook the server into the event loop");
	MHD_stop_daemon(h->mhd);
	free(h);
	return NULL;
}

struct http_defer_set *
http_defers(struct http *h)
{
	return &h->defers;
}

struct loop *
http_loop(struct http *h)
{
	return h->loop;
}

void
http_defer_stats(const struct http *h, struct http_defer_stats *out)
{
	if (h != NULL)
		*out = h->defers.st;
	else
		memset(out, 0, sizeof(*out));
}

void
http_conn_hold(struct http *h, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k != NULL)
		conn_unlink(h, k);
}

void
http_conn_release(struct http *h, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (k != NULL)
		conn_arm(h, k, HTTP_BODY_MAX_MS);
	loop_timer_start(h->loop, &h->timer, 0); /* MHD sees the resume when it runs */
}

unsigned
http_port(const struct http *h)
{
	return h->port;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	http_defer_stop(h, h->mhd); /* MHD refuses to stop with suspended requests */
	loop_io_stop(h->loop, &h->io);
	/* Closing the connections re-arms the sweep (request_completed): stop it after. */
	MHD_stop_daemon(h->mhd);
	loop_timer_stop(h->loop, &h->timer);
	loop_timer_stop(h->loop, &h->sweep);
	free(h);
}
