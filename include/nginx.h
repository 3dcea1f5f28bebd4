/* nginx.h: what the running nginx master is doing, read from its pid file and /proc. */
#ifndef DOCKSCALE_NGINX_H
#define DOCKSCALE_NGINX_H

#include <stddef.h>
#include <sys/types.h>

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

#endif
