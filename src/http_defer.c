/* http_defer.c: requests answered later (long polls): suspended, then resumed with an answer. */
#include <stdlib.h>

#include "http_int.h"
#include "log.h"

static void
unlist(struct http_defer *df)
{
	struct http_defer **head = http_deferred_list(df->h);

	if (df->prev != NULL)
		df->prev->next = df->next;
	else if (*head == df)
		*head = df->next;
	if (df->next != NULL)
		df->next->prev = df->prev;
	df->prev = df->next = NULL;
}

struct http_defer *
http_defer_begin(const struct http_req *req, struct http_resp *resp, http_defer_gone gone,
    void *arg)
{
	struct http_defer *df = calloc(1, sizeof(*df));

	if (df == NULL)
		return NULL;
	df->h = req->server;
	df->mc = req->conn;
	df->gone = gone;
	df->arg = arg;
	resp->defer = df;
	return df;
}

enum MHD_Result
http_defer_suspend(struct http *h, struct MHD_Connection *c, struct http_defer *df,
    void **con_cls)
{
	struct upload *up = *con_cls;
	struct http_defer **head = http_deferred_list(h);

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
	df->next = *head;
	if (*head != NULL)
		(*head)->prev = df;
	*head = df;
	http_conn_hold(h, c);
	MHD_suspend_connection(c);
	return MHD_YES;
}

void
http_defer_answer(struct http_defer *df, struct http_resp *resp)
{
	http_resp_take(&df->resp, resp->status, resp->content_type, resp->body, resp->body_len);
	df->resp.allow = resp->allow;
	resp->body = NULL;
	df->answered = true;
	df->gone = NULL; /* the owner is done with it */
	unlist(df);
	MHD_resume_connection(df->mc);
	http_conn_release(df->h, df->mc);
}

enum MHD_Result
http_defer_finish(struct MHD_Connection *c, struct upload *up)
{
	struct http_defer *df = up->defer;

	if (!df->answered)
		return MHD_NO; /* resumed by MHD itself (shutting down): close */
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
	struct http_defer **head = http_deferred_list(h);
	bool any = *head != NULL;

	while (*head != NULL) {
		struct http_defer *df = *head;
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
