/* schedule_calc.c: scheduled bounds' windows, parsed and placed in time; pure (the zone
 * comes in as a callback), so tests/unit/test_schedule_calc.c can table it (doc/scaling.md,
 * "Scheduled bounds"). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schedule_calc.h"

#define WEEK_S (7 * SCHED_DAY_S)
#define DAY_S SCHED_DAY_S

static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
day_of(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "Mon-Fri", "Sat,Sun", "Fri-Mon" (through Sunday), "daily". */
static int
parse_days(const char *tok, unsigned *days, char *err, size_t len)
{
	const char *p = tok;

	*days = 0;
	if (strcasecmp(tok, "daily") == 0) {
		*days = 0x7f;
		return 0;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		const char *dash = memchr(p, '-', n);
		int a, b;

		if (dash != NULL) {
			a = day_of(p, (size_t)(dash - p));
			b = day_of(dash + 1, n - (size_t)(dash - p) - 1);
		} else {
			a = b = day_of(p, n);
		}
		if (a < 0 || b < 0)
			return fail(err, len, "'%.*s' is not a day or a range of days (Mon, Tue, Wed, "
			    "Thu, Fri, Sat, Sun, e.g. Mon-Fri or Sat,Sun, or daily)", (int)n, p);
		for (int d = a;; d = (d + 1) % 7) {
			*days |= 1u << d;
			if (d == b)
				break;
		}
		p += n;
		if (*p == ',' && *++p == '\0')
			return fail(err, len, "'%s': a day list ends with a comma", tok);
	}
	return *days != 0 ? 0 : fail(err, len, "no day given");
}

static int
two(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) ?
	    (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/* "HH:MM" or "HH:MM:SS": seconds after midnight; 24:00 only where allow24. */
static int
parse_hm(const char *s, size_t n, bool allow24)
{
	int h, m, sec = 0;

	if ((n != 5 && n != 8) || s[2] != ':' || (h = two(s)) < 0 || (m = two(s + 3)) < 0)
		return -1;
	if (n == 8 && (s[5] != ':' || (sec = two(s + 6)) < 0))
		return -1;
	if (sec > 59 || m > 59 || h > 24 || (h == 24 && (m != 0 || sec != 0 || !allow24)))
		return -1;
	return h * 3600 + m * 60 + sec;
}

static int
parse_count(const char *v, int lo, const char *k, int *out, char *err, size_t len)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)v[0]))
		return fail(err, len, "%s=%s: not a whole number", k, v);
	n = strtol(v, &end, 10);
	if (*end != '\0')
		return fail(err, len, "%s=%s: not a whole number", k, v);
	if (n < lo || n > SCHED_REPLICAS_MAX)
		return fail(err, len, "%s=%s: out of range [%d, %d]%s", k, v, lo, SCHED_REPLICAS_MAX,
		    n > SCHED_REPLICAS_MAX ? " (the bound on max_replicas)" : "");
	*out = (int)n;
	return 0;
}

