/* http_defer.c: requests answered later (long polls): capped in total and per client
 * address, suspended, watched for their client's hang-up, then resumed with an answer. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "http_int.h"
#include "log.h"

/* A refused long poll may try again once one of the waiting ones has ended. */
#define HTTP_DEFER_RETRY_S 5U

static void
unlist(struct http_defer *df)
{
	struct http_defer_set *set;

	if (!df->listed)
		return;
	set = http_defers(df->h);
	if (df->prev != NULL)
		df->prev->next = df->next;
	else
		set->head = df->next;
	if (df->next != NULL)
		df->next->prev = df->prev;
	df->prev = df->next = NULL;
	df->listed = false;
	set->st.waiting--;
}

/* The client's address without its port; AF_UNSPEC when MHD has none. */
static void
client_addr(struct MHD_Connection *c, struct sockaddr_storage *out)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	memset(out, 0, sizeof(*out));
	if (sa != NULL && sa->sa_family == AF_INET)
		memcpy(out, sa, sizeof(struct sockaddr_in));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		memcpy(out, sa, sizeof(struct sockaddr_in6));
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return true; /* no address known: all such share one allowance */
}

/* A refusal closes its connection, so it keeps no slot of the address either. */
static void
refused(struct http_resp *resp)
{
	resp->retry_after = HTTP_DEFER_RETRY_S;
	resp->close = true;
}

struct http_defer *
http_defer_begin(const struct http_req *req, struct http_resp *resp, http_defer_gone gone,
    void *arg)
{
	struct http_defer_set *set = http_defers(req->server);
	struct sockaddr_storage addr;
	struct http_defer *df;
	size_t mine = 0;

	if (set->st.waiting >= HTTP_DEFER_MAX) {
		/* The server's limit, not this client's doing: 503. */
		set->st.refused_busy++;
		http_resp_error(resp, 503, "%u long polls are waiting already; retry later",
		    HTTP_DEFER_MAX);
		refused(resp);
		return NULL;
	}
	client_addr(req->conn, &addr);
	for (df = set->head; df != NULL; df = df->next)
		mine += same_addr(&df->addr, &addr);
	if (mine >= HTTP_DEFER_PER_ADDR) {
		/* This client's own long polls hold its share: 429 (RFC 6585), as a rate limit
		 * per client answers. */
		set->st.refused_addr++;
		http_resp_error(resp, 429, "this address has %u long polls waiting already; "
		    "retry later", HTTP_DEFER_PER_ADDR);
		refused(resp);
		return NULL;
	}
	df = calloc(1, sizeof(*df));
	if (df == NULL) {
		http_resp_error(resp, 500, "out of memory");
		return NULL;
	}
	df->h = req->server;
	df->mc = req->conn;
	df->addr = addr;
	df->gone = gone;
	df->arg = arg;
	resp->defer = df;
	return df;
}

/* The client hung up while its request waits: the owner forgets it and the connection
 * is resumed with no answer, so the handler returns MHD_NO and MHD closes it (the fd is
 * MHD's: closed by MHD only) and the waiting slot and the address's connection slot free
 * at once, as nginx ends a proxied request whose client closed (doc/api.md, "API limits"). */
static void
on_hangup(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct http_defer *df = io->arg;
	http_defer_gone gone = df->gone;
	void *arg = df->arg;

	loop_io_stop(l, io);
	http_defers(df->h)->st.abandoned++;
	df->gone = NULL;
	unlist(df);
	MHD_resume_connection(df->mc);
	http_conn_release(df->h, df->mc);
	if (gone != NULL)
		gone(arg);
}

/* libmicrohttpd takes a suspended connection out of its own epoll set and reads nothing
 * from it: watch the socket ourselves for the peer's FIN or reset (EPOLLRDHUP; HUP and
 * ERR are always reported). Not EPOLLIN: a pipelined request is no hang-up. */
static void
watch(struct http_defer *df)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(df->mc,
	    MHD_CONNECTION_INFO_CONNECTION_FD);

	if (ci == NULL)
		return; /* unwatched: it still ends at its wait */
	loop_io_init(&df->io, ci->connect_fd, on_hangup, df);
	if (loop_io_start(http_loop(df->h), &df->io, EPOLLRDHUP) == -1)
		log_warning("http: a long poll's hang-up is not watched; it ends at its wait");
}

enum MHD_Result
http_defer_suspend(struct http *h, struct MHD_Connection *c, struct http_defer *df,
    void **con_cls)
{
	struct upload *up = *con_cls;
	struct http_defer_set *set = http_defers(h);

	if (up == NULL && (up = calloc(1, sizeof(*up))) == NULL) {
		/* The owner still holds df: answer it now, as a failure. */
		http_resp_error(&df->resp, 500, "out of memory");
		if (df->gone != NULL)
			df->gone(df->arg);
		enum MHD_Result r = http_queue(c, &df->resp);
		free(df);
		return r;
	}
	*con_cls = up;
	up->defer = df;
	df->next = set->head;
	if (set->head != NULL)
		set->head->prev = df;
	set->head = df;
	df->listed = true;
	set->st.waiting++;
	http_conn_hold(h, c);
	MHD_suspend_connection(c);
	watch(df);
	return MHD_YES;
}

void
http_defer_answer(struct http_defer *df, struct http_resp *resp)
{
	http_resp_take(&df->resp, resp->status, resp->content_type, resp->body, resp->body_len);
	df->resp.allow = resp->allow;
	df->resp.csp = resp->csp;
	df->resp.retry_after = resp->retry_after;
	df->resp.close = resp->close;
	resp->body = NULL;
	df->answered = true;
	df->gone = NULL; /* the owner is done with it */
	loop_io_stop(http_loop(df->h), &df->io); /* before MHD takes the socket back */
	unlist(df);
	MHD_resume_connection(df->mc);
	http_conn_release(df->h, df->mc);
}

enum MHD_Result
http_defer_finish(struct MHD_Connection *c, struct upload *up)
{
	struct http_defer *df = up->defer;

	if (!df->answered)
		return MHD_NO; /* its client hung up: close */
	if (df->queued)
		return MHD_YES;
	df->queued = true;
	return http_queue(c, &df->resp);
}

void
http_defer_done(struct upload *up)
{
	struct http_defer *df = up->defer;

	if (df == NULL)
		return;
	if (df->io.active)
		loop_io_stop(http_loop(df->h), &df->io);
	if (!df->answered) {
		unlist(df);
		if (df->gone != NULL)
			df->gone(df->arg);
	}
	free(df->resp.body);
	free(df);
	up->defer = NULL;
}

void
http_defer_stop(struct http *h, struct MHD_Daemon *mhd)
{
	struct http_defer_set *set = http_defers(h);
	bool any = set->head != NULL;

	while (set->head != NULL) {
		struct http_defer *df = set->head;
		http_defer_gone gone = df->gone;
		void *arg = df->arg;
		struct http_resp r = { 0 };

		http_resp_error(&r, 503, "shutting down");
		http_defer_answer(df, &r);
		if (gone != NULL)
			gone(arg);
	}
	/* The resumes take effect in MHD's next run. */
	if (any && MHD_run(mhd) != MHD_YES)
		log_warning("http: MHD_run failed");
}
