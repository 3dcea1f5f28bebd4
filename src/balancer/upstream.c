/* upstream.c: one service's nginx upstream: render the file, replace it, test, reload, confirm;
 * nginx on this host (commands, /proc) or in a container (the Engine API). */
#include "upstream.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "nginx.h"
#include "proc.h"

#define CONFIRM_POLL_MS 5 /* how often to look for the master's new workers in /proc */
/* ... in a container's process list: each look is an Engine call that runs ps */
#define CONFIRM_POLL_CTR_MS 50

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
	bool confirm;          /* the reload is confirmed (a master to watch) */
	pid_t master;          /* the master and its children before the reload */
	pid_t old[NGINX_WORKERS_MAX];
	int nold;
	bool blind;            /* /proc does not show the master's workers */
	int64_t reload_ms, confirm_deadline;
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
	struct loop_timer confirm; /* polls for the master's new workers after a reload */
	struct proc *proc;
	char *last_path;        /* the file the previous sync wrote: removed if the path moves */
	bool blind_said;        /* "cannot see nginx's workers" was logged */
	struct docker *docker;  /* for nginx in a container */
	struct nginx_ctr *ctr;  /* nginx in a container: its calls (made at first use) */
};

/* How nginx is tested, reloaded and watched taking a reload (doc/balancers.md, "nginx in
 * a container"): each op ends in on_test_done, on_reload_done, confirm_seen. */
struct nginx_way {
	void (*test)(struct upstream *u, struct job *j);
	/* takes who serves now, then reloads; sets j->confirm and j->blind */
	void (*reload)(struct upstream *u, struct job *j);
	void (*confirm)(struct upstream *u, struct job *j);
	const char *blind; /* why the workers may not be seen, for the log */
	int64_t poll_ms;   /* between two looks at the workers after a reload */
};
static const struct nginx_way host_way, ctr_way;

