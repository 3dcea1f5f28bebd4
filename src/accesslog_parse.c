/* accesslog_parse.c: one datagram of nginx's access log (conf/nginx-dockscale-log.conf)
 * to a struct accesslog_line, strictly. Pure. */
#include <string.h>

#include "accesslog.h"

/* A span of the datagram. */
struct span {
	const char *p;
	size_t n;
};

/* The datagram being read: p[i..n). */
struct cur {
	const char *p;
	size_t n, i;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A byte of a host or upstream name. */
static bool
is_name(char c)
{
	return is_alnum(c) || c == '.' || c == '-' || c == '_';
}

/* A byte of a syslog tag. */
static bool
is_tag(char c)
{
	return is_alnum(c) || c == '_';
}

static int
lit(struct cur *c, const char *s)
{
	size_t k = strlen(s);

	if (c->n - c->i < k || memcmp(c->p + c->i, s, k) != 0)
		return -1;
	c->i += k;
	return 0;
}

/* The length of the run of bytes f accepts at the cursor, counted up to max + 1 (so that
 * more than max shows). */
static size_t
run(struct cur *c, bool (*f)(char), size_t max)
{
	size_t k = 0;

	while (c->i + k < c->n && k <= max && f(c->p[c->i + k]))
		k++;
	return k;
}

/* "Mmm dd hh:mm:ss " as ngx_syslog_add_header writes it (the day space padded). */
static int
timestamp(struct cur *c)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *t = c->p + c->i;
	bool month = false;

	if (c->n - c->i < 16)
		return -1;
	for (size_t m = 0; m < 12 && !month; m++)
		month = memcmp(t, months + 3 * m, 3) == 0;
	if (!month || t[3] != ' ' || t[6] != ' ' || t[9] != ':' || t[12] != ':' || t[15] != ' ')
		return -1;
	if (!((t[4] == ' ' && t[5] >= '1' && t[5] <= '9') ||
	        (t[4] >= '1' && t[4] <= '3' && is_digit(t[5]))))
		return -1;
	if (!is_digit(t[7]) || !is_digit(t[8]) || (t[7] - '0') * 10 + (t[8] - '0') > 23 ||
	    t[10] < '0' || t[10] > '5' || !is_digit(t[11]) || t[13] < '0' || t[13] > '6' ||
	    !is_digit(t[14]))
		return -1;
	c->i += 16;
	return 0;
}

/* The syslog header: "<PRI>" (0..191, no leading zero), the timestamp, an optional
 * "HOSTNAME " (without nohostname), "TAG: " (nginx allows 1 to 32 letters, digits and
 * '_'). */
static int
header(struct cur *c)
{
	const char *d;
	unsigned pri = 0;
	size_t k;

	if (lit(c, "<") == -1)
		return -1;
	d = c->p + c->i;
	k = run(c, is_digit, 3);
	if (k == 0 || k > 3 || (k > 1 && d[0] == '0'))
		return -1;
	for (size_t j = 0; j < k; j++)
		pri = pri * 10 + (unsigned)(d[j] - '0');
	c->i += k;
	if (pri > 191 || lit(c, ">") == -1 || timestamp(c) == -1)
		return -1;
	k = run(c, is_name, 255);
	if (k == 0 || k > 255)
		return -1;
	if (c->n - c->i - k >= 2 && memcmp(c->p + c->i + k, ": ", 2) == 0 && k <= 32 &&
	    run(c, is_tag, 32) == k) {
		c->i += k + 2;
		return 0;
	}
	c->i += k; /* the hostname */
	if (lit(c, " ") == -1)
		return -1;
	k = run(c, is_tag, 32);
	if (k == 0 || k > 32)
		return -1;
	c->i += k;
	return lit(c, ": ");
}

/* Three digits, 100..599 ($status, and each $upstream_status but "-"). */
static int
status(const char *p, size_t n, int *out)
{
	if (n != 3 || p[0] < '1' || p[0] > '5' || !is_digit(p[1]) || !is_digit(p[2]))
		return -1;
	*out = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return 0;
}

/* Seconds as nginx writes every time ("%T.%03M"): digits without a leading zero, '.',
 * three digits; at most ACCESSLOG_TIME_MAX_S. Read as an integer of ms, so nothing but
 * a finite, non-negative value can come out. */
