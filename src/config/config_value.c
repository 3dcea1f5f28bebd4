/* config_value.c: configuration value parsers: durations, sizes, booleans, argv, strv,
 * programs, image references and metric lists (config.h declares them: other modules
 * parse a duration or check an image reference the same way). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"

/* Longest duration accepted anywhere: 366 days, so that now + duration never overflows. */
#define DURATION_MAX_MS (366LL * 24 * 3600 * 1000)
/* Fraction digits kept (more are ignored): keeps frac * multiplier inside 64 bits. */
#define FRAC_DIGITS_MAX 6

struct decimal {
	uint64_t whole;
	uint64_t frac;  /* frac / scale is the fractional part */
	uint64_t scale; /* 1 when there is no '.' */
};

/* DIGITS [ '.' DIGITS ]: no sign, no exponent, no spaces. Returns the end or NULL. */
static const char *
parse_decimal(const char *p, struct decimal *d)
{
	d->whole = 0;
	d->frac = 0;
	d->scale = 1;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t dig = (uint64_t)(*p - '0');
		if (d->whole > (UINT64_MAX - dig) / 10)
			return NULL;
		d->whole = d->whole * 10 + dig;
	}
	if (*p != '.')
		return p;
	p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (int n = 0; isdigit((unsigned char)*p); p++, n++) {
		if (n < FRAC_DIGITS_MAX) {
			d->frac = d->frac * 10 + (uint64_t)(*p - '0');
			d->scale *= 10;
		}
	}
	return p;
}

/* d * mult, the fraction rounded to nearest (round) or truncated; -1 above max. */
static int
decimal_scale(const struct decimal *d, uint64_t mult, uint64_t max, int round, int64_t *out)
{
	if (d->whole > max / mult)
		return -1;
	uint64_t v = d->whole * mult;
	uint64_t f = d->frac * mult; /* frac < 10^6 and mult < 2^41: no overflow */
	f = round ? (f + d->scale / 2) / d->scale : f / d->scale;
	if (v > max - f)
		return -1;
	*out = (int64_t)(v + f);
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* Durations: "500ms", "15s", "2m", "1h" (suffix case-insensitive), a bare number is
 * seconds. Decimals are allowed ("1.5s", "0.25h") and rounded to the nearest
 * millisecond. Negative, empty, signed, spaced or longer than 366 days: -1. */
int
config_parse_duration(const char *s, int64_t *ms)
{
	static const struct unit units[] = {
	    {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
	};
	struct decimal d;
	const char *end = s ? parse_decimal(s, &d) : NULL;
	if (!end)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) == 0)
			return decimal_scale(&d, units[i].mult, (uint64_t)DURATION_MAX_MS, 1,
			                     ms);
	}
	return -1;
}

/* Sizes: bytes, or K/M/G/T (powers of 1024, case-insensitive, optionally followed by
 * "B" or "iB": "512M", "512MB", "512MiB"). A fraction ("1.5G") needs a suffix and is
 * truncated to whole bytes. -1 on garbage or above INT64_MAX. */
int
config_parse_size(const char *s, int64_t *bytes)
{
	static const char letters[] = "KMGT";
	struct decimal d;
	const char *end = s ? parse_decimal(s, &d) : NULL;
	if (!end)
		return -1;
	uint64_t mult = 1;
	if (*end && *end != 'b' && *end != 'B') {
		const char *l = strchr(letters, toupper((unsigned char)*end));
		if (!l)
			return -1;
		mult = (uint64_t)1 << (10 * (l - letters + 1));
		end++;
		if (*end == 'i' || *end == 'I') {
			end++;
			if (*end != 'b' && *end != 'B')
				return -1;
		}
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	if (mult == 1 && d.scale != 1)
		return -1; /* fractional bytes */
	return decimal_scale(&d, mult, (uint64_t)INT64_MAX, 0, bytes);
}

/* true/false, yes/no, on/off, 1/0, case-insensitive. */
int
config_parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

void
strv_free(struct strv *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* Append a copy of s; v stays NULL-terminated. -1 (errno ENOMEM) on allocation failure. */
int
strv_push(struct strv *sv, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return -1;
	char **v = realloc(sv->v, (sv->n + 2) * sizeof(*v));
	if (!v) {
		free(copy);
		return -1;
	}
	v[sv->n++] = copy;
	v[sv->n] = NULL;
	sv->v = v;
	return 0;
}

/* Whitespace separates words; "..." groups (it may sit inside a word: a"b c"d is one
 * word "ab cd"; "" is an empty word); inside quotes a backslash takes the next
 * character literally (\" and \\), outside quotes a backslash is an ordinary character.
 * No other shell syntax. On error *out is empty and errno is EINVAL (unterminated
 * quote) or ENOMEM. An empty or blank string gives n == 0 (v may be NULL). */
int
config_split_argv(const char *s, struct strv *out)
{
	struct strv sv = {NULL, 0};
	char *word = malloc(strlen(s) + 1);
	const char *p = s;

	out->v = NULL;
	out->n = 0;
	if (!word)
		return -1;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t n = 0;
		int quoted = 0;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"') {
				quoted = !quoted;
				p++;
				continue;
			}
			if (quoted && *p == '\\') {
				p++;
				if (!*p)
					break;
			}
			word[n++] = *p++;
		}
		if (quoted) {
			errno = EINVAL;
			goto fail;
		}
		word[n] = '\0';
		if (strv_push(&sv, word) < 0)
			goto fail;
	}
	free(word);
	*out = sv;
	return 0;
