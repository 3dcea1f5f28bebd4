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

/* The columns of `show stat` read, found by the header's names: management.txt 9.1 keeps
 * these (static fields) in place, but columns past its "-" may come and go in any version,
 * and a name read survives a column inserted anywhere. */
enum stat_col {
	SC_PXNAME, SC_SVNAME, SC_TYPE, SC_ADDR, SC_QCUR, SC_SCUR, SC_STOT, SC_REQ_TOT,
	SC_HRSP_OTHER, SC_HRSP_1XX, SC_HRSP_2XX, SC_HRSP_3XX, SC_HRSP_4XX, SC_HRSP_5XX,
	SC_RTIME, SC_N
};

static const char *const stat_cols[SC_N] = {
	"pxname", "svname", "type", "addr", "qcur", "scur", "stot", "req_tot", "hrsp_other",
	"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "rtime",
};

#define STAT_TYPE_SERVER 2      /* the type column of a server row */
#define STAT_FIELD_MAX (HAPROXY_NAME_MAX + 1) /* a field read; longer is "too long" */

struct stat_ctx {
	const char *backend;
	signed char col[HAPROXY_STAT_COLS_MAX]; /* header column -> enum stat_col; -1 unread */
	size_t ncols;
	char f[SC_N][STAT_FIELD_MAX + 1];       /* the row's fields read */
	bool cut[SC_N];                         /* ... and those longer than that */
	size_t rows;                            /* rows seen, the header excluded */
	struct haproxy_stat *v;
	size_t n, cap;
};

/* Read one CSV field of line[*i, len) into buf (NUL-terminated; *cut when longer than
 * buflen - 1, the rest skipped), undoing the quotes HAProxy puts around a field holding a
 * comma or a quote ("a,""b""" is a,"b"); *i ends past the field's comma. 1: another field
 * follows (a line ending in a comma ends with an empty field), 0: the line ended, -1: bad
 * quoting. */
static int
csv_field(const char *line, size_t len, size_t *i, char *buf, size_t buflen, bool *cut)
{
	bool quoted = *i < len && line[*i] == '"';
	size_t o = 0;

	*cut = false;
	if (quoted)
		(*i)++;
	for (;;) {
		char ch;

		if (*i >= len) {
			if (quoted)
				return -1; /* no closing quote */
			break;
		}
		ch = line[*i];
		if (!quoted && ch == ',')
			break;
		if (!quoted && ch == '"')
			return -1; /* a quote in an unquoted field */
		if (quoted && ch == '"') {
			if (*i + 1 < len && line[*i + 1] == '"') {
				(*i)++;
			} else {
				(*i)++;
				if (*i < len && line[*i] != ',')
					return -1; /* text after the closing quote */
				break;
			}
		}
		if (o + 1 < buflen)
			buf[o++] = ch;
		else
			*cut = true;
		(*i)++;
	}
	buf[o] = '\0';
	if (*i < len) {
		(*i)++; /* the comma */
		return 1;
	}
	return 0;
}

/* "# pxname,svname,...": where each column read is. */
static int
stat_header(struct stat_ctx *c, const char *line, size_t len, char *why, size_t whylen)
{
	size_t i = 2; /* "# " */
	bool found[SC_N] = { false };
	int more = 1;

	memset(c->col, -1, sizeof(c->col));
	while (more == 1) {
		char name[32];
		bool cut;

		if (c->ncols == HAPROXY_STAT_COLS_MAX) {
			snprintf(why, whylen, "more than %d columns", HAPROXY_STAT_COLS_MAX);
			return -1;
		}
		if ((more = csv_field(line, len, &i, name, sizeof(name), &cut)) == -1) {
			snprintf(why, whylen, "bad quoting in the header");
			return -1;
		}
		for (int k = 0; k < SC_N && !cut; k++) {
			if (!found[k] && strcmp(name, stat_cols[k]) == 0) {
				found[k] = true;
				c->col[c->ncols] = (signed char)k;
			}
		}
		c->ncols++;
	}
	for (int k = 0; k < SC_N; k++) {
		if (!found[k]) {
			snprintf(why, whylen, "no column %s in the header", stat_cols[k]);
			return -1;
		}
	}
	return 0;
}

/* A counter: digits only, at most INT64_MAX; empty = unknown (-1). */
static int
stat_number(const char *s, bool cut, int64_t *v)
{
	int64_t x = 0;

	*v = -1;
	if (cut)
		return -1;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || x > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return 0;
}

