/* prom.c: Prometheus instant queries: the form-encoded POST and the response parser. */
#include "prom.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "text.h"

/* How much of the query or of a peer string goes into a message: the message must still
 * say what went wrong after the echoed part (error[] is 256 bytes). */
#define ECHO_MAX 120

struct prom_query {
	struct httpc_xfer *xfer;
	prom_cb cb;
	void *arg;
	int64_t timeout_ms;
	char *query; /* for messages */
};

/* The reason goes into out->error, cut with "..." if long. Returns -1 so parse steps can
 * return it. */
static int set_err(struct prom_value *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
set_err(struct prom_value *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vformat(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
	out->ok = false;
	out->value = NAN;
	return -1;
}

/* One sample, [<unix time>, "<value>"]. Prometheus writes values as strings so that
 * NaN and the infinities survive JSON; strtod reads every form it emits. NaN and +-Inf
 * are missing data, not numbers to scale on. */
static int
parse_sample(const cJSON *pair, struct prom_value *out)
{
	const cJSON *v;
	const char *s;
	char *end = NULL;
	char what[ECHO_MAX + 4];
	double d;

	if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
		return set_err(out, "sample is not a [time, value] pair");
	v = cJSON_GetArrayItem(pair, 1);
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return set_err(out, "sample value is not a string");
	s = v->valuestring;
	errno = 0;
	d = strtod(s, &end);
	/* strtod skips leading white space (isspace: \v, \f and \r too); Prometheus
	 * never writes any, so it means junk. */
	if (end == s || *end != '\0' || isspace((unsigned char)s[0]))
		return set_err(out, "bad sample value '%s'",
		    text_echo(what, sizeof(what), s, NULL));
	/* ERANGE on underflow still gives a usable tiny number; overflow gives +-HUGE_VAL,
	 * which the isfinite test below turns into missing data like "+Inf". */
	if (isnan(d))
		return set_err(out, "result is NaN");
	if (!isfinite(d))
		return set_err(out, "result is %s", d > 0 ? "+Inf" : "-Inf");
	out->ok = true;
	out->value = d;
	out->error[0] = '\0';
	return 0;
}

static int
parse_data(const cJSON *data, const char *query, struct prom_value *out)
{
	const char *type = json_get_str(data, "resultType");
	const cJSON *res = json_get(data, "result");
	char what[ECHO_MAX + 4];
	int n;

	if (type == NULL)
		return set_err(out, "response without data.resultType");
	if (strcmp(type, "scalar") == 0)
		return parse_sample(res, out);
	if (strcmp(type, "vector") == 0) {
		/* An empty vector is [] ([] or null by the reference's advice). */
		if (res == NULL || cJSON_IsNull(res))
			return set_err(out, "empty result");
		if (!cJSON_IsArray(res))
			return set_err(out, "vector result is not an array");
		n = cJSON_GetArraySize(res);
		if (n == 0)
			return set_err(out, "empty result");
		/* Several series cannot be one metric: the query needs an aggregation. Name
		 * it so the operator sees which configured query is at fault. */
		if (n > 1)
			return set_err(out, "query %s returned %d series, want 1 (aggregate it)",
			    text_echo(what, sizeof(what), query != NULL ? query : "?", NULL), n);
		return parse_sample(json_get(cJSON_GetArrayItem(res, 0), "value"), out);
	}
	if (strcmp(type, "matrix") == 0 || strcmp(type, "string") == 0)
		return set_err(out, "%s result, want scalar or vector (drop the range selector)",
		    type);
	return set_err(out, "unknown resultType '%s'",
	    text_echo(what, sizeof(what), type, NULL));
}

int
prom_parse(const char *body, size_t len, long http_status, const char *query,
    struct prom_value *out)
{
	const char *status, *etype, *emsg;
	char what[ECHO_MAX + 4], tbuf[ECHO_MAX + 4], why[128];
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	out->value = NAN;
	root = json_parse_strict(body, len, why, sizeof(why));
	status = json_get_str(root, "status");
	if (status == NULL || (strcmp(status, "success") != 0 && strcmp(status, "error") != 0)) {
		/* No envelope: a proxy's HTML page, a truncated body. The status says more
		 * than the body then. */
		bool json = root != NULL;

		cJSON_Delete(root);
		if (http_status != 200)
			return set_err(out, "HTTP %ld", http_status);
		return set_err(out, "%s", json ? "not a Prometheus API response" : why);
	}
	if (strcmp(status, "error") == 0) {
		etype = json_get_str(root, "errorType");
		emsg = json_get_str(root, "error");
		/* The type is a short keyword; cap it so the message keeps its room. */
		rc = set_err(out, "%.32s: %s",
		    text_echo(tbuf, sizeof(tbuf), etype != NULL ? etype : "error", NULL),
		    text_echo(what, sizeof(what), emsg != NULL ? emsg : "no message", NULL));
	} else if (http_status != 200) {
		rc = set_err(out, "HTTP %ld", http_status); /* a success envelope, a bad status */
	} else {
		rc = parse_data(json_get(root, "data"), query, out);
	}
	cJSON_Delete(root);
	return rc;
}

/* ---- the query over HTTP ------------------------------------------------------------ */

/* The transfer is over (httpc freed it): parse, free q, then call back, so the callback
 * may start the next query or tear everything down. */
static void
on_done(void *arg, const struct httpc_result *res)
{
	struct prom_query *q = arg;
	struct prom_value v;
	prom_cb cb = q->cb;
	void *cbarg = q->arg;

	if (res->ok) {
		(void)prom_parse(res->body, res->body_len, res->status, q->query, &v);
	} else {
		memset(&v, 0, sizeof(v));
		v.value = NAN;
		if (res->timed_out)
			(void)set_err(&v, "timeout after %" PRId64 "ms", q->timeout_ms);
		else if (res->too_large)
			(void)set_err(&v, "answer larger than %d KiB, not read: many series? "
			    "aggregate the query", PROM_ANSWER_MAX / 1024);
		else
			(void)set_err(&v, "%s", res->error != NULL ? res->error : "transfer failed");
	}
	free(q->query);
	free(q);
	cb(cbarg, &v);
}

/* query=<escaped>&timeout=<s>s. Prometheus' timeout is whole seconds here (it rejects
 * "1.5s"), rounded down so the server gives up first and answers with its own
 * errorType timeout, which says more than our transfer timeout. */
static char *
form_body(const char *query, int64_t timeout_ms, size_t *lenp)
{
	size_t cap = strlen(query) * 3 + 1;
	int64_t secs = timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1;
	char *esc = malloc(cap), *b = malloc(cap + 64);
	int n;

	if (esc == NULL || b == NULL || httpc_escape(query, esc, cap) < 0)
		goto fail;
	n = snprintf(b, cap + 64, "query=%s&timeout=%" PRId64 "s", esc, secs);
	if (n < 0 || (size_t)n >= cap + 64)
		goto fail;
	free(esc);
	*lenp = (size_t)n;
	return b;
fail:
	free(esc);
	free(b);
	return NULL;
}

struct prom_query *
prom_query(struct httpc *hc, const char *url, const char *query, int64_t timeout_ms,
    prom_cb cb, void *arg)
{
	static const char path[] = "/api/v1/query";
	struct httpc_req req = { 0 };
	struct prom_query *q = NULL;
	size_t ulen, blen = 0;
	char *full = NULL, *body = NULL;
	int n;

	/* No timeout would let a hung Prometheus hold the service forever (SPEC 4.14). */
	if (hc == NULL || url == NULL || query == NULL || cb == NULL || timeout_ms <= 0) {
		log_err("prom_query: bad arguments");
		return NULL;
	}
	ulen = strlen(url);
	while (ulen > 0 && url[ulen - 1] == '/')
		ulen--; /* "http://p:9090/" + "/api" would be a different path */
	full = malloc(ulen + sizeof(path));
	body = form_body(query, timeout_ms, &blen);
	q = calloc(1, sizeof(*q));
	if (full == NULL || body == NULL || q == NULL || (q->query = strdup(query)) == NULL)
		goto fail;
	n = snprintf(full, ulen + sizeof(path), "%.*s%s", (int)ulen, url, path);
	if (n < 0 || (size_t)n >= ulen + sizeof(path))
		goto fail;
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = timeout_ms;
	req.method = "POST";
	req.url = full;
	req.body = body;
	req.body_len = blen;
	req.content_type = "application/x-www-form-urlencoded";
	req.timeout_ms = timeout_ms;
	req.max_body = PROM_ANSWER_MAX;
	req.done = on_done;
	req.arg = q;
	/* httpc copies the request, so the URL and body can go right away. */
	q->xfer = httpc_start(hc, &req);
	if (q->xfer == NULL)
		goto fail;
	free(full);
	free(body);
	return q;
fail:
	log_err("prom_query: cannot start a query to %.*s", (int)ulen, url);
	if (q != NULL)
		free(q->query);
	free(q);
	free(full);
	free(body);
	return NULL;
}

void
prom_cancel(struct httpc *hc, struct prom_query *q)
{
	if (q == NULL)
		return;
	httpc_cancel(hc, q->xfer);
	free(q->query);
	free(q);
}
