/* http.c: libmicrohttpd in external-epoll mode, body limits, and JSON error replies. */
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

#include "log.h"
#include "text.h"

#define HTTP_CONN_TIMEOUT_S 30U
#define HTTP_CONN_LIMIT 512U
#define HTTP_CONN_MEMORY ((size_t)64 * 1024)

struct http {
	struct MHD_Daemon *mhd;
	struct loop *loop;
	struct loop_io io;
	struct loop_timer timer;
	http_handler handler;
	void *ctx;
	unsigned port;
};

/* Per-request upload state, freed in request_completed. */
struct upload {
	char *buf;
	size_t len, cap;
	bool too_big;
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

static enum MHD_Result
queue(struct MHD_Connection *c, struct http_resp *r)
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
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The router answers every request, 413s included, so it can count them per route. */
static enum MHD_Result
dispatch(struct http *h, struct MHD_Connection *c, const char *url, const char *method,
    struct upload *up)
{
	struct http_resp resp = { 0 };
	struct http_req req = { 0 };

	req.method = method;
	req.path = url;
	req.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	req.too_big = up->too_big;
	req.body = up->buf != NULL && !up->too_big ? up->buf : "";
	req.body_len = up->too_big ? 0 : up->len;
	req.conn = c;
	h->handler(h->ctx, &req, &resp);
	return queue(c, &resp);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct upload *up = *con_cls;

	if (up == NULL) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);

		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*con_cls = up;
		/* A declared oversized body is never stored: it is drained (bounded by the
		 * connection timeout) and answered 413 at the end, because clients that do
		 * not read early answers see a broken pipe instead of the 413. */
		if (cl != NULL && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
			up->too_big = true;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (up->too_big || up->len + n > HTTP_BODY_MAX) {
			up->too_big = true; /* keep draining; answer at the end */
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
	return dispatch(h, c, url, method, up);
}

static void
request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (up != NULL) {
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	log_notice("http: %s", buf);
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
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
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
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_LIMIT,
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
	loop_io_stop(h->loop, &h->io);
	loop_timer_stop(h->loop, &h->timer);
	MHD_stop_daemon(h->mhd);
	free(h);
}
