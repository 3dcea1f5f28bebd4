/* daemon.c: the daemon's lifecycle: start-up, signals, reload (bgpd style), shutdown. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cgroup.h"
#include "dockscaled.h"
#include "headroom.h"
#include "labels.h"
#include "lock.h"
#include "log.h"
#include "notify.h"
#include "runtime.h"
#include "sdnotify.h"
#include "wake.h"

/* Readiness waits this long at most for a runtime (include/runtime.h, ready_wait): an
 * Engine that hangs must not hold start-up until systemd gives up. */
#define DSD_READY_WAIT_MS 10000

/* What loads but has no effect: logged at every load, so a reload says it again. */
static void
config_warnings_log(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->warnings.n; i++)
		log_warning("%s", cfg->warnings.v[i]);
}

void
config_errors_log(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		log_err("%s", errs->msg[i]);
}

static void
on_tick(struct loop *l, struct loop_timer *t)
{
	struct dsd *d = t->arg;

	control_pass(d);
	if (!d->once)
		loop_timer_start(l, &d->tick, d->cfg.interval_ms);
}

static void
on_watchdog(struct loop *l, struct loop_timer *t)
{
	struct dsd *d = t->arg;

	/* Sent from the loop itself, so a wedged loop stops the pings and systemd acts. */
	sdnotify("WATCHDOG=1");
	loop_timer_start(l, &d->watchdog, d->watchdog_ms / 2);
}