static int
seconds(const char *p, size_t n, double *out)
{
	unsigned long ms = 0;
	size_t k = 0;

	while (k < n && is_digit(p[k]) && k < 6)
		ms = ms * 10 + (unsigned long)(p[k++] - '0');
	if (k == 0 || (k > 1 && p[0] == '0') || n != k + 4 || p[k] != '.' || !is_digit(p[k + 1]) ||
	    !is_digit(p[k + 2]) || !is_digit(p[k + 3]))
		return -1;
	ms = ms * 1000 + (unsigned long)((p[k + 1] - '0') * 100 + (p[k + 2] - '0') * 10 +
	                                 (p[k + 3] - '0'));
	if (ms > (unsigned long)ACCESSLOG_TIME_MAX_S * 1000)
		return -1;
	*out = (double)ms / 1000.0;
	return 0;
}

static int
hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The escape at p (n bytes, p[0] == '\\') as ngx_escape_json writes one: \" \\ \n \r \t
 * \b \f or \u00XX with XX a control character but NUL (nginx refuses NUL in a request
 * line and in a field). Its length, the byte it stands for in *b; 0 if it is none. */
static size_t
escape(const char *p, size_t n, char *b)
{
	static const char named[] = "\"\"\\\\n\nr\rt\tb\bf\f";
	int h, l;

	if (n < 2)
		return 0;
	for (size_t j = 0; j + 1 < sizeof(named); j += 2) {
		if (p[1] == named[j]) {
			*b = named[j + 1];
			return 2;
		}
	}
	if (p[1] != 'u' || n < 6 || p[2] != '0' || p[3] != '0' || (h = hexval(p[4])) < 0 ||
	    h > 1 || (l = hexval(p[5])) < 0 || (h == 0 && l == 0))
		return 0;
	*b = (char)(h * 16 + l);
	return 6;
}

/* A quoted field at the cursor: '"', bytes escape=json leaves (none below 0x20) or its
 * escapes, '"'. The bytes between the quotes, still escaped. */
static int
quoted(struct cur *c, struct span *s)
{
	size_t j;
	char b;

	if (lit(c, "\"") == -1)
		return -1;
	for (j = c->i; j < c->n && c->p[j] != '"'; j++) {
		unsigned char u = (unsigned char)c->p[j];
		size_t e;

		if (u < 0x20)
			return -1;
		if (u == '\\') {
			if ((e = escape(c->p + j, c->n - j, &b)) == 0)
				return -1;
			j += e - 1;
		}
	}
	if (j == c->n)
		return -1;
	s->p = c->p + c->i;
	s->n = j - c->i;
	c->i = j + 1;
	return 0;
}

/* The end of a cut UTF-8 text of n bytes: before a last sequence the cut left
 * incomplete (its lead byte says it needs more bytes than are there). */
