/* ctl_http.c: dockscalectl's one blocking HTTP request to the daemon (libcurl easy). */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define BODY_MAX (64u * 1024 * 1024) /* far above any answer of the API */

struct sink {
	char *p;
	size_t len, cap;
	bool too_big;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	char *p;

	if (s->len + n + 1 > BODY_MAX) {
		s->too_big = true;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap != 0 ? s->cap : 4096;

		while (cap < s->len + n + 1)
			cap *= 2;
		p = realloc(s->p, cap);
		if (p == NULL)
			return 0;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

/* Ctrl-C during a long poll: abort the transfer now rather than after its wait. */
static int
on_progress(void *user, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	volatile sig_atomic_t *stop = user;

	return stop != NULL && *stop ? 1 : 0;
}

int
ctl_http_escape(const char *name, char *out, size_t len)
{
	static const char keep[] = "-_.~";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		int r = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr(keep, *p) != NULL
		    ? snprintf(out + o, len - o, "%c", *p)
		    : snprintf(out + o, len - o, "%%%02X", *p);

		if (r < 0 || (size_t)r >= len - o)
			return -1;
		o += (size_t)r;
	}
	if (len == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

void
ctl_resp_free(struct ctl_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

int
ctl_http(const struct ctl_target *t, const char *method, const char *path,
    const char *body, const char *token, long timeout_s, volatile sig_atomic_t *stop,
    struct ctl_resp *r, char *err, size_t errlen)
{
	char url[1024], auth[4200], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *h;
	struct sink s = { 0 };
	CURL *c = curl_easy_init();
	CURLcode rc;
	int ret = -1, n;

	*r = (struct ctl_resp){ 0 };
	n = snprintf(url, sizeof(url), "%s%s", t->url, path);
	if (c == NULL || n < 0 || (size_t)n >= sizeof(url)) {
		(void)snprintf(err, errlen, "%s", c == NULL ? "out of memory" : "URL too long");
		goto out;
	}
	if (body != NULL && (h = curl_slist_append(hdrs, "Content-Type: application/json")) != NULL)
		hdrs = h;
	if (token != NULL) {
		n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		if (n > 0 && (size_t)n < sizeof(auth) && (h = curl_slist_append(hdrs, auth)) != NULL)
			hdrs = h;
		explicit_bzero(auth, sizeof(auth));
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* The daemon is reached directly, as it reaches its own peers. */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dockscalectl/" DOCKSCALE_VERSION);
	/* dockscalectl is a one-shot command with no event loop: a blocking call is right
	 * here (the daemon itself only uses the multi interface, httpc.c). */
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		(void)snprintf(err, errlen, "cannot reach dockscaled at %s: %s", t->url,
		    s.too_big ? "answer too big" : cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = s.p != NULL ? s.p : strdup("");
	r->len = s.len;
	s.p = NULL;
	ret = r->body != NULL ? 0 : -1;
	if (ret < 0)
		(void)snprintf(err, errlen, "out of memory");
out:
	free(s.p);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return ret;
}
