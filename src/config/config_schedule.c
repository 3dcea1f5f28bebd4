/* config_schedule.c: a [service]'s scheduled bounds, `schedule` and `timezone`: their
 * values and the checks across its windows (doc/scaling.md, "Scheduled bounds";
 * dockscale.conf(5)). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_int.h"

#define ZONEINFO "/usr/share/zoneinfo"

void
config_schedule_free(struct svc_schedule *sc)
{
	free(sc->w);
	sc->w = NULL;
	sc->n = 0;
}

/* The directory the C library reads zones from (tzset honours TZDIR too). */
static const char *
zone_dir(void)
{
	const char *d = getenv("TZDIR");

	return d != NULL && d[0] == '/' ? d : ZONEINFO;
}

/* NULL when name is a zone file the C library can read, else why not. */
static const char *
bad_zone(const char *name)
{
	char path[4096], magic[4];
	struct stat st;
	FILE *f;
	int n;
	size_t got;

	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
		return "not a zone name";
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-.", *p) == NULL)
			return "not a zone name";
	n = snprintf(path, sizeof path, "%s/%s", zone_dir(), name);
	if (n < 0 || (size_t)n >= sizeof path)
		return "not a zone name";
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return "no such zone";
	if ((f = fopen(path, "rb")) == NULL)
		return "its zone file cannot be read";
	got = fread(magic, 1, sizeof magic, f);
	fclose(f);
	/* Every compiled zone file begins so (RFC 8536). */
	return got == sizeof magic && memcmp(magic, "TZif", 4) == 0 ? NULL :
	    "not a compiled zone file";
}

bool
config_schedule_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	char err[200];

	if (kd->type == K_TZ) {
		const char *why;
		char *copy;

		if (*v != '\0' && strlen(v) > (size_t)kd->hi) {
			config_perr(ps, ps->line, "%s: %zu bytes long, at most %.0f", kd->name,
			    strlen(v), kd->hi);
			return false;
		}
		if (*v != '\0' && (why = bad_zone(v)) != NULL) {
			config_perr(ps, ps->line, "%s: '%s': %s in %s (an IANA name, e.g. "
			    "Europe/Berlin or UTC; empty: the host's local time)", kd->name, v, why,
			    zone_dir());
			return false;
		}
		if ((copy = strdup(v)) == NULL) {
			ps->oom = true;
			return false;
		}
		free(*(char **)p);
		*(char **)p = copy;
		return true;
	}
	struct svc_schedule *sc = p;
	struct sched_window w, *nw;

	if (sched_parse(v, &w, err, sizeof err) == -1) {
		config_perr(ps, ps->line, "%s: %s", kd->name, err);
		return false;
	}
	if (sc->n == SCHED_WINDOWS_MAX) {
		config_perr(ps, ps->line, "%s: more than %d windows", kd->name, SCHED_WINDOWS_MAX);
		return false;
	}
	w.line = ps->line;
	if ((nw = realloc(sc->w, (sc->n + 1) * sizeof(*nw))) == NULL) {
		ps->oom = true;
		return false;
	}
	sc->w = nw;
	sc->w[sc->n++] = w;
	return true;
}

/* Across the windows of the finished [service] s, each on its own line: no two share a
 * minute of the week, and each one's bounds with the service's make a range. A window
 * that gives only min= keeps the service's max_replicas: a min above it is an error,
 * not a silent raise of the max (doc/scaling.md, "Scheduled bounds"). */
void
config_schedule_check(struct pstate *ps, const struct svc_conf *s)
{
	const struct svc_schedule *sc = &s->schedule;

	for (size_t i = 0; i < sc->n; i++) {
		const struct sched_window *w = &sc->w[i];

		for (size_t j = 0; j < i; j++)
			if (sched_overlap(&sc->w[j], w))
				config_perr(ps, w->line, "service %s: schedule '%s' overlaps '%s' "
				    "(line %d): windows may not share a second", s->name, w->text,
				    sc->w[j].text, sc->w[j].line);
		if (w->max < 0 && w->min > s->dp.max_replicas)
			config_perr(ps, w->line, "service %s: schedule '%s': min=%d is above "
			    "max_replicas %d (give the window a max= too)", s->name, w->text,
			    w->min, s->dp.max_replicas);
		if (w->min < 0 && w->max >= 0 && w->max < s->dp.min_replicas)
			config_perr(ps, w->line, "service %s: schedule '%s': max=%d is below "
			    "min_replicas %d (give the window a min= too)", s->name, w->text,
			    w->max, s->dp.min_replicas);
	}
}