static int
stat_row(struct stat_ctx *c, const char *line, size_t len, char *why, size_t whylen)
{
	struct haproxy_stat s = { .name = "" };
	int64_t type;
	int64_t *const num[SC_N] = {
		[SC_TYPE] = &type, [SC_QCUR] = &s.qcur, [SC_SCUR] = &s.scur, [SC_STOT] = &s.stot,
		[SC_REQ_TOT] = &s.req_tot, [SC_HRSP_OTHER] = &s.hrsp[0], [SC_HRSP_1XX] = &s.hrsp[1],
		[SC_HRSP_2XX] = &s.hrsp[2], [SC_HRSP_3XX] = &s.hrsp[3], [SC_HRSP_4XX] = &s.hrsp[4],
		[SC_HRSP_5XX] = &s.hrsp[5], [SC_RTIME] = &s.rtime,
	};
	char skip[STAT_FIELD_MAX + 1] = ""; /* an unread column, overwritten */
	size_t i = 0, nf = 0;
	int more = 1;

	if (++c->rows > HAPROXY_STAT_ROWS_MAX) {
		snprintf(why, whylen, "more than %d rows", HAPROXY_STAT_ROWS_MAX);
		return -1;
	}
	memset(c->f, 0, sizeof(c->f));
	memset(c->cut, 0, sizeof(c->cut));
	while (more == 1) {
		int k = nf < c->ncols ? c->col[nf] : -1;
		bool cut;

		more = csv_field(line, len, &i, k >= 0 ? c->f[k] : skip, sizeof(skip), &cut);
		if (more == -1) {
			snprintf(why, whylen, "row %zu: bad quoting", c->rows);
			return -1;
		}
		if (k >= 0)
			c->cut[k] = cut;
		nf++;
	}
	/* fewer: a cut row; more: a comma where the header has none */
	if (nf != c->ncols) {
		snprintf(why, whylen, "row %zu: %zu fields, the header has %zu", c->rows, nf,
		    c->ncols);
		return -1;
	}
	for (int k = 0; k < SC_N; k++) {
		if (num[k] != NULL && stat_number(c->f[k], c->cut[k], num[k]) == -1) {
			snprintf(why, whylen, "row %zu: %s is not a number", c->rows, stat_cols[k]);
			return -1;
		}
	}
	/* another proxy's, a frontend or backend line, a name or address we do not handle */
	if (type != STAT_TYPE_SERVER || strcmp(c->f[SC_PXNAME], c->backend) != 0 ||
	    c->cut[SC_PXNAME] || c->cut[SC_SVNAME] || c->cut[SC_ADDR] ||
	    strlen(c->f[SC_SVNAME]) > HAPROXY_NAME_MAX || strlen(c->f[SC_ADDR]) > HAPROXY_ADDR_MAX)
		return 0;
	memcpy(s.name, c->f[SC_SVNAME], strlen(c->f[SC_SVNAME]) + 1);
	memcpy(s.addr, c->f[SC_ADDR], strlen(c->f[SC_ADDR]) + 1);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct haproxy_stat *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = s;
	return 0;
}

int
haproxy_parse_stat(const char *text, size_t len, const char *backend,
    struct haproxy_stat **out, size_t *n, char *why, size_t whylen)
{
	struct stat_ctx *c = calloc(1, sizeof(*c));
	size_t pos = 0;
	bool header = true;
	int r = -1;

	*out = NULL;
	*n = 0;
	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	c->backend = backend;
	/* an error is a line of text ("No such proxy."), the answer a header line */
	if (len < 2 || text[0] != '#' || text[1] != ' ') {
		first_line(text, len, why, whylen);
		goto out;
	}
	/* the CLI ends every answer with an empty line: without it, the answer was cut */
	if (text[len - 1] != '\n' || text[len - 2] != '\n') {
		snprintf(why, whylen, "truncated answer (no empty line at its end)");
		goto out;
	}
	for (;;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll;

		if (nl == NULL) { /* not so: the text ends with a newline */
			snprintf(why, whylen, "truncated answer");
			goto out;
		}
		ll = (size_t)(nl - line);
		if (ll == 0) {
			/* the end: nothing may follow it */
			if (pos + 1 != len) {
				snprintf(why, whylen, "text after the answer's empty line");
				goto out;
			}
			break;
		}
		if (header ? stat_header(c, line, ll, why, whylen) == -1
		           : stat_row(c, line, ll, why, whylen) == -1)
			goto out;
		header = false;
		pos += ll + 1;
	}
	*out = c->v;
	*n = c->n;
	c->v = NULL;
	r = 0;
out:
	free(c->v);
	free(c);
	return r;
}
