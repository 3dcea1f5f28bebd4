/* upstream.c: one service's nginx upstream: render the file, replace it, have nginx apply it
 * (on this host or in a container: nginx_apply.c). */
#include "upstream.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "nginx_apply.h"
#include "upstream_batch.h"

#define UPSTREAM_TOKEN_MAX 255
/* The start of the file's first line: what marks a file as this daemon's. */
#define HEADER_FMT "# Written by dockscaled for service %s;"

/* One requested state of the file, with private copies of everything it needs: the
 * config it came from may be freed (SIGHUP) while it waits or runs. */
struct job {
	uint64_t gen;
	char *path;
	char **test, **reload;
	char *data;            /* the file to write */
	size_t len, nservers;
	int64_t timeout_ms;
	char *prev;            /* the bytes it replaced, for a restore */
	size_t prevlen;
	bool had_prev, wrote;
	char *pidfile;         /* nginx's pid file ("" = do not confirm reloads) */
	char *container;       /* nginx's container; NULL: nginx runs on this host */
};

struct upstream {
	struct loop *l;
	char *service;
	upstream_cb cb;
	void *arg;
	struct upstream_stats st;
	size_t size;
	uint64_t last_gen;
	/* A file passed the test but its reload failed: nginx may not run it yet, so the
	 * next sync reloads even when the bytes are unchanged. */
	bool need_reload;
	struct job *cur, *next; /* running (or about to start) and queued */
	bool started;           /* cur has begun: a new request must queue behind it */
	struct loop_timer kick; /* starts cur from the loop, never from upstream_sync */
	char *last_path;        /* the file the previous sync wrote: removed if the path moves */
	/* cur's write and apply, with every other service's due the same turn (one nginx
	 * test and reload for all: doc/balancers.md, "One reload for many services") */
	struct upstream_batch *batch;
	struct upstream_member member;
	struct docker *docker;  /* for nginx in a container */
};

#define MEMBER_OWNER(m) ((struct upstream *)(void *)((char *)(m) - \
	offsetof(struct upstream, member)))

/* Addresses and names go into nginx syntax: a short token of safe characters only
 * (ASCII letters, digits and those in extra). */
static bool
valid_token(const char *s, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > UPSTREAM_TOKEN_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The block plus, when service is set, the file's header line. nservers: unique count. */
static char *
render(const char *service, const char *name, const char *const *addrs, size_t n,
    size_t *len, size_t *nservers)
{
	const char **sorted = NULL;
	char *out = NULL;
	struct buf b;
	size_t uniq = 0;

	/* Everything lands in nginx's config: refuse anything that could inject syntax. */
	for (size_t i = 0; i < n && addrs != NULL; i++)
		if (addrs[i] == NULL || !valid_token(addrs[i], ".:[]_-")) {
			log_err("upstream: bad server address '%s'", addrs[i] ? addrs[i] : "(null)");
			return NULL;
		}
	if (name == NULL || !valid_token(name, "_.-") || (n > 0 && addrs == NULL)) {
		log_err("upstream: bad upstream name or address list");
		return NULL;
	}
	buf_init(&b);
	if (n > 0 && (sorted = malloc(n * sizeof(*sorted))) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		sorted[i] = addrs[i];
	if (n > 1)
		qsort(sorted, n, sizeof(*sorted), cmp_str);
	if (service != NULL)
		buf_printf(&b, HEADER_FMT " do not edit: it is rewritten whenever the healthy "
		    "replicas change.\n", service);
	buf_printf(&b, "upstream %s {\n", name);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) {
			buf_printf(&b, "    server %s;\n", sorted[i]);
			uniq++;
		}
	if (uniq == 0)
		buf_printf(&b, "    server " UPSTREAM_PLACEHOLDER ";\n");
	buf_printf(&b, "}\n");
	out = buf_steal(&b, len);
	if (nservers != NULL)
		*nservers = uniq;
out:
	if (out == NULL)
		log_err("upstream %s: out of memory", name);
	buf_free(&b);
	free(sorted);
	return out;
}

char *
upstream_render(const char *name, const char *const *addrs, size_t n, size_t *len)
{
	return render(NULL, name, addrs, n, len, NULL);
}


static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	nginx_argv_free(j->test);
	nginx_argv_free(j->reload);
	free(j->path);
	free(j->data);
	free(j->prev);
	free(j->pidfile);
	free(j->container);
	free(j);
}