fail : {
	int e = errno;
	free(word);
	strv_free(&sv);
	errno = e;
	return -1;
}
}

/* Names that end up in nginx files, container names and URLs: letters, digits and
 * the few characters in extra, nothing else (no injection by syntax). */
bool
config_valid_chars(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

char *
config_find_program(const char *prog, const char *path)
{
	char buf[PATH_MAX];
	int err = ENOENT;

	if (path == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path; *p != '\0';) {
		size_t dl = strcspn(p, ":");
		int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)dl, p, prog);

		/* An empty or relative entry would depend on the daemon's cwd. */
		if (dl > 0 && p[0] == '/' && n > 0 && (size_t)n < sizeof(buf)) {
			if (access(buf, X_OK) == 0) {
				char *abs = strdup(buf);
				if (abs == NULL)
					errno = ENOMEM;
				return abs;
			}
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
		}
		p += dl + (p[dl] == ':');
	}
	errno = err;
	return NULL;
}

/* s[0..n) is alnum runs joined by single '.' or '_', "__", or runs of '-'. */
static bool
path_component_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t run = 0;
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
			return false;
		while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
			i++;
		if (i == n)
			return true;
		while (i + run < n && strchr("._-", s[i + run]) != NULL)
			run++;
		bool dashes = strspn(s + i, "-") >= run;
		if (!(run == 1 || (run == 2 && s[i] == '_' && s[i + 1] == '_') || dashes))
			return false;
		i += run;
		if (i == n)
			return false; /* ends in a separator */
	}
	return n > 0;
}

bool
config_valid_image(const char *ref)
{
	const char *at = strchr(ref, '@'), *end = at ? at : ref + strlen(ref);
	const char *colon = NULL, *p;

	if (at != NULL) {
		/* algorithm:hex, e.g. sha256:<64 hex> */
		const char *c = strchr(at + 1, ':');
		if (c == NULL || c == at + 1 || !isalpha((unsigned char)at[1]) ||
		    strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		                   "-_+.") != (size_t)(c - at - 1) ||
		    strlen(c + 1) < 32 || strspn(c + 1, "0123456789abcdefABCDEF") != strlen(c + 1))
			return false;
	}
	for (p = ref; p < end; p++) {
		if (*p == '/')
			colon = NULL; /* a ':' before the last '/' is a registry port */
		else if (*p == ':')
			colon = p;
	}
	if (colon != NULL) {
		/* a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
		size_t tl = (size_t)(end - colon - 1);
		if (tl == 0 || tl > 128 || colon[1] == '.' || colon[1] == '-')
			return false;
		for (p = colon + 1; p < end; p++)
			if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
				return false;
		end = colon;
	}
	if (end == ref)
		return false;
	/* The first component is a registry host when more follow and it has '.' or ':'
	 * or is localhost: host names may have upper case and a port. */
	p = ref;
	const char *first = memchr(ref, '/', (size_t)(end - ref));
	if (first != NULL) {
		size_t hl = (size_t)(first - ref);
		bool host = memchr(ref, '.', hl) || memchr(ref, ':', hl) ||
		            (hl == 9 && strncmp(ref, "localhost", 9) == 0);
		if (host) {
			for (const char *h = ref; h < first; h++)
				if (!isalnum((unsigned char)*h) && strchr(".-:", *h) == NULL)
					return false;
			if (hl == 0)
				return false;
			p = first + 1;
		}
	}
	while (p < end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
		if (!path_component_ok(p, n))
			return false;
		p += n + (q != NULL);
		if (q != NULL && p == end)
			return false; /* trailing '/' */
	}
	return true;
}

/* indexed by enum metric_kind */
static const char *const metric_names[METRIC_KINDS] = { "docker_cpu", "docker_memory",
	"prometheus", "requests", "concurrency", "latency" };

const char *
config_metric_name(enum metric_kind k)
{
	return (unsigned)k < METRIC_KINDS ? metric_names[k] : "none";
}

int
config_parse_metrics(const char *s, unsigned *mask, char *err, size_t errlen)
{
	char word[32];
	unsigned m = 0;
	bool none = false;
	size_t n;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		n = strcspn(s, ", \t");
		if (n >= sizeof word) {
			(void)snprintf(err, errlen, "'%.*s...' is not a metric", 24, s);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		if (strcmp(word, "none") == 0) {
			none = true;
			continue;
		}
		size_t k = 0;
		while (k < METRIC_KINDS && strcmp(word, metric_names[k]) != 0)
			k++;
		if (k == METRIC_KINDS) {
			(void)snprintf(err, errlen, "'%s' is not one of docker_cpu, docker_memory, "
			               "prometheus, requests, concurrency, latency, none", word);
			return -1;
		}
		if (m & METRIC_BIT(k)) {
			(void)snprintf(err, errlen, "%s is listed twice", word);
			return -1;
		}
		m |= METRIC_BIT(k);
	}
	if (none && m != 0) {
		(void)snprintf(err, errlen, "none cannot be combined with other metrics");
		return -1;
	}
	if (!none && m == 0) {
		(void)snprintf(err, errlen, "no metric given (none: alerts only)");
		return -1;
	}
	*mask = m;
	return 0;
}
