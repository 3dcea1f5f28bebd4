/* nginx_apply.c: one application of nginx's configuration: test, reload, confirm the new workers;
 * nginx on this host (commands, /proc) or in a container (the Engine API: nginx_ctr.c). */
#include "nginx_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nginx.h"
#include "proc.h"

#define CONFIRM_POLL_MS 5 /* how often to look for the master's new workers in /proc */
/* ... in a container's process list: each look is an Engine call that runs ps */
#define CONFIRM_POLL_CTR_MS 50

enum phase { PH_START, PH_TEST, PH_RELOAD, PH_CONFIRM };

struct nginx_apply {
	struct loop *l;
	char **test, **reload;
	char *pidfile;         /* "" = do not confirm reloads */
	char *who;
	char *container;         /* nginx's container; NULL: nginx runs on this host */
	struct docker *docker;
	struct nginx_ctr *ctr;   /* the container's Engine calls (made at the test) */
	int64_t timeout_ms;
	bool *blind_said;
	nginx_apply_cb cb;
	void *arg;
	enum phase phase;
	struct proc *proc;
	struct loop_timer timer; /* the start (from the loop), then the confirm polls */
	pid_t master;            /* the master and its children before the reload */
	pid_t old[NGINX_WORKERS_MAX];
	int nold;
	bool blind;              /* /proc does not show the master's workers */
	bool confirm;            /* the reload is confirmed (a master to watch) */
	int64_t reload_ms, confirm_deadline;
};

/* How nginx is tested, reloaded and watched taking a reload (doc/balancers.md, "nginx in
 * a container"): each op ends in on_test_done, on_reload_done, confirm_seen. */
struct nginx_way {
	void (*test)(struct nginx_apply *a);
	/* takes who serves now, then reloads; sets a->confirm and a->blind */
	void (*reload)(struct nginx_apply *a);
	void (*confirm)(struct nginx_apply *a);
	const char *blind; /* why the workers may not be seen, for the log */
	int64_t poll_ms;   /* between two looks at the workers after a reload */
};
static const struct nginx_way host_way, ctr_way;
static void on_test_done(void *arg, const struct proc_result *res);

static const struct nginx_way *
way(const struct nginx_apply *a)
{
	return a->container != NULL ? &ctr_way : &host_way;
}

void
nginx_argv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