static size_t
utf8_whole(const char *s, size_t n)
{
	size_t k = n, need;
	unsigned char lead;

	while (k > 0 && n - k < 3 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0)
		return n;
	lead = (unsigned char)s[k - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return n - (k - 1) < need ? k - 1 : n;
}

/* A quoted field's bytes (checked by quoted()) unescaped into dst (cap bytes, NUL
 * terminated), cut to fit. */
static void
unescape(struct span s, char *dst, size_t cap, bool *cut)
{
	size_t o = 0;

	*cut = false;
	for (size_t j = 0; j < s.n; j++) {
		char b = s.p[j];

		if (b == '\\') {
			size_t e = escape(s.p + j, s.n - j, &b);

			if (e == 0)
				break; /* quoted() let none through */
			j += e - 1;
		}
		if (o + 1 == cap) {
			*cut = true;
			break;
		}
		dst[o++] = b;
	}
	if (*cut)
		o = utf8_whole(dst, o);
	dst[o] = '\0';
}

static bool
is_ipv6(char c)
{
	/* hex digits, ':' '.' and a zone ("%eth0") */
	return is_alnum(c) || c == ':' || c == '.' || c == '%' || c == '_' || c == '-';
}

static bool
is_path(char c)
{
	/* printable ASCII but the list's separators and what escape=json would change */
	return c > ' ' && c < 0x7f && c != ',' && c != '"' && c != '\\';
}

/* ":PORT" ending the address: 1..65535, no leading zero. */
static int
port(const char *p, size_t n)
{
	unsigned v = 0;

	if (n < 2 || n > 6 || p[0] != ':' || p[1] == '0')
		return -1;
	for (size_t j = 1; j < n; j++) {
		if (!is_digit(p[j]))
			return -1;
		v = v * 10 + (unsigned)(p[j] - '0');
	}
	return v <= 65535 ? 0 : -1;
}

/* One element of $upstream_addr: what ngx_sock_ntop writes for a server, the name a
 * server line gave, or the upstream's own name when none of its servers was live. */
static int
addr(struct span s, struct accesslog_try *t)
{
	size_t k = 0;

	if (s.n == 0 || s.n >= sizeof(t->addr))
		return -1;
	t->no_live = false;
	if (s.n > 5 && memcmp(s.p, "unix:", 5) == 0) {
		for (k = 5; k < s.n && is_path(s.p[k]); k++)
			;
		if (k != s.n)
			return -1;
	} else if (s.p[0] == '[') {
		for (k = 1; k < s.n && is_ipv6(s.p[k]); k++)
			;
		if (k == 1 || k == s.n || s.p[k] != ']' || port(s.p + k + 1, s.n - k - 1) == -1)
			return -1;
	} else {
		while (k < s.n && is_name(s.p[k]))
			k++;
		if (k == 0)
			return -1;
		if (k == s.n)
			t->no_live = true;
		else if (port(s.p + k, s.n - k) == -1)
			return -1;
	}
	memcpy(t->addr, s.p, s.n);
	t->addr[s.n] = '\0';
	return 0;
}

/* The next element of a list and what follows it: 0 end, 1 ", " (the next server), 2
 * " : " (an internal redirect), -1 anything else. The cursor moves past both. */
static int
element(struct cur *c, struct span *e)
{
	size_t j = c->i;

	while (j < c->n && c->p[j] != ',' && c->p[j] != ' ')
		j++;
	e->p = c->p + c->i;
	e->n = j - c->i;
	c->i = j;
	if (j == c->n)
		return 0;
	if (lit(c, ", ") == 0)
		return 1;
	return lit(c, " : ") == 0 ? 2 : -1;
}

/* The three lists of upstream attempts, in step: nginx writes an element of each per
 * attempt and the same separators between them, so any difference is a bad line. */
static int
tries(struct accesslog_line *out, struct span a, struct span s, struct span t)
{
	struct cur ca = { a.p, a.n, 0 }, cs = { s.p, s.n, 0 }, ct = { t.p, t.n, 0 };
	struct accesslog_try scratch = { 0 }; /* the tries past ACCESSLOG_TRIES_MAX, checked */
	bool redirected = false;

	if (a.n == 0 && s.n == 0 && t.n == 0)
		return 0; /* no upstream: nginx answered by itself */
	for (;;) {
		struct accesslog_try *tr = out->ntries < ACCESSLOG_TRIES_MAX ?
		    &out->tries[out->ntries] : &scratch;
		struct span ea, es, et;
		int sa = element(&ca, &ea), ss = element(&cs, &es), st = element(&ct, &et);

		if (sa == -1 || sa != ss || sa != st || addr(ea, tr) == -1)
			return -1;
		if (es.n == 1 && es.p[0] == '-')
			tr->status = 0;
		else if (status(es.p, es.n, &tr->status) == -1)
			return -1;
		if (et.n == 1 && et.p[0] == '-')
			tr->upstream_s = -1;
		else if (seconds(et.p, et.n, &tr->upstream_s) == -1)
			return -1;
		tr->redirected = redirected;
		if (tr != &scratch)
			out->ntries++;
		out->tries_total++;
		if (sa == 0)
			return 0;
		redirected = sa == 2;
	}
}

int
accesslog_parse(const char *msg, size_t len, struct accesslog_line *out)
{
	struct cur c = { msg, len, 0 };
	struct span st, rt, ua, us, ut, uri, agent;

	memset(out, 0, sizeof(*out));
	if (msg == NULL || header(&c) == -1 || lit(&c, "dockscale1 ") == -1)
		return -1;
	st.p = c.p + c.i;
	st.n = run(&c, is_digit, 3);
	c.i += st.n;
	if (status(st.p, st.n, &out->status) == -1 || lit(&c, " ") == -1)
		return -1;
	rt.p = c.p + c.i;
	while (c.i < c.n && c.p[c.i] != ' ')
		c.i++;
	rt.n = (size_t)(c.p + c.i - rt.p);
	if (seconds(rt.p, rt.n, &out->request_s) == -1 || lit(&c, " ") == -1 ||
	    quoted(&c, &ua) == -1 || lit(&c, " ") == -1 || quoted(&c, &us) == -1 ||
	    lit(&c, " ") == -1 || quoted(&c, &ut) == -1 || lit(&c, " ") == -1 ||
	    quoted(&c, &uri) == -1 || lit(&c, " ") == -1 || quoted(&c, &agent) == -1 ||
	    c.i != c.n)
		return -1;
	if (tries(out, ua, us, ut) == -1)
		return -1;
	unescape(uri, out->uri, sizeof(out->uri), &out->uri_cut);
	unescape(agent, out->agent, sizeof(out->agent), &out->agent_cut);
	return 0;
}
