/* haproxy_parse.c: pure parsers for the answers of HAProxy's runtime API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy.h"

#define FIELDS_MAX 32

/* The first line of text, for an error message. */
static void
first_line(const char *text, size_t len, char *why, size_t whylen)
{
	size_t n = 0;

	while (n < len && text[n] != '\n' && text[n] != '\r')
		n++;
	if (n == 0) {
		snprintf(why, whylen, "empty answer");
		return;
	}
	snprintf(why, whylen, "%.*s", (int)(n > 200 ? 200 : n), text);
}

/* Split one line (at most len bytes, no newline) into NUL-terminated fields in buf. */
static size_t
split(const char *line, size_t len, char *buf, size_t buflen, char **f, size_t max)
{
	size_t nf = 0, i = 0, o = 0;

	if (len >= buflen)
		return 0;
	while (i < len && nf < max) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len)
			break;
		f[nf++] = buf + o;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			buf[o++] = line[i++];
		buf[o++] = '\0';
	}
	return nf;
}

/* Call fn for each line of text after the first skip lines that is neither empty nor a
 * comment. */
typedef int (*line_fn)(void *ctx, char **f, size_t nf);

static int
each_line(const char *text, size_t len, size_t skip, line_fn fn, void *ctx)
{
	char buf[1024], *f[FIELDS_MAX];
	size_t pos = 0, lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos;

		pos += ll + 1;
		if (lineno++ < skip || ll == 0 || line[0] == '#')
			continue;
		size_t nf = split(line, ll, buf, sizeof(buf), f, FIELDS_MAX);
		if (nf > 0 && fn(ctx, f, nf) == -1)
			return -1;
	}
	return 0;
}

struct state_ctx {
	const char *backend;
	struct haproxy_server *v;
	size_t n, cap;
	bool bad;
};

/* be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port (19th) */
static int
state_line(void *arg, char **f, size_t nf)
{
	struct state_ctx *c = arg;
	struct haproxy_server *s;
	int r;

	if (nf < 19) {
		c->bad = true;
		return -1;
	}
	if (strcmp(f[1], c->backend) != 0 || strlen(f[3]) > HAPROXY_NAME_MAX)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct haproxy_server *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	s = &c->v[c->n];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, f[3], strlen(f[3]) + 1);
	r = strchr(f[4], ':') != NULL ? snprintf(s->addr, sizeof(s->addr), "[%s]:%s", f[4], f[18])
	                              : snprintf(s->addr, sizeof(s->addr), "%s:%s", f[4], f[18]);
	if (r < 0 || (size_t)r >= sizeof(s->addr))
		return 0;
	s->op_state = (int)strtol(f[5], NULL, 10);
	s->admin = (unsigned)strtoul(f[6], NULL, 10);
	s->cur_conns = -1;
	c->n++;
	return 0;
}

int
haproxy_parse_state(const char *text, size_t len, const char *backend,
    struct haproxy_server **out, size_t *n, char *why, size_t whylen)
{
	struct state_ctx c = { .backend = backend };

	*out = NULL;
	*n = 0;
	/* format version 1, then "# be_id be_name ..." */
	if (len < 2 || text[0] != '1' || text[1] != '\n') {
		first_line(text, len, why, whylen);
		return -1;
	}
	if (each_line(text, len, 1, state_line, &c) == -1) {
		snprintf(why, whylen, c.bad ? "unexpected `show servers state` line"
		                            : "out of memory");
		free(c.v);
		return -1;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

struct conn_ctx {
	const char *backend;
	size_t blen;
	struct haproxy_server *srv;
	size_t n;
};

/* bkname/svname bkid/svid addr port - purge_delay used_cur ... */
static int
conn_line(void *arg, char **f, size_t nf)
{
	struct conn_ctx *c = arg;
	char *end;
	long used;

	if (nf < 7 || strncmp(f[0], c->backend, c->blen) != 0 || f[0][c->blen] != '/')
		return 0;
	used = strtol(f[6], &end, 10);
	if (*end != '\0' || used < 0)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->srv[i].name, f[0] + c->blen + 1) == 0)
			c->srv[i].cur_conns = used;
	return 0;
}

int
haproxy_parse_conn(const char *text, size_t len, const char *backend,
    struct haproxy_server *srv, size_t n, char *why, size_t whylen)
{
	struct conn_ctx c = { .backend = backend, .blen = strlen(backend), .srv = srv, .n = n };

	if (len < 2 || text[0] != '#') {
		first_line(text, len, why, whylen);
		return -1;
	}
	return each_line(text, len, 1, conn_line, &c);
}

bool
haproxy_reply_ok(const char *text, size_t len, char *why, size_t whylen)
{
	static const char *const ok[] = { "New server registered.", "Server deleted." };
	size_t skip = 0;

	while (skip < len && (text[skip] == '\n' || text[skip] == '\r' || text[skip] == ' '))
		skip++;
	if (skip == len)
		return true;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (len - skip >= strlen(ok[i]) && memcmp(text + skip, ok[i], strlen(ok[i])) == 0)
			return true;
	first_line(text + skip, len - skip, why, whylen);
	return false;
}