char **
nginx_argv_dup(const char *const *argv)
{
	size_t n = 0;
	char **v;

	while (argv != NULL && argv[n] != NULL)
		n++;
	if (n == 0 || (v = calloc(n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((v[i] = strdup(argv[i])) == NULL) {
			nginx_argv_free(v);
			return NULL;
		}
	return v;
}

static void
apply_free(struct nginx_apply *a)
{
	loop_timer_stop(a->l, &a->timer);
	proc_cancel(a->proc);
	nginx_ctr_free(a->ctr);
	nginx_argv_free(a->test);
	nginx_argv_free(a->reload);
	free(a->pidfile);
	free(a->who);
	free(a->container);
	free(a);
}

/* The result goes out last, and the apply with it. */
static void
finish(struct nginx_apply *a, enum nginx_apply_result res, const char *output)
{
	nginx_apply_cb cb = a->cb;
	void *arg = a->arg;

	a->proc = NULL;
	cb(arg, res, output != NULL ? output : "");
	apply_free(a);
}

static bool
cmd_ok(const struct proc_result *res)
{
	return res->exited && res->code == 0 && !res->timed_out;
}

/* The log turns the output's newlines into spaces: one journal entry per failure. */
static void
log_failure(const struct nginx_apply *a, const char *what, char *const *argv,
    const struct proc_result *res)
{
	size_t n = strlen(res->output);

	while (n > 0 && strchr(" \t\r\n", res->output[n - 1]) != NULL)
		n--;
	log_err("%s: %s (%s%s) %s %d%s%s%.*s", a->who, what,
	    a->container != NULL ? "in container " : argv[0],
	    a->container != NULL ? a->container : "", res->exited ? "exited" : "killed by signal", res->code,
	    res->timed_out ? " (timed out)" : "", n > 0 ? ": " : "", (int)n, res->output);
}

/* proc_run failing to start at all is reported like a command that failed. */
static void
run(struct nginx_apply *a, char **argv, proc_cb done)
{
	static const struct proc_result nostart = {
		.exited = 1, .code = 127, .spawn_failed = 1, .output = "could not start",
	};

	a->proc = proc_run(a->l, argv, a->timeout_ms, done, a);
	if (a->proc == NULL)
		done(a, &nostart);
}

/* Without the workers in view, a reload is only trusted after the whole timeout: the
 * drain clock must not start while old workers may still take requests. */
static void
say_blind(struct nginx_apply *a)
{
	if (*a->blind_said)
		return;
	*a->blind_said = true;
	log_warning("%s: %s; each reload counts as applied only %lldms (nginx timeout) after "
	    "it", a->who, way(a)->blind, (long long)a->timeout_ms);
}

static void
on_reload_done(void *arg, const struct proc_result *res)
{
	struct nginx_apply *a = arg;

	a->proc = NULL;
	if (!cmd_ok(res)) {
		/* The files passed the test, so they stay; the caller retries the reload. */
		log_failure(a, "nginx reload", a->reload, res);
		finish(a, NGINX_RELOAD_FAILED, NULL);
		return;
	}
	/* `nginx -s reload` returns once the signal is sent. Replicas taken out may only
	 * drain once the master runs the new files: new workers started and the old ones
	 * told to stop (which comes about 100 ms later). */
	if (a->confirm) {
		a->phase = PH_CONFIRM;
		a->confirm_deadline = loop_now(a->l) + a->timeout_ms;
		if (a->blind)
			say_blind(a);
		loop_timer_start(a->l, &a->timer, a->blind ? a->timeout_ms : 0);
		return;
	}
	finish(a, NGINX_APPLIED, NULL);
}

/* What the last look at nginx's workers said: 1 the reload landed, 0 not yet, -1 they
 * cannot be seen. */
static void
confirm_seen(struct nginx_apply *a, int landed)
{
	if (landed == 1) {
		log_debug("%s: nginx runs the new upstream %lldms after the reload", a->who,
		    (long long)(loop_clock_ms() - a->reload_ms));
		finish(a, NGINX_APPLIED, NULL);
		return;
	}
	if (landed == -1) {
		a->blind = true;
		say_blind(a);
	}
	if (loop_now(a->l) >= a->confirm_deadline) {
		if (!a->blind) {
			/* The master did not take the files (it may have failed to apply them):
			 * its old workers still route to the old upstreams. */
			log_err("%s: nginx started no new workers within %lldms of the reload: it "
			    "may still run the previous upstream", a->who, (long long)a->timeout_ms);
			finish(a, NGINX_NOT_APPLIED, NULL);
			return;
		}
		log_info("%s: nginx assumed to run the new upstream %lldms after the reload (its "
		    "workers are not visible)", a->who, (long long)(loop_clock_ms() - a->reload_ms));
		finish(a, NGINX_APPLIED, NULL);
		return;
	}
	loop_timer_start(a->l, &a->timer, a->blind ? a->confirm_deadline - loop_now(a->l) :
	    way(a)->poll_ms);
}

static void
host_confirm(struct nginx_apply *a)
{
	pid_t now[NGINX_WORKERS_MAX];
	pid_t master = nginx_master(a->pidfile);
	int n = !a->blind && master == a->master ? nginx_children(master, now,
	    NGINX_WORKERS_MAX) : -1;
	int retired = n > 0 && nginx_new_generation(a->old, (size_t)a->nold, now, (size_t)n) ?
	    nginx_old_retired(a->old, (size_t)a->nold) : 0;

	/* A new master (restarted) runs the new files too. */
	confirm_seen(a, master != a->master ? 1 : retired);
}

static void
host_reload(struct nginx_apply *a)
{
	/* Who serves now, to recognise the workers the reload starts. */
	a->master = nginx_master(a->pidfile);
	a->confirm = a->master > 0;
	a->nold = a->master > 0 ? nginx_children(a->master, a->old, NGINX_WORKERS_MAX) : -1;
	/* A master with no worker we can see: /proc hides them, and their absence must not
	 * read as "retired". */
	a->blind = a->master > 0 && (a->nold <= 0 ||
	    nginx_old_retired(a->old, (size_t)a->nold) == -1);
	a->reload_ms = loop_clock_ms();
	run(a, a->reload, on_reload_done);
}

static void
host_test(struct nginx_apply *a)
{
	run(a, a->test, on_test_done);
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
ctr_not_sent(struct nginx_apply *a, proc_cb done)
{
	static const struct proc_result nostart = {
		.exited = 1, .code = 127, .spawn_failed = 1,
		.output = "the Docker Engine call could not be made",
	};

	done(a, &nostart);
}

static void
ctr_test(struct nginx_apply *a)
{
	static char *const test[] = { "nginx", "-t", NULL };

	if (a->ctr == NULL && a->docker != NULL)
		a->ctr = nginx_ctr_new(a->l, a->docker);
	if (a->ctr == NULL || nginx_ctr_test(a->ctr, a->container, test, a->timeout_ms,
	    on_test_done, a) == -1)
		ctr_not_sent(a, on_test_done);
}

static void
ctr_reloaded(void *arg, const struct proc_result *res)
{
	struct nginx_apply *a = arg;

	a->confirm = true;
	a->blind = nginx_ctr_blind(a->ctr);
	on_reload_done(a, res);
}

static void
ctr_reload(struct nginx_apply *a)
{
	a->reload_ms = loop_clock_ms();
	if (nginx_ctr_reload(a->ctr, a->container, ctr_reloaded, a) == -1)
		ctr_not_sent(a, on_reload_done);
}

static void
ctr_seen(void *arg, int landed)
{
	confirm_seen(arg, landed);
}

static void
ctr_confirm(struct nginx_apply *a)
{
	if (nginx_ctr_landed(a->ctr, ctr_seen, a) == -1)
		confirm_seen(a, -1);
}

static const struct nginx_way ctr_way = {
	.test = ctr_test,
	.reload = ctr_reload,
	.confirm = ctr_confirm,
	.blind = "the Engine's process list of nginx's container shows no worker of it",
	.poll_ms = CONFIRM_POLL_CTR_MS,
};

static void
on_test_done(void *arg, const struct proc_result *res)
{
	struct nginx_apply *a = arg;

	a->proc = NULL;
	if (!cmd_ok(res)) {
		log_failure(a, "nginx config test", a->test, res);
		finish(a, NGINX_TEST_FAILED, res->output);
		return;
	}
	a->phase = PH_RELOAD;
	way(a)->reload(a);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct nginx_apply *a = t->arg;

	(void)l;
	if (a->phase == PH_CONFIRM) {
		way(a)->confirm(a);
		return;
	}
	a->phase = PH_TEST;
	way(a)->test(a);
}

struct nginx_apply *
nginx_apply_start(struct loop *l, const struct nginx_apply_conf *c, bool *blind_said,
    nginx_apply_cb cb, void *arg)
{
	struct nginx_apply *a = l != NULL && c != NULL && blind_said != NULL && cb != NULL ?
	    calloc(1, sizeof(*a)) : NULL;

	if (a == NULL)
		goto fail;
	a->l = l;
	a->cb = cb;
	a->arg = arg;
	a->blind_said = blind_said;
	a->timeout_ms = c->timeout_ms;
	a->test = nginx_argv_dup(c->test);
	a->reload = nginx_argv_dup(c->reload);
	a->pidfile = strdup(c->pid_file != NULL ? c->pid_file : "");
	a->who = strdup(c->who != NULL ? c->who : "nginx");
	a->docker = c->docker;
	if (c->container != NULL && c->container[0] != '\0')
		a->container = strdup(c->container);
	loop_timer_init(&a->timer, on_timer, a);
	if (a->test == NULL || a->reload == NULL || a->pidfile == NULL || a->who == NULL ||
	    (c->container != NULL && c->container[0] != '\0' && a->container == NULL) ||
	    loop_timer_start(l, &a->timer, 0) == -1) {
		apply_free(a);
		goto fail;
	}
	return a;
fail:
	log_err("nginx: configuration test and reload not started (bad argument or out of "
	    "memory)");
	return NULL;
}

void
nginx_apply_cancel(struct nginx_apply *a)
{
	if (a != NULL)
		apply_free(a);
}
