/* nginx.h: what the running nginx master is doing, read from its pid file and /proc, or
 * from the Engine's list of a container's processes. */
#ifndef DOCKSCALE_NGINX_H
#define DOCKSCALE_NGINX_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "proc.h"

#define NGINX_WORKERS_MAX 64

/* The master's pid from pidfile, or -1 when unreadable or that process is gone. */
pid_t nginx_master(const char *pidfile);
/* The master's children (workers, cache processes) into out; their number, or -1. */
int nginx_children(pid_t master, pid_t *out, size_t max);
/* 1 when now holds a pid that before does not: the master started new workers, which
 * it does only after it re-read its configuration (old ones then stop taking
 * requests). Pure. */
int nginx_new_generation(const pid_t *before, size_t nbefore, const pid_t *now, size_t nnow);

/* 1 when none of pids is still a worker taking requests: each is gone, or its title
 * says "shutting down" (the master told it to stop; it only finishes what it has).
 * nginx starts new workers about 100 ms before it retires the old ones. 0 when one
 * still takes requests; -1 when one is alive but /proc does not show it (hidepid,
 * ProtectProc=invisible: a worker of another user), so retirement cannot be seen. */
int nginx_old_retired(const pid_t *pids, size_t n);

/* Pure: the workers taking requests (title "nginx: worker process", not "... is shutting
 * down") in the body of GET /containers/{id}/top (Titles with PID and CMD or COMMAND,
 * Processes as rows of strings) into out; their number, or -1 when the body is not
 * that (doc/balancers.md, "nginx in a container"). */
int nginx_top_workers(const char *body, size_t len, pid_t *out, size_t max);
/* Pure: the master runs a reload taken after `before` (its serving workers then) when a
 * worker of now is new and none of before still serves: the container's mirror of
 * nginx_new_generation and nginx_old_retired. */
int nginx_top_landed(const pid_t *before, size_t nbefore, const pid_t *now, size_t nnow);

/* nginx_ctr.c: nginx in a container through the Engine API (doc/balancers.md, "nginx in
 * a container"). One call at a time; each ends in its callback, from the loop. */
struct docker;
struct nginx_ctr;
/* landed: 1 the reload runs, 0 not yet, -1 the processes could not be read. */
typedef void (*nginx_ctr_seen_cb)(void *arg, int landed);
struct nginx_ctr *nginx_ctr_new(struct loop *l, struct docker *d);
/* Cancels the call in flight (no callback) and frees. */
void nginx_ctr_free(struct nginx_ctr *c);
/* argv run in container ctr by exec; done gets its exit code and output like a command
 * (code 127 and the engine's message when it could not run). 0 started, -1 not. */
int nginx_ctr_test(struct nginx_ctr *c, const char *ctr, char *const *argv,
    int64_t timeout_ms, proc_cb done, void *arg);
/* The serving workers now (GET top), then SIGHUP to the container (its main process,
 * the master); done with code 0 once the signal is delivered. */
int nginx_ctr_reload(struct nginx_ctr *c, const char *ctr, proc_cb done, void *arg);
/* The last reload took no worker list to compare with: landing cannot be seen. */
bool nginx_ctr_blind(const struct nginx_ctr *c);
/* Whether the last reload's master runs new workers and the old ones stopped serving. */
int nginx_ctr_landed(struct nginx_ctr *c, nginx_ctr_seen_cb seen, void *arg);

#endif