static const struct nginx_way *
way(const struct job *j)
{
	return j->container != NULL ? &ctr_way : &host_way;
}

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
free_argv(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static char **
copy_argv(const char *const *argv)
{
	size_t n = 0;
	char **v;

	while (argv != NULL && argv[n] != NULL)
		n++;
	if (n == 0 || (v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((v[i] = strdup(argv[i])) == NULL) {
			free_argv(v);
			return NULL;
		}
	return v;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free_argv(j->test);
	free_argv(j->reload);
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

static bool
cmd_ok(const struct proc_result *res)
{
	return res->exited && res->code == 0 && !res->timed_out;
}

/* The log turns the output's newlines into spaces: one journal entry per failure. */
static void
log_failure(struct upstream *u, const char *what, char *const *argv,
    const struct proc_result *res)
{
	const struct job *j = u->cur;
	size_t n = strlen(res->output);

	while (n > 0 && strchr(" \t\r\n", res->output[n - 1]) != NULL)
		n--;
	log_err("service %s: %s (%s%s) %s %d%s%s%.*s", u->service, what,
	    j->container != NULL ? "in container " : argv[0],
	    j->container != NULL ? j->container : "",
	    res->exited ? "exited" : "killed by signal", res->code,
	    res->timed_out ? " (timed out)" : "", n > 0 ? ": " : "", (int)n, res->output);
}

/* proc_run failing to start at all is reported like a command that failed. */
static void
run(struct upstream *u, char **argv, proc_cb done)
{
	static const struct proc_result nostart = {
		.exited = 1, .code = 127, .spawn_failed = 1, .output = "could not start",
	};

	u->proc = proc_run(u->l, argv, u->cur->timeout_ms, done, u);
	if (u->proc == NULL)
		done(u, &nostart);
}

/* Without the workers in view, a reload is only trusted after the whole timeout: the
 * drain clock must not start while old workers may still take requests. */
static void
say_blind(struct upstream *u, const struct job *j)
{
	if (u->blind_said)
		return;
	u->blind_said = true;
	log_warning("service %s: %s; each reload counts as applied only %lldms (nginx timeout) "
	    "after it", u->service, way(j)->blind, (long long)j->timeout_ms);
}

/* nginx runs the job's file: its servers are the ones serving (struct lb_stats.serving)
 * only from now, not from the signal, which the master may not have taken yet. */
static void
applied(struct upstream *u)
{
	u->size = u->cur->nservers;
	finish(u, true);
}

static void
on_reload_done(void *arg, const struct proc_result *res)
{
	struct upstream *u = arg;
	struct job *j = u->cur;

	u->proc = NULL;
	u->need_reload = !cmd_ok(res);
	if (u->need_reload) {
		/* The file passed the test, so it stays; the next sync retries the reload. */
		u->st.reloads_failed++;
		log_failure(u, "nginx reload", j->reload, res);
		finish(u, false);
		return;
	}
	u->st.reloads_ok++;
	log_info("service %s: %s holds %zu server(s), nginx reloaded", u->service, j->path,
	    j->nservers);
	/* `nginx -s reload` returns once the signal is sent. Replicas taken out may only
	 * drain once the master runs the new file: new workers started and the old ones
	 * told to stop (which comes about 100 ms later). */
	if (j->confirm) {
		j->confirm_deadline = loop_now(u->l) + j->timeout_ms;
		if (j->blind)
			say_blind(u, j);
		loop_timer_start(u->l, &u->confirm, j->blind ? j->timeout_ms : 0);
		return;
	}
	applied(u);
}

/* What the last look at nginx's workers said: 1 the reload landed, 0 not yet, -1 they
 * cannot be seen. */
static void
confirm_seen(struct upstream *u, int landed)
{
	struct job *j = u->cur;

	if (landed == 1) {
		log_debug("service %s: nginx runs the new upstream %lldms after the reload",
		    u->service, (long long)(loop_clock_ms() - j->reload_ms));
		applied(u);
		return;
	}
	if (landed == -1) {
		j->blind = true;
		say_blind(u, j);
	}
	if (loop_now(u->l) >= j->confirm_deadline) {
		if (!j->blind) {
			/* The master did not take the file (it may have failed to apply it):
			 * its old workers still route to the old upstream. */
			log_err("service %s: nginx started no new workers within %lldms of the "
			    "reload: it may still run the previous upstream", u->service,
			    (long long)j->timeout_ms);
			u->need_reload = true;
			finish(u, false);
			return;
		}
		log_info("service %s: nginx assumed to run the new upstream %lldms after the "
		    "reload (its workers are not visible)", u->service,
		    (long long)(loop_clock_ms() - j->reload_ms));
		applied(u);
		return;
	}
	loop_timer_start(u->l, &u->confirm, j->blind ? j->confirm_deadline - loop_now(u->l) :
	    way(j)->poll_ms);
}

static void
on_confirm(struct loop *l, struct loop_timer *t)
{
	struct upstream *u = t->arg;

	way(u->cur)->confirm(u, u->cur);
}

static void
host_confirm(struct upstream *u, struct job *j)
{
	pid_t now[NGINX_WORKERS_MAX];
	pid_t master = nginx_master(j->pidfile);
	int n = !j->blind && master == j->master ? nginx_children(master, now,
	    NGINX_WORKERS_MAX) : -1;
	int retired = n > 0 && nginx_new_generation(j->old, (size_t)j->nold, now, (size_t)n) ?
	    nginx_old_retired(j->old, (size_t)j->nold) : 0;

	/* A new master (restarted) runs the new file too. */
	confirm_seen(u, master != j->master ? 1 : retired);
}

static void
host_reload(struct upstream *u, struct job *j)
{
	/* Who serves now, to recognise the workers the reload starts. */
	j->master = nginx_master(j->pidfile);
	j->confirm = j->master > 0;
	j->nold = j->master > 0 ? nginx_children(j->master, j->old, NGINX_WORKERS_MAX) : -1;
	/* A master with no worker we can see: /proc hides them, and their absence
	 * must not read as "retired". */
	j->blind = j->master > 0 && (j->nold <= 0 ||
	    nginx_old_retired(j->old, (size_t)j->nold) == -1);
	j->reload_ms = loop_clock_ms();
	run(u, j->reload, on_reload_done);
}

static void
on_test_done(void *arg, const struct proc_result *res)
{
	struct upstream *u = arg;
	struct job *j = u->cur;

	u->proc = NULL;
	if (cmd_ok(res)) {
		way(j)->reload(u, j);
		return;
	}
	u->st.tests_failed++;
	log_failure(u, "nginx config test", j->test, res);
	/* Never leave the rejected file: put back what was there, and a file that did not
	 * exist is removed (a placeholder would be a file nginx never had). */
	if (j->wrote && j->had_prev && upstream_write_file(j->path, j->prev, j->prevlen) == 0) {
		u->st.writes++;
		log_warning("service %s: restored %s", u->service, j->path);
	} else if (j->wrote && !j->had_prev) {
		if (unlink(j->path) == 0 || errno == ENOENT)
			log_warning("service %s: removed %s (it did not exist before)", u->service,
			    j->path);
		else
			log_err("service %s: removing rejected %s: %s", u->service, j->path,
			    strerror(errno));
	}
	finish(u, false);
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
	int r;

	u->started = true;
	if (u->last_path != NULL && strcmp(u->last_path, j->path) != 0 &&
	    remove_moved(u, u->last_path) == 0)
		u->need_reload = true; /* nginx must drop the old file's upstream */
	free(u->last_path);
	u->last_path = strdup(j->path); /* NULL (out of memory): the next move keeps it */
	r = upstream_read_file(j->path, &j->prev, &j->prevlen);
	j->had_prev = r == 1;
	if (r == 1 && j->prevlen == j->len && memcmp(j->prev, j->data, j->len) == 0) {
		if (!u->need_reload) {
			u->size = j->nservers;
			finish(u, true);
			return;
		}
		/* Same bytes, but the last reload failed: test and reload them again. */
	} else if (r == -1 || upstream_write_file(j->path, j->data, j->len) == -1) {
		finish(u, false);
		return;
	} else {
		u->st.writes++;
		j->wrote = true;
	}
	way(j)->test(u, j);
}

static void
host_test(struct upstream *u, struct job *j)
{
	run(u, j->test, on_test_done);
}

static const struct nginx_way host_way = {
	.test = host_test,
	.reload = host_reload,
	.confirm = host_confirm,
	.blind = "/proc shows nginx's master but not its workers (hidden by "
	    "ProtectProc=invisible or hidepid, workers of another user?)",
	.poll_ms = CONFIRM_POLL_MS,
};

/* ---- nginx in a container (doc/balancers.md, "nginx in a container") ---------------- */

/* The engine call could not be sent: like a command that could not start. */
static void
ctr_not_sent(struct upstream *u, proc_cb done)
{
	static const struct proc_result nostart = {
		.exited = 1, .code = 127, .spawn_failed = 1,
		.output = "the Docker Engine call could not be made",
	};

	done(u, &nostart);
}

static bool
ctr_ready(struct upstream *u)
{
	if (u->ctr == NULL && u->docker != NULL)
		u->ctr = nginx_ctr_new(u->l, u->docker);
	return u->ctr != NULL;
}

static void
ctr_test(struct upstream *u, struct job *j)
{
	static char *const test[] = { "nginx", "-t", NULL };

	if (!ctr_ready(u) || nginx_ctr_test(u->ctr, j->container, test, j->timeout_ms,
	    on_test_done, u) == -1)
		ctr_not_sent(u, on_test_done);
}

static void
ctr_reloaded(void *arg, const struct proc_result *res)
{
	struct upstream *u = arg;

	u->cur->confirm = true;
	u->cur->blind = nginx_ctr_blind(u->ctr);
	on_reload_done(u, res);
}

static void
ctr_reload(struct upstream *u, struct job *j)
{
	j->reload_ms = loop_clock_ms();
	if (nginx_ctr_reload(u->ctr, j->container, ctr_reloaded, u) == -1)
		ctr_not_sent(u, on_reload_done);
}

static void
ctr_seen(void *arg, int landed)
{
	confirm_seen(arg, landed);
}

static void
ctr_confirm(struct upstream *u, struct job *j)
{
	if (nginx_ctr_landed(u->ctr, ctr_seen, u) == -1)
		confirm_seen(u, -1);
}

static const struct nginx_way ctr_way = {
	.test = ctr_test,
	.reload = ctr_reload,
	.confirm = ctr_confirm,
	.blind = "the Engine's process list of nginx's container shows no worker of it",
	.poll_ms = CONFIRM_POLL_CTR_MS,
};

struct upstream *
upstream_new(struct loop *l, struct docker *docker, const char *service, upstream_cb cb,
    void *arg)
{
	struct upstream *u = l && service ? calloc(1, sizeof(*u)) : NULL;

	if (u == NULL || (u->service = strdup(service)) == NULL) {
		log_err("upstream %s: bad argument or out of memory", service ? service : "");
		free(u);
		return NULL;
	}
	u->l = l;
	u->docker = docker;
	u->cb = cb;
	u->arg = arg;
	/* Whether nginx runs what the file holds is unknown at start (a daemon killed
	 * between write and reload): the first sync tests and reloads even unchanged bytes. */
	u->need_reload = true;
	loop_timer_init(&u->kick, on_kick, u);
	loop_timer_init(&u->confirm, on_confirm, u);
	return u;
}

void
upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	loop_timer_stop(u->l, &u->kick);
	loop_timer_stop(u->l, &u->confirm);
	proc_cancel(u->proc);
	nginx_ctr_free(u->ctr);
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
	j->test = copy_argv(t->test);
	j->reload = copy_argv(t->reload);
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
