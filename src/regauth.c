/* regauth.c: registry credentials (~/.docker/config.json "auths") and X-Registry-Auth. */
#include "regauth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "json.h"

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
regauth_b64(const unsigned char *in, size_t len, int url, char *out, size_t outlen)
{
	const char *al = url ? b64url : b64std;
	size_t o = 0;

	if (outlen == 0 || (len + 2) / 3 * 4 >= outlen)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = al[(v >> 18) & 63];
		out[o++] = al[(v >> 12) & 63];
		out[o++] = i + 1 < len ? al[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? al[v & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64val(char c)
{
	const char *p;

	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	p = c != '\0' ? strchr(b64std, c) : NULL;
	return p != NULL ? (int)(p - b64std) : -1;
}

int
regauth_unb64(const char *in, unsigned char *out, size_t outlen)
{
	unsigned v = 0;
	int bits = 0;
	size_t o = 0, n = strlen(in);

	while (n > 0 && in[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		int x = b64val(in[i]);

		if (x < 0)
			return -1;
		v = (v << 6) | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return -1;
			out[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	return (int)o;
}

void
regauth_host(const char *key, char *out, size_t outlen)
{
	const char *p = key;
	size_t n;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	n = strcspn(p, "/");
	snprintf(out, outlen, "%.*s", (int)n, p);
	/* Docker Hub goes by several names; docker_ref_split calls it docker.io. */
	if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0 ||
	    strcmp(out, "registry.hub.docker.com") == 0)
		snprintf(out, outlen, "docker.io");
}

static void
entry_free(struct regauth_entry *e)
{
	char *v[] = { e->host, e->username, e->password, e->token };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i] != NULL)
			explicit_bzero(v[i], strlen(v[i]));
		free(v[i]);
	}
	memset(e, 0, sizeof(*e));
}

void
regauth_free(struct regauth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		entry_free(&a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* "auth": base64 of "user:password". */
static int
split_auth(const char *b64, struct regauth_entry *e)
{
	unsigned char buf[2048];
	char *colon;
	int n = (int)strlen(b64) <= 4 * ((int)sizeof(buf) - 1) / 3 ?
	    regauth_unb64(b64, buf, sizeof(buf) - 1) : -1;
	int rc = -1;

	if (n <= 0)
		goto out;
	buf[n] = '\0';
	colon = strchr((char *)buf, ':');
	if (colon == NULL || strlen((char *)buf) != (size_t)n)
		goto out;
	*colon = '\0';
	e->username = strdup((char *)buf);
	e->password = strdup(colon + 1);
	rc = e->username != NULL && e->password != NULL ? 0 : -1;
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int
regauth_parse(const char *text, size_t len, struct regauth *out, char *err, size_t errlen)
{
	cJSON *root = json_parse_strict(text, len, NULL, 0);
	const cJSON *auths, *it;
	struct regauth a = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	auths = json_get(root, "auths");
	if (auths == NULL) {
		rc = 0; /* no credentials at all: every pull is anonymous */
		goto out;
	}
	if (!cJSON_IsObject(auths)) {
		snprintf(err, errlen, "\"auths\" is not an object");
		goto out;
	}
	cJSON_ArrayForEach(it, auths) {
		struct regauth_entry e = { 0 };
		const char *b64 = json_get_str(it, "auth"), *u = json_get_str(it, "username");
		const char *p = json_get_str(it, "password"), *t = json_get_str(it, "identitytoken");
		char host[256];
		struct regauth_entry *v;

		if (!cJSON_IsObject(it)) {
			snprintf(err, errlen, "auths entry \"%.64s\" is not an object", it->string);
			goto out;
		}
		regauth_host(it->string, host, sizeof(host));
		if (host[0] == '\0') {
			snprintf(err, errlen, "auths entry \"%.64s\" names no registry", it->string);
			goto out;
		}
		if (t != NULL && t[0] != '\0') {
			e.token = strdup(t);
		} else if (b64 != NULL && b64[0] != '\0') {
			if (split_auth(b64, &e) == -1) {
				entry_free(&e);
				snprintf(err, errlen, "auths entry %s: \"auth\" is not base64 of "
				    "user:password", host);
				goto out;
			}
		} else if (u != NULL && p != NULL) {
			e.username = strdup(u);
			e.password = strdup(p);
		} else {
			continue; /* e.g. {} beside "credsStore": nothing dockscale can send */
		}
		e.host = strdup(host);
		v = realloc(a.v, (a.n + 1) * sizeof(*v));
		if (v == NULL || e.host == NULL || (e.token == NULL && e.username == NULL)) {
			entry_free(&e);
			if (v != NULL)
				a.v = v;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		a.v = v;
		a.v[a.n++] = e;
		/* The header must fit the call that carries it. */
		{
			char hdr[REGAUTH_HEADER_MAX + 1];
			int hr = regauth_header(&a, host, hdr, sizeof(hdr));

			explicit_bzero(hdr, sizeof(hdr));
			if (hr != 1) {
				snprintf(err, errlen, "auths entry %s: credentials too long (the header "
				    "carrying them is at most %d bytes)", host, REGAUTH_HEADER_MAX);
				goto out;
			}
		}
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == 0)
		*out = a;
	else
		regauth_free(&a);
	return rc;
}

int
regauth_load(const char *path, struct regauth *out, char *err, size_t errlen)
{
	char *buf = malloc(REGAUTH_FILE_MAX + 1);
	size_t n = 0;
	int fd = -1, rc = -1;

	memset(out, 0, sizeof(*out));
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, REGAUTH_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > REGAUTH_FILE_MAX) {
			snprintf(err, errlen, "larger than %d bytes", REGAUTH_FILE_MAX);
			goto out;
		}
	}
	buf[n] = '\0';
	rc = regauth_parse(buf, n, out, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, n);
	free(buf);
	return rc;
}

int
regauth_header(const struct regauth *a, const char *host, char *out, size_t outlen)
{
	const struct regauth_entry *e = NULL;
	cJSON *o;
	char *json;
	int rc = -1;

	for (size_t i = 0; a != NULL && i < a->n && e == NULL; i++)
		if (strcmp(a->v[i].host, host) == 0)
			e = &a->v[i];
	if (e == NULL)
		return 0;
	if ((o = cJSON_CreateObject()) == NULL)
		return -1;
	if (e->token != NULL) {
		cJSON_AddStringToObject(o, "identitytoken", e->token);
	} else {
		cJSON_AddStringToObject(o, "username", e->username);
		cJSON_AddStringToObject(o, "password", e->password);
	}
	cJSON_AddStringToObject(o, "serveraddress", strcmp(e->host, "docker.io") == 0 ?
	    REGAUTH_HUB_ADDRESS : e->host);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json != NULL) {
		rc = regauth_b64((const unsigned char *)json, strlen(json), 1, out, outlen) < 0 ?
		    -1 : 1;
		explicit_bzero(json, strlen(json));
		cJSON_free(json);
	}
	return rc;
}
