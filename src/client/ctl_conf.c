/* ctl_conf.c: where dockscalectl finds the daemon: flag > environment > the daemon's
 * config file ([daemon] listen, token_file) > the daemon's default listen address. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define CTL_CONFIG_DEFAULT "/etc/dockscale/dockscale.conf"
#define TOKEN_MAX 4096

struct conf_keys {
	char listen[256];
	char token_file[4096];
	bool have_listen, have_token;
	bool too_long;
};

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The daemon validates its file; here only the two keys matter, the rest is skipped. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct conf_keys *k = user;
	int r;

	if (strcmp(section, "daemon") != 0)
		return 1;
	if (strcmp(name, "listen") == 0) {
		r = snprintf(k->listen, sizeof(k->listen), "%s", value);
		k->have_listen = r >= 0 && (size_t)r < sizeof(k->listen);
		k->too_long |= !k->have_listen;
	} else if (strcmp(name, "token_file") == 0) {
		r = snprintf(k->token_file, sizeof(k->token_file), "%s", value);
		k->have_token = r >= 0 && (size_t)r < sizeof(k->token_file);
		k->too_long |= !k->have_token;
	}
	return 1;
}

/* HOST:PORT as the daemon's listen takes it -> http://HOST:PORT. A wildcard address is
 * reached on loopback. */
int
ctl_conf_listen_url(const char *listen, char *url, size_t len)
{
	const char *colon = strrchr(listen, ':');
	const char *host = listen;
	size_t hlen;
	int r;

	if (colon == NULL || colon == listen || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	hlen = (size_t)(colon - listen);
	if (hlen == 7 && strncmp(listen, "0.0.0.0", 7) == 0) {
		host = "127.0.0.1";
		hlen = 9;
	} else if (hlen == 4 && strncmp(listen, "[::]", 4) == 0) {
		host = "[::1]";
		hlen = 5;
	}
	r = snprintf(url, len, "http://%.*s%s", (int)hlen, host, colon);
	return r < 0 || (size_t)r >= len ? -1 : 0;
}

static int
set(char *dst, size_t len, const char *v, const char *what, char *err, size_t errlen)
{
	int r = snprintf(dst, len, "%s", v);

	if (r < 0 || (size_t)r >= len)
		return fail(err, errlen, "%s is too long", what);
	return 0;
}

static int
set_url(struct ctl_target *t, const char *v, const char *what, char *err, size_t errlen)
{
	size_t n;

	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		/* a bare HOST:PORT, as in the config file */
		if (ctl_conf_listen_url(v, t->url, sizeof(t->url)) < 0)
			return fail(err, errlen, "%s: '%s' is neither a URL nor HOST:PORT", what, v);
	} else if (set(t->url, sizeof(t->url), v, what, err, errlen) < 0) {
		return -1;
	}
	n = strlen(t->url);
	while (n > 0 && t->url[n - 1] == '/')
		t->url[--n] = '\0';
	return 0;
}

int
ctl_conf_resolve(const struct ctl_args *a, struct ctl_target *t, char *err, size_t errlen)
{
	const char *path = a->config != NULL ? a->config : CTL_CONFIG_DEFAULT;
	const char *env_url = getenv("DOCKSCALE_URL"), *env_tok = getenv("DOCKSCALE_TOKEN_FILE");
	struct conf_keys k = { .listen = CTL_DEFAULT_LISTEN };
	FILE *f = NULL;

	memset(t, 0, sizeof(*t));
	/* The config is read only when something is still missing, and a file the user did
	 * not name may be absent or unreadable (a non-root user on the host). */
	if ((a->url == NULL && (env_url == NULL || *env_url == '\0')) ||
	    (a->token_file == NULL && env_tok == NULL) || a->config != NULL) {
		f = fopen(path, "r");
		if (f == NULL && a->config != NULL)
			return fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (f != NULL) {
			(void)ini_parse_file(f, on_key, &k); /* the daemon reports its syntax errors */
			fclose(f);
		}
		if (k.too_long)
			return fail(err, errlen, "%s: [daemon] listen or token_file is too long", path);
	}
	if (a->url != NULL) {
		if (set_url(t, a->url, "-H", err, errlen) < 0)
			return -1;
	} else if (env_url != NULL && *env_url != '\0') {
		if (set_url(t, env_url, "DOCKSCALE_URL", err, errlen) < 0)
			return -1;
	} else if (set_url(t, k.listen, path, err, errlen) < 0) {
		return -1;
	}
	if (a->token_file != NULL)
		return set(t->token_file, sizeof(t->token_file), a->token_file, "--token-file", err,
		    errlen);
	if (env_tok != NULL)
		return set(t->token_file, sizeof(t->token_file), env_tok, "DOCKSCALE_TOKEN_FILE",
		    err, errlen);
	return set(t->token_file, sizeof(t->token_file), k.token_file, path, err, errlen);
}

/* Read like the daemon reads it: surrounding whitespace stripped, one word. */
int
ctl_conf_token(const struct ctl_target *t, char *tok, size_t len, char *err, size_t errlen)
{
	char buf[TOKEN_MAX + 2];
	size_t n, s = 0;
	FILE *f;

	if (t->token_file[0] == '\0')
		return 0;
	f = fopen(t->token_file, "r");
	if (f == NULL)
		return fail(err, errlen, "cannot read token file %s: %s", t->token_file,
		    strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
		buf[--n] = '\0';
	while (buf[s] != '\0' && strchr(" \t\r\n", buf[s]) != NULL)
		s++;
	if (buf[s] == '\0' || n - s >= len || strpbrk(buf + s, " \t\r\n") != NULL)
		return fail(err, errlen, "token file %s: not one token of at most %zu bytes",
		    t->token_file, len - 1);
	memcpy(tok, buf + s, n - s + 1);
	explicit_bzero(buf, sizeof(buf));
	return 1;
}
