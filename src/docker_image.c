/* docker_image.c: image calls of the Docker Engine API: inspect, and pull with its progress. */
#include "docker_image.h"
#include "docker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "text.h"

#define AUTH_HEADER "X-Registry-Auth"

static int
copy_n(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
docker_ref_split(const char *ref, struct docker_ref *out)
{
	const char *slash, *at, *colon, *last;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (ref == NULL || ref[0] == '\0')
		return -1;
	slash = strchr(ref, '/');
	/* Docker's rule: a first component with '.' or ':' (or "localhost") is a host. */
	if (slash != NULL && (memchr(ref, '.', (size_t)(slash - ref)) != NULL ||
	    memchr(ref, ':', (size_t)(slash - ref)) != NULL ||
	    ((size_t)(slash - ref) == 9 && strncmp(ref, "localhost", 9) == 0))) {
		if (copy_n(out->host, sizeof(out->host), ref, (size_t)(slash - ref)) == -1)
			return -1;
	} else {
		memcpy(out->host, "docker.io", sizeof("docker.io"));
	}
	at = strchr(ref, '@');
	n = at != NULL ? (size_t)(at - ref) : strlen(ref);
	/* A tag is a ':' after the last '/' (before it, it is the host's port). */
	last = ref;
	for (const char *p = ref; p < ref + n; p++)
		if (*p == '/')
			last = p + 1;
	colon = memchr(last, ':', n - (size_t)(last - ref));
	if (copy_n(out->from, sizeof(out->from), ref, colon != NULL ? (size_t)(colon - ref) : n)
	    == -1 || out->from[0] == '\0')
		return -1;
	/* A digest wins over a tag: that is what Docker pulls for name:tag@digest. */
	if (at != NULL)
		return copy_n(out->tag, sizeof(out->tag), at + 1, strlen(at + 1)) == -1 ||
		    out->tag[0] == '\0' ? -1 : 0;
	if (colon != NULL)
		return copy_n(out->tag, sizeof(out->tag), colon + 1, n - (size_t)(colon + 1 - ref))
		    == -1 || out->tag[0] == '\0' ? -1 : 0;
	memcpy(out->tag, "latest", sizeof("latest"));
	return 0;
}

int
docker_pull_line(const char *line, size_t len, char *err, size_t errlen)
{
	cJSON *root;
	const cJSON *detail;
	const char *msg = NULL;
	int rc;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0; /* blank lines between chunks */
	root = json_parse_whole(line, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	detail = json_get(root, "errorDetail");
	/* The first non-empty of errorDetail.message, error, and an error body's message. */
	msg = json_get_str(detail, "message");
	if (msg == NULL || msg[0] == '\0')
		msg = json_get_str(root, "error");
	if ((msg == NULL || msg[0] == '\0') && json_get(root, "status") == NULL)
		msg = json_get_str(root, "message");
	rc = 0;
	if (msg != NULL && msg[0] != '\0') {
		rc = 1;
		if (errlen > 0)
			text_echo(err, errlen, msg, NULL);
	} else if (json_get(root, "error") != NULL || detail != NULL) {
		rc = 1; /* an error of an unexpected shape is still an error */
		if (errlen > 0)
			snprintf(err, errlen, "pull failed (error without a message)");
	}
	cJSON_Delete(root);
	return rc;
}

static void
pull_fail(struct docker_pull_stream *ps, const char *msg)
{
	if (ps->failed)
		return;
	ps->failed = true;
	snprintf(ps->err, sizeof(ps->err), "%s", msg);
}

static void
pull_complete_line(struct docker_pull_stream *ps)
{
	char err[DOCKER_PULL_ERR_MAX];
	int rc = docker_pull_line(ps->line, ps->len, err, sizeof(err));

	ps->lines++;
	if (rc == 1)
		pull_fail(ps, err);
	ps->len = 0;
}

void
docker_pull_feed(struct docker_pull_stream *ps, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = data[i];

		if (ch == '\n') {
			if (ps->skip) {
				/* Too long to keep: an error line still fails the pull, wordless. */
				if (ps->skip_error)
					pull_fail(ps, "pull failed (error message too long to show)");
				ps->skip = ps->skip_error = false;
				ps->len = 0;
				ps->lines++;
			} else {
				pull_complete_line(ps);
			}
			continue;
		}
		if (ps->skip)
			continue;
		if (ps->len + 1 >= sizeof(ps->line)) {
			ps->line[ps->len] = '\0';
			ps->skip = true;
			ps->skip_error = strstr(ps->line, "\"error") != NULL;
			continue;
		}
		ps->line[ps->len++] = ch;
	}
}

void
docker_pull_end(struct docker_pull_stream *ps)
{
	if (ps->len > 0 && !ps->skip)
		pull_complete_line(ps);
	else if (ps->skip && ps->skip_error)
		pull_fail(ps, "pull failed (error message too long to show)");
	ps->len = 0;
	ps->skip = ps->skip_error = false;
}

void
docker_image_pull_error(struct docker_pull_stream *ps, char *out, size_t outlen)
{
	docker_pull_end(ps);
	snprintf(out, outlen, "%s", ps->failed ? ps->err : "no message");
}

int
docker_image_data(void *arg, const char *data, size_t len)
{
	struct call *c = arg;

	docker_pull_feed(&c->pull, data, len);
	return 0;
}

int
docker_image_parse_id(const char *body, char *id, size_t idlen)
{
	cJSON *root = body != NULL ? json_parse_whole(body, strlen(body)) : NULL;
	const char *s = json_get_str(root, "Id");
	int rc = -1;

	if (idlen > 0)
		id[0] = '\0';
	if (s != NULL && strncmp(s, "sha256:", 7) == 0 && strlen(s) < idlen &&
	    strspn(s + 7, "0123456789abcdef") == strlen(s + 7) && s[7] != '\0') {
		memcpy(id, s, strlen(s) + 1);
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

/* References go into URL paths and queries: the characters config_valid_image allows. */
static bool
ref_ok(const char *ref)
{
	size_t n = strlen(ref);

	return n > 0 && n <= DOCKER_IMAGE_MAX && ref[0] != '/' && strstr(ref, "..") == NULL &&
	    strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "._-/:@") == n;
}

int
docker_image_inspect(struct docker *d, const char *ref, docker_image_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL || ref == NULL || !ref_ok(ref)) {
		log_err("docker: refusing to inspect an invalid image reference");
		return -1;
	}
	if ((c = docker_call_new(CALL_IMAGE, arg, "/images/", ref, "/json")) == NULL)
		return -1;
	c->cb.image = cb;
	return docker_call_start(d, c, "GET", true, NULL, d->timeout_ms);
}

int
docker_image_pull(struct docker *d, const char *ref, const char *auth,
    int64_t timeout_ms, docker_cb cb, void *arg)
{
	struct docker_ref r;
	char from[3 * DOCKER_IMAGE_MAX + 1], tag[3 * DOCKER_IMAGE_MAX + 1];
	char query[sizeof(from) + sizeof(tag) + 8];
	char hdr[sizeof(AUTH_HEADER) + 4096];
	struct call *c;
	int n;

	if (cb == NULL || ref == NULL || !ref_ok(ref) || docker_ref_split(ref, &r) == -1 ||
	    httpc_escape(r.from, from, sizeof(from)) < 0 ||
	    httpc_escape(r.tag, tag, sizeof(tag)) < 0) {
		log_err("docker: refusing to pull an invalid image reference");
		return -1;
	}
	n = snprintf(query, sizeof(query), "%s&tag=%s", from, tag);
	if (n < 0 || (size_t)n >= sizeof(query) ||
	    (c = docker_call_new(CALL_PULL, arg, "/images/create?fromImage=", query, "")) == NULL)
		return -1;
	c->cb.plain = cb;
	if (auth != NULL) {
		/* "Name\0value": the value never reaches a log line. */
		if (strlen(auth) >= sizeof(hdr) - sizeof(AUTH_HEADER)) {
			log_err("docker: pull of %s: registry credentials too long", ref);
			free(c);
			return -1;
		}
		memcpy(hdr, AUTH_HEADER, sizeof(AUTH_HEADER));
		memcpy(hdr + sizeof(AUTH_HEADER), auth, strlen(auth) + 1);
		c->header = hdr;
	}
	n = docker_call_start(d, c, "POST", true, NULL, timeout_ms);
	explicit_bzero(hdr, sizeof(hdr));
	return n;
}