int
sched_parse(const char *v, struct sched_window *w, char *err, size_t errlen)
{
	char buf[256], *tok[6], *save = NULL;
	size_t nt = 0, used = 0;
	const char *dash;
	int n;

	memset(w, 0, sizeof(*w));
	w->min = w->max = -1;
	n = snprintf(buf, sizeof buf, "%s", v);
	if (n < 0 || (size_t)n >= sizeof buf)
		return fail(err, errlen, "longer than %zu bytes", sizeof buf - 1);
	for (char *t = strtok_r(buf, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (nt == sizeof(tok) / sizeof(tok[0]))
			return fail(err, errlen, "'%s': more words than DAYS HH:MM-HH:MM min=N max=M",
			    t);
		tok[nt++] = t;
	}
	if (nt < 3)
		return fail(err, errlen, "'%s' is not DAYS HH:MM-HH:MM [min=N] [max=M] (e.g. "
		    "Mon-Fri 08:00-19:00 min=4 max=10), with min= or max= or both", v);
	if (parse_days(tok[0], &w->days, err, errlen) == -1)
		return -1;
	dash = strchr(tok[1], '-');
	if (dash == NULL || (w->start = parse_hm(tok[1], (size_t)(dash - tok[1]), false)) < 0 ||
	    (w->end = parse_hm(dash + 1, strlen(dash + 1), true)) < 0)
		return fail(err, errlen, "'%s' is not a time range HH:MM-HH:MM (00:00 to 23:59, "
		    "seconds optional: HH:MM:SS; the end may be 24:00)", tok[1]);
	if (w->start == w->end)
		return fail(err, errlen, "'%s': starts where it ends (a whole day is "
		    "00:00-24:00)", tok[1]);
	for (size_t i = 2; i < nt; i++) {
		int *dst = strncmp(tok[i], "min=", 4) == 0 ? &w->min :
		    strncmp(tok[i], "max=", 4) == 0 ? &w->max : NULL;

		if (dst == NULL)
			return fail(err, errlen, "'%s': expected min=N or max=M", tok[i]);
		if (*dst != -1)
			return fail(err, errlen, "'%s': %.3s= given twice", tok[i], tok[i]);
		if (parse_count(tok[i] + 4, dst == &w->min ? 0 : 1, dst == &w->min ? "min" : "max",
		    dst, err, errlen) == -1)
			return -1;
	}
	if (w->min >= 0 && w->max >= 0 && w->min > w->max)
		return fail(err, errlen, "min=%d is above max=%d", w->min, w->max);
	for (size_t i = 0; i < nt; i++) {
		n = snprintf(w->text + used, sizeof w->text - used, "%s%s", i ? " " : "", tok[i]);
		if (n < 0 || (size_t)n >= sizeof w->text - used)
			return fail(err, errlen, "longer than %d bytes written out",
			    SCHED_TEXT_MAX - 1);
		used += (size_t)n;
	}
	return 0;
}

/* The seconds of the week of the window starting on day d: [s, e), e may pass the
 * week's end (Sunday into Monday). */
static void
span(const struct sched_window *w, int d, int *s, int *e)
{
	*s = d * SCHED_DAY_S + w->start;
	*e = d * SCHED_DAY_S + w->end + (w->end <= w->start ? SCHED_DAY_S : 0);
}

bool
sched_overlap(const struct sched_window *a, const struct sched_window *b)
{
	for (int i = 0; i < 7; i++) {
		int as, ae;

		if (!(a->days & (1u << i)))
			continue;
		span(a, i, &as, &ae);
		for (int j = 0; j < 7; j++) {
			int bs, be;

			if (!(b->days & (1u << j)))
				continue;
			span(b, j, &bs, &be);
			/* the week is a circle: compare b a week earlier and later too */
			for (int k = -1; k <= 1; k++)
				if (as < be + k * WEEK_S && bs + k * WEEK_S < ae)
					return true;
		}
	}
	return false;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t
sched_boundary(int64_t local, sched_offset_fn off, void *arg)
{
	/* At most one change of offset within a day either side (true of every zone). */
	long oa = off(local - DAY_S, arg), ob = off(local + DAY_S, arg);
	int64_t ta = local - oa, tb = local - ob, lo, hi;
	bool va, vb;

	if (oa == ob)
		return ta;
	va = off(ta, arg) == oa;
	vb = off(tb, arg) == ob;
	if (va && vb) /* the time happens twice (the clock goes back): its first */
		return ta < tb ? ta : tb;
	if (va || vb)
		return va ? ta : tb;
	/* Skipped (the clock goes forward over it): the change's instant, the first whose
	 * local time is past it. The change lies in (tb, ta]. */
	lo = tb;
	hi = ta;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (off(mid, arg) == oa)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

void
sched_at(const struct sched_window *w, size_t n, int64_t t, sched_offset_fn off, void *arg,
    struct sched_now *out)
{
	int64_t today = floor_div(t + off(t, arg), DAY_S), end = 0, first = 0;
	int first_i = -1;

	out->active = -1;
	out->since = 0;
	/* The windows that start from two days back (one crossing midnight may still run) to
	 * eight ahead (each recurs within a week). */
	for (int64_t d = today - 2; d <= today + 8; d++) {
		int wday = (int)(((d + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */

		for (size_t i = 0; i < n; i++) {
			int64_t s, e;

			if (!(w[i].days & (1u << wday)))
				continue;
			s = sched_boundary(d * DAY_S + w[i].start, off, arg);
			e = sched_boundary((d + (w[i].end <= w[i].start ? 1 : 0)) * DAY_S + w[i].end,
			    off, arg);
			if (s <= t && t < e && out->active < 0) {
				out->active = (int)i;
				out->since = s;
				end = e;
			}
			if (s > t && (first_i < 0 || s < first)) {
				first = s;
				first_i = (int)i;
			}
		}
	}
	if (out->active >= 0) {
		/* Its end; a window that begins right then (side by side) begins with it. */
		out->next = end;
		out->next_window = first_i >= 0 && first == end ? first_i : -1;
	} else {
		out->next = first_i >= 0 ? first : 0;
		out->next_window = first_i;
	}
}
