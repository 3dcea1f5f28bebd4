/* config_notify.c: the [notify] section: where notifications go, which events, in what
 * body, and how hard to try (doc/notifications.md). */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

#define NOTIFY_URL_MAX 2048 /* a Slack or Mattermost hook is far shorter */
#define NOTIFY_QUEUE_MAX 100000
#define NOTIFY_RETRIES_MAX 20
#define NOTIFY_TIMEOUT_MAX_MS 300000.0
/* doc/notifications.md, "Which events": what an operator acts on, not each replica step. */
#define NOTIFY_EVENTS_DEFAULT "decision, rollout, wake, sleep, reload, failed_start, " \
	"balancer_failure"

/* clang-format off */
#define N(f) (offsetof(struct config, notify) + offsetof(struct notify_conf, f))
static const struct keydef notify_keys[] = {
	{ "url", N(urls), 0, NOTIFY_URL_MAX, K_NURL, F_REPEAT },
	{ "events", N(sel), 0, 0, K_NEVENTS, 0 },
	{ "format", N(format), 0, 0, K_NFORMAT, 0 },
	{ "token_file", N(token_file), 0, PATH_MAX - 1, K_NTOKEN, 0 },
	{ "timeout", N(timeout_ms), 0, NOTIFY_TIMEOUT_MAX_MS, K_DUR, F_OPEN_LO },
	{ "queue", N(queue), 1, NOTIFY_QUEUE_MAX, K_INT, 0 },
	{ "retries", N(retries), 0, NOTIFY_RETRIES_MAX, K_INT, 0 },
};
/* clang-format on */
_Static_assert(NKEYS(notify_keys) <= KEYS_MAX, "KEYS_MAX too small");

const struct keydef *
config_notify_keys(size_t *n)
{
	*n = NKEYS(notify_keys);
	return notify_keys;
}

int
config_notify_defaults(struct notify_conf *n)
{
	char err[256];

	memset(n, 0, sizeof(*n));
	n->format = NOTIFY_JSON;
	n->timeout_ms = 5000;
	n->queue = 1000;
	n->retries = 3;
	n->token_file = strdup("");
	if (n->token_file == NULL ||
	    notify_select_parse(NOTIFY_EVENTS_DEFAULT, &n->sel, err, sizeof(err)) == -1)
		return -1;
	return 0;
}

void
config_notify_free(struct notify_conf *n)
{
	strv_free(&n->urls);
	free(n->token_file);
	if (n->token != NULL) {
		explicit_bzero(n->token, strlen(n->token));
		free(n->token);
	}
	memset(n, 0, sizeof(*n));
}

/* http:// or https://, a host, no space or control character. The URL is never
 * rewritten (a hook's path may end in '/'), never logged (a Slack hook's path is its
 * secret). */
static bool
url_ok(struct pstate *ps, const struct keydef *kd, const char *v)
{
	size_t pre = strncasecmp(v, "http://", 7) == 0 ? 7 :
	    strncasecmp(v, "https://", 8) == 0 ? 8 : 0;

	if (pre == 0) {
		config_perr(ps, ps->line, "%s: not an http:// or https:// URL", kd->name);
		return false;
	}
	if (v[pre] == '\0' || v[pre] == '/' || v[pre] == '?' || v[pre] == '#') {
		config_perr(ps, ps->line, "%s: the URL has no host", kd->name);
		return false;
	}
	for (const char *c = v; *c != '\0'; c++) {
		if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c)) {
			config_perr(ps, ps->line, "%s: a space or control character in the URL "
			    "(percent-encode it)", kd->name);
			return false;
		}
	}
	if (strlen(v) > (size_t)kd->hi) {
		config_perr(ps, ps->line, "%s: %zu bytes long, at most %.0f", kd->name,
		    strlen(v), kd->hi);
		return false;
	}
	return true;
}

bool
config_notify_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	char err[320];

	switch (kd->type) {
	case K_NURL: {
		struct strv *sv = p;

		if (!url_ok(ps, kd, v))
			return false;
		for (size_t i = 0; i < sv->n; i++) {
			if (strcmp(sv->v[i], v) == 0) {
				config_perr(ps, ps->line, "%s: the same URL twice", kd->name);
				return false;
			}
		}
		ps->oom |= strv_push(sv, v) < 0;
		return !ps->oom;
	}
	case K_NEVENTS:
		if (notify_select_parse(v, p, err, sizeof(err)) == 0)
			return true;
		config_perr(ps, ps->line, "%s: %s", kd->name, err);
		return false;
	case K_NFORMAT:
		if (strcmp(v, "json") == 0 || strcmp(v, "slack") == 0) {
			*(enum notify_format *)p = v[0] == 's' ? NOTIFY_SLACK : NOTIFY_JSON;
			return true;
		}
		config_perr(ps, ps->line, "%s: '%s' is not one of json, slack", kd->name, v);
		return false;
	case K_NTOKEN: {
		char **dst = p, *copy;

		if (*v != '\0' && v[0] != '/') {
			config_perr(ps, ps->line, "%s: '%s' is not an absolute path", kd->name, v);
			return false;
		}
		if (strlen(v) > (size_t)kd->hi) {
			config_perr(ps, ps->line, "%s: path longer than %.0f bytes", kd->name,
			    kd->hi);
			return false;
		}
		if (*v != '\0' && !config_read_token(ps, v, &ps->cfg->notify.token))
			return false;
		if ((copy = strdup(v)) == NULL) {
			ps->oom = true;
			return false;
		}
		free(*dst);
		*dst = copy;
		return true;
	}
	default:
		return false;
	}
}

/* Does key i of notify_keys hold other than its default? */
static bool
not_default(const struct notify_conf *n, const struct notify_conf *def, size_t i)
{
	switch (notify_keys[i].type) {
	case K_NEVENTS:
		return n->sel.types != def->sel.types || n->sel.failures != def->sel.failures;
	case K_NFORMAT:
		return n->format != def->format;
	case K_NTOKEN:
		return n->token_file != NULL && n->token_file[0] != '\0';
	case K_DUR:
		return n->timeout_ms != def->timeout_ms;
	default: /* queue, retries */
		return *(const int *)((const char *)n + notify_keys[i].off -
		    offsetof(struct config, notify)) != *(const int *)((const char *)def +
		    notify_keys[i].off - offsetof(struct config, notify));
	}
}

/* Called when [notify] ends: ps->seen holds its keys' lines. Without a url nothing is
 * sent, so every other key set to other than its default is a warning (issue 25, "Keys
 * that do nothing"; written out at its default, as the example file does, it says
 * nothing either way: doc/configuration.md, "Keys that do nothing"). */
void
config_notify_check(struct pstate *ps, const struct config *cfg)
{
	struct notify_conf def;

	if (cfg->notify.urls.n > 0 || ps->seen[0] < 0)
		return; /* urls, or a bad one already reported */
	if (config_notify_defaults(&def) == -1) {
		ps->oom = true;
		return;
	}
	for (size_t i = 1; i < NKEYS(notify_keys); i++)
		if (ps->seen[i] > 0 && not_default(&cfg->notify, &def, i))
			config_pwarn(ps, ps->seen[i], "[notify] %s has no effect without url: "
			    "nothing is sent", notify_keys[i].name);
	config_notify_free(&def);
}