/* Hand the result out last: the callback may queue another sync or free u. */
static void
finish(struct upstream *u, bool ok)
{
	uint64_t gen = u->cur->gen;

	job_free(u->cur);
	u->cur = u->next;
	u->next = NULL;
	u->started = false;
	if (u->cur != NULL && loop_timer_start(u->l, &u->kick, 0) == -1)
		log_err("service %s: upstream sync not started", u->service);
	if (u->cb != NULL)
		u->cb(u->arg, gen, ok);
}

/* The test refused the batch: put back what was there, and a file that did not exist is
 * removed (a placeholder would be a file nginx never had). */
static void
member_restore(struct upstream_member *m)
{
	struct upstream *u = MEMBER_OWNER(m);
	struct job *j = u->cur;

	if (!j->wrote)
		return;
	j->wrote = false;
	if (j->had_prev && upstream_write_file(j->path, j->prev, j->prevlen) == 0) {
		u->st.writes++;
		log_warning("service %s: restored %s", u->service, j->path);
	} else if (!j->had_prev) {
		if (unlink(j->path) == 0 || errno == ENOENT)
			log_warning("service %s: removed %s (it did not exist before)", u->service,
			    j->path);
		else
			log_err("service %s: removing rejected %s: %s", u->service, j->path,
			    strerror(errno));
	}
}

static void
member_verdict(struct upstream_member *m, enum upstream_verdict v)
{
	struct upstream *u = MEMBER_OWNER(m);
	struct job *j = u->cur;

	switch (v) {
	case UPSTREAM_APPLIED:
		u->st.reloads_ok++;
		u->need_reload = false;
		u->size = j->nservers;
		log_info("service %s: %s holds %zu server(s), nginx reloaded", u->service, j->path,
		    j->nservers);
		finish(u, true);
		return;
	case UPSTREAM_FAILED:
		/* The file passed the test, so it stays; the next sync retries the reload. */
		u->st.reloads_failed++;
		u->need_reload = true;
		break;
	case UPSTREAM_REJECTED:
		u->st.tests_failed++;
		break;
	}
	finish(u, false);
}

/* The file's previous bytes; 1 when they already are cur's. -1: unreadable (logged). */
static int
read_prev(struct job *j)
{
	int r;

	free(j->prev);
	j->prev = NULL;
	j->prevlen = 0;
	r = upstream_read_file(j->path, &j->prev, &j->prevlen);
	j->had_prev = r == 1;
	if (r == -1)
		return -1;
	return r == 1 && j->prevlen == j->len && memcmp(j->prev, j->data, j->len) == 0;
}

/* The batch starts: write the file (an apply is needed: 1), or finish without one (0). */
static int
member_prepare(struct upstream_member *m)
{
	struct upstream *u = MEMBER_OWNER(m);
	struct job *j = u->cur;
	int same = read_prev(j);

	if (same == 1 && !u->need_reload) {
		u->size = j->nservers;
		finish(u, true);
		return 0;
	}
	/* Same bytes after a failed reload: apply them again. */
	if (same == 1)
		return 1;
	if (same == -1 || upstream_write_file(j->path, j->data, j->len) == -1) {
		finish(u, false);
		return 0;
	}
	u->st.writes++;
	j->wrote = true;
	return 1;
}

/* upstream_file moved (reload): the file this daemon wrote at the old path would declare
 * the same upstream as the new one. Removed only while it still starts with our header;
 * 0 when it was removed. */
static int
remove_moved(struct upstream *u, const char *old)
{
	char hdr[CONFIG_NAME_MAX + 64], *data = NULL;
	size_t len = 0;
	int n = snprintf(hdr, sizeof(hdr), HEADER_FMT, u->service), ret = -1;

	if (n < 0 || (size_t)n >= sizeof(hdr) || upstream_read_file(old, &data, &len) != 1)
		goto out;
	if (len < (size_t)n || memcmp(data, hdr, (size_t)n) != 0) {
		log_warning("service %s: leaving %s (upstream_file before the reload): it no "
		    "longer starts with dockscaled's header", u->service, old);
		goto out;
	}
	if (unlink(old) == -1) {
		log_err("service %s: removing %s (upstream_file before the reload): %s",
		    u->service, old, strerror(errno));
		goto out;
	}
	log_notice("service %s: removed %s (upstream_file before the reload)", u->service, old);
	ret = 0;
out:
	free(data);
	return ret;
}