static void
on_signal(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct dsd *d = io->arg;
	struct signalfd_siginfo si;
	ssize_t n;

	while ((n = read(d->sigfd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_notice("SIGHUP: reloading %s", d->config_path);
			dsd_reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("%s: shutting down", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			sdnotify("STOPPING=1");
			d->stopping = true;
			loop_break(l);
			break;
		default:
			break;
		}
	}
	if (n == -1 && errno != EAGAIN)
		log_err("signalfd read: %s", strerror(errno));
}

static int
signals_setup(struct dsd *d)
{
	sigset_t set;
	struct sigaction sa = { .sa_handler = SIG_IGN };

	/* libcurl runs with NOSIGNAL and children's pipes may close under us. */
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		log_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd == -1) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	loop_io_init(&d->sig_io, d->sigfd, on_signal, d);
	return loop_io_start(&d->loop, &d->sig_io, EPOLLIN);
}

/* Bind the API where the configuration says; keeps the old listener on failure. */
static int
http_apply(struct dsd *d, const char *listen)
{
	struct http *h;
	char *copy;

	if (d->http != NULL && strcmp(d->http_listen, listen) == 0)
		return 0;
	copy = strdup(listen);
	if (copy == NULL)
		return -1;
	/* The old listener must let go first when only the port moved on one address;
	 * bind the new one first so a failed bind leaves the API where it was. */
	h = http_start(&d->loop, listen, api_handle, d);
	if (h == NULL) {
		free(copy);
		return -1;
	}
	http_stop(d->http);
	free(d->http_listen);
	d->http = h;
	d->http_listen = copy;
	log_info("API listening on %s (port %u)", listen, http_port(h));
	return 0;
}

/* A key the running daemon cannot take over (doc/configuration.md, "Choices the
 * spec left open"): the lock guards the one daemon per host, and a dry run holds no lock.
 * NULL when there is none. */
static const char *
restart_key(const struct config *cur, const struct config *next, char *why, size_t len)
{
	int n;

	if (strcmp(cur->lock_file, next->lock_file) != 0)
		n = snprintf(why, len, "[daemon] lock_file (%s -> %s)", cur->lock_file,
		    next->lock_file);
	else if (cur->dry_run != next->dry_run)
		n = snprintf(why, len, "[daemon] dry_run (%s -> %s)",
		    cur->dry_run ? "true" : "false", next->dry_run ? "true" : "false");
	else
		return NULL;
	return n > 0 && (size_t)n < len ? why : "[daemon] lock_file or dry_run";
}

int
dsd_reload(struct dsd *d)
{
	char why[PATH_MAX * 2 + 64];
	const char *key;
	struct config next = { 0 }, old;
	struct config_errors errs = { 0 };
	int rc = -1;

	sdnotify_reloading();
	if (config_load(d->config_path, &next, &errs) == -1) {
		config_errors_log(&errs);
		log_err("reload: %s has %zu problem(s); keeping the running configuration",
		    d->config_path, errs.n);
		goto out;
	}
	/* The label services join the file's before anything is checked against the
	 * running configuration (doc/labels.md, "Live"). */
	if (labels_merge(d, &next) == -1) {
		log_err("reload: out of memory adding the label services; keeping the running "
		    "configuration");
		goto out;
	}
	if ((key = restart_key(&d->cfg, &next, why, sizeof(why))) != NULL) {
		log_err("reload: %s changed; that needs a restart; keeping the running "
		    "configuration", key);
		goto out;
	}
	if ((key = config_runtime_changed(&d->cfg, &next)) != NULL) {
		log_err("reload: service %s: runtime changed; that needs a restart (a reload "
		    "cannot move replicas between runtimes); keeping the running configuration",
		    key);
		goto out;
	}
	if (http_apply(d, next.listen) == -1) {
		log_err("reload: cannot listen on %s; keeping the running configuration",
		    next.listen);
		goto out;
	}
	old = d->cfg;
	d->cfg = next;
	memset(&next, 0, sizeof(next));
	/* Services point into the new config before the old one goes. */
	if (control_apply(d) == -1)
		log_err("reload: out of memory while applying services");
	/* Queues of the urls kept stay (doc/notifications.md, "Reload and shutdown"). */
	if (notify_apply(d->notify, &d->cfg.notify) == -1)
		log_err("reload: out of memory while applying [notify]");
	config_free(&old);
	log_set_level(d->cfg.log_level);
	config_warnings_log(&d->cfg);
	labels_commit(d);
	labels_apply(d);
	if (d->cfg.nsvcs == 0)
		log_warning("%s: no [service] section; serving the API only", d->config_path);
	log_notice("reload: %s applied (%zu service(s))", d->config_path, d->cfg.nsvcs);
	rc = 0;
out:
	if (rc == 0) {
		d->stats.reloads_ok++;
		events_add(&d->events, EV_RELOAD, NULL, "configuration reloaded from %s",
		    d->config_path);
	} else {
		d->stats.reloads_failed++;
		events_fail(&d->events, LOG_ERR, EV_RELOAD, NULL,
		    "reload of %s refused: the running configuration is kept", d->config_path);
	}
	labels_discard(d); /* a refused reload's label results (none after a commit) */
	config_free(&next);
	config_errors_free(&errs);
	/* Not ready yet: READY=1 comes with readiness, not with the reload. */
	sdnotify_printf("%sSTATUS=%s", d->ready ? "READY=1\n" : "", rc == 0 ?
	    "configuration reloaded" : "reload failed: running the previous configuration");
	return rc;
}

/* Ready: READY=1 to systemd, /healthz answers 200. */
static void
set_ready(struct dsd *d)
{
	if (d->ready)
		return;
	d->ready = true;
	loop_timer_stop(&d->loop, &d->ready_timer);
	sdnotify_printf("READY=1\nSTATUS=running, %zu service(s)", d->cfg.nsvcs);
}

static void
on_runtime_ready(struct dsd *d)
{
	set_ready(d);
}

static void
on_ready_timeout(struct loop *l, struct loop_timer *t)
{
	struct dsd *d = t->arg;

	log_warning("%s has not answered in %d s: ready anyway; %s", d->ready_wait->what,
	    DSD_READY_WAIT_MS / 1000, d->ready_wait->meanwhile);
	set_ready(d);
}

int
dsd_init(struct dsd *d, const char *config_path, bool dry_run, bool once)
{
	struct config_errors errs = { 0 };

	memset(d, 0, sizeof(*d));
	d->sigfd = d->lock_fd = -1;
	d->loop.epfd = -1;
	d->config_path = config_path;
	if (wake_pool_init(d) == -1 || headroom_host_init(d) == -1 || labels_init(d) == -1) { /* first: everything after
	                                  * may fail, and dsd_fini frees them */
		log_err("out of memory");
		return 1;
	}
	events_init(&d->events, EVENTS_MAX);
	d->once = once;
	if (config_load(config_path, &d->cfg, &errs) == -1) {
		config_errors_log(&errs);
		config_errors_free(&errs);
		return EXIT_CONFIG;
	}
	config_errors_free(&errs);
	log_set_level(d->cfg.log_level);
	config_warnings_log(&d->cfg);
	d->dry_run = dry_run || d->cfg.dry_run;
	if (d->cfg.nsvcs == 0)
		log_warning("%s: no [service] section; serving the API only", config_path);

	if (loop_init(&d->loop) == -1)
		return 1;
	d->started_ms = loop_now(&d->loop);
	/* A dry run shadows a live daemon to try a candidate config: no lock. */
	if (!d->dry_run) {
		d->lock_fd = lock_acquire(d->cfg.lock_file);
		if (d->lock_fd == -1)
			return 1;
	}
	if (signals_setup(d) == -1)
		return 1;
	if (http_apply(d, d->cfg.listen) == -1)
		return 1;
	if (control_start(d) == -1)
		return 1;
	labels_apply(d); /* [daemon] labels: its first list is a reload (doc/labels.md) */
	/* After control_start: it makes the HTTP client notifications go through. */
	if ((d->notify = notify_new(&d->loop, d->httpc, &d->events)) == NULL ||
	    notify_apply(d->notify, &d->cfg.notify) == -1)
		return 1;
	loop_timer_init(&d->tick, on_tick, d);
	loop_timer_start(&d->loop, &d->tick, 0);
	/* A runtime may have to answer first (e.g. whether this instance acts). */
	loop_timer_init(&d->ready_timer, on_ready_timeout, d);
	if ((d->ready_wait = runtime_ready_wait(d, on_runtime_ready)) != NULL) {
		d->ready_waits_for = d->ready_wait->waits_for;
		loop_timer_start(&d->loop, &d->ready_timer, DSD_READY_WAIT_MS);
	}
	loop_timer_init(&d->watchdog, on_watchdog, d);
	d->watchdog_ms = sdnotify_watchdog_ms();
	if (d->watchdog_ms > 0)
		loop_timer_start(&d->loop, &d->watchdog, d->watchdog_ms / 2);
	return 0;
}

int
dsd_run(struct dsd *d)
{
	log_notice("dockscaled %s started: %zu service(s), interval %lldms%s",
	    DOCKSCALE_VERSION, d->cfg.nsvcs, (long long)d->cfg.interval_ms,
	    d->dry_run ? ", dry run" : "");
	if (d->ready_waits_for == NULL)
		set_ready(d);
	else if (!d->ready)
		sdnotify_printf("STATUS=%s", d->ready_waits_for);
	if (loop_run(&d->loop) == -1)
		return 1;
	return d->exit_code;
}

void
dsd_fini(struct dsd *d)
{
	notify_free(d->notify); /* before control_stop frees the HTTP client */
	d->notify = NULL;
	labels_fini(d); /* its Docker client too */
	control_stop(d);
	wake_pool_fini(d);
	headroom_host_fini(d);
	http_stop(d->http);
	d->http = NULL;
	free(d->http_listen);
	d->http_listen = NULL;
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* releases the flock; the file stays for the next start */
	loop_fini(&d->loop);
	config_free(&d->cfg);
	events_fini(&d->events);
	if (d->cgroups != NULL)
		cgroup_host_fini(d->cgroups);
	free(d->cgroups);
}