static void
on_kick(struct loop *l, struct loop_timer *t)
{
	struct upstream *u = t->arg;
	struct job *j = u->cur;
	int same;

	(void)l;
	u->started = true;
	if (u->last_path != NULL && strcmp(u->last_path, j->path) != 0 &&
	    remove_moved(u, u->last_path) == 0)
		u->need_reload = true; /* nginx must drop the old file's upstream */
	free(u->last_path);
	u->last_path = strdup(j->path); /* NULL (out of memory): the next move keeps it */
	/* An unchanged file that nginx runs waits for no other service's apply. */
	same = read_prev(j);
	if (same == 1 && !u->need_reload) {
		u->size = j->nservers;
		finish(u, true);
		return;
	}
	if (same == -1) {
		finish(u, false);
		return;
	}
	u->member.service = u->service;
	u->member.path = j->path;
	u->member.test = (const char *const *)j->test;
	u->member.reload = (const char *const *)j->reload;
	u->member.pid_file = j->pidfile;
	u->member.timeout_ms = j->timeout_ms;
	u->member.container = j->container;
	u->member.docker = u->docker;
	upstream_batch_join(u->batch, &u->member);
}

struct upstream *
upstream_new(struct loop *l, struct docker *docker, const char *service, upstream_cb cb,
    void *arg)
{
	struct upstream *u = l && service ? calloc(1, sizeof(*u)) : NULL;

	if (u == NULL || (u->service = strdup(service)) == NULL ||
	    (u->batch = upstream_batch_get(l)) == NULL) {
		log_err("upstream %s: bad argument or out of memory", service ? service : "");
		if (u != NULL)
			free(u->service);
		free(u);
		return NULL;
	}
	u->member.prepare = member_prepare;
	u->member.restore = member_restore;
	u->member.verdict = member_verdict;
	u->l = l;
	u->docker = docker;
	u->cb = cb;
	u->arg = arg;
	/* Whether nginx runs what the file holds is unknown at start (a daemon killed
	 * between write and reload): the first sync tests and reloads even unchanged bytes. */
	u->need_reload = true;
	loop_timer_init(&u->kick, on_kick, u);
	return u;
}

void
upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	loop_timer_stop(u->l, &u->kick);
	upstream_batch_leave(u->batch, &u->member);
	upstream_batch_put(u->batch);
	job_free(u->cur);
	job_free(u->next);
	free(u->last_path);
	free(u->service);
	free(u);
}

uint64_t
upstream_sync(struct upstream *u, const struct upstream_target *t, const char *const *addrs,
    size_t n)
{
	struct job *j = NULL;

	if (u == NULL || t == NULL || t->path == NULL || t->path[0] != '/' || t->name == NULL ||
	    t->test == NULL || t->test[0] == NULL || t->reload == NULL || t->reload[0] == NULL) {
		log_err("upstream_sync: bad argument");
		return 0;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto fail;
	j->timeout_ms = t->timeout_ms;
	j->data = render(u->service, t->name, addrs, n, &j->len, &j->nservers);
	j->path = strdup(t->path);
	j->test = nginx_argv_dup(t->test);
	j->reload = nginx_argv_dup(t->reload);
	j->pidfile = strdup(t->pid_file != NULL ? t->pid_file : "");
	if (t->container != NULL && t->container[0] != '\0' &&
	    (j->container = strdup(t->container)) == NULL)
		goto fail;
	if (!j->data || !j->path || !j->test || !j->reload || !j->pidfile)
		goto fail;
	if (u->cur == NULL) {
		if (loop_timer_start(u->l, &u->kick, 0) == -1)
			goto fail;
		u->cur = j;
	} else if (!u->started) {
		job_free(u->cur); /* not begun yet: the newer request simply takes its place */
		u->cur = j;
	} else {
		job_free(u->next);
		u->next = j;
	}
	return j->gen = ++u->last_gen;
fail:
	log_err("service %s: upstream sync not accepted", u->service);
	job_free(j);
	return 0;
}

bool
upstream_busy(const struct upstream *u)
{
	return u != NULL && (u->cur != NULL || u->next != NULL);
}

const struct upstream_stats *
upstream_get_stats(const struct upstream *u)
{
	return &u->st;
}

size_t
upstream_size(const struct upstream *u)
{
	return u->size;
}
