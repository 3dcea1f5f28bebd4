/* upstream.h: the nginx upstream file of one service, kept in step with its replicas. */
#ifndef DOCKSCALE_UPSTREAM_H
#define DOCKSCALE_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* The placeholder that keeps an upstream with no healthy replica valid: nginx answers
 * 502 at once instead of failing its configuration test. */
#define UPSTREAM_PLACEHOLDER "127.0.0.1:1 down"

/* Render "upstream NAME { server A; ... }" for the given addresses (sorted, so the
 * same set always gives the same bytes). Pure. Returns a malloc'd string or NULL. */
char *upstream_render(const char *name, const char *const *addrs, size_t n, size_t *len);

/* Write path atomically: temp file in the same directory, fsync, rename, fsync the
 * directory. 0 or -1 (logged; the old file is untouched on failure). */
int upstream_write_file(const char *path, const char *data, size_t len);

/* Read path whole into a malloc'd *data: 1 read, 0 absent, -1 error (logged). Only a
 * regular file is read: a symlink (O_NOFOLLOW) or anything else (FIFO, device: opened
 * O_NONBLOCK, refused after fstat) is an error, so nothing is read or restored through
 * a link and the loop never blocks on a FIFO. Bigger than 4 MiB: not ours, an error. */
int upstream_read_file(const char *path, char **data, size_t *len);

struct upstream;

/* Where and how one sync writes and applies the file: plain values, no configuration
 * (the caller may free them once upstream_sync returns: the request keeps copies). */
struct upstream_target {
	const char *path;          /* the upstream file, absolute */
	const char *name;          /* NAME of `upstream NAME { ... }` */
	const char *const *test;   /* test_command argv, NULL-terminated, non-empty */
	const char *const *reload; /* reload_command argv */
	const char *pid_file;      /* nginx's pid file; NULL or "" = do not confirm reloads */
	int64_t timeout_ms;        /* per command */
	const char *container;     /* nginx's container (the test runs in it by exec, the
	                            * reload is its SIGHUP, its process list confirms it;
	                            * reload and pid_file unused); NULL or "": this host */
};

/* A sync finished. gen is the generation it applied (see upstream_sync); ok = the file
 * holds it and nginx was reloaded (or nothing had to change). On !ok the previous file
 * is back in place (or, if there was none, no file is left). */
typedef void (*upstream_cb)(void *arg, uint64_t gen, bool ok);

struct upstream_stats {
	uint64_t reloads_ok;     /* reload_command exited 0 */
	uint64_t reloads_failed; /* reload_command failed or timed out */
	uint64_t tests_failed;   /* test_command rejected the new file (restored) */
	uint64_t writes;         /* files written */
};

struct docker;
/* docker: the Engine, for nginx in a container (may be NULL when none is used). */
struct upstream *upstream_new(struct loop *l, struct docker *docker, const char *service,
    upstream_cb cb, void *arg);
/* Kills a running command (no callback) and frees. The file stays as it is. */
void upstream_free(struct upstream *u);

/* Ask for the file at t->path to hold exactly addrs. Returns the generation of this
 * request (> 0; increasing). Asynchronous, at most one sync at a time per upstream: when
 * the rendered bytes equal the file's, nothing is written and cb(gen, true) runs from
 * the loop (never from inside this call); else write atomically, run the test, and on
 * success the reload; if the test fails restore the previous bytes exactly (or remove
 * the file if there was none) and log the checker's output. The file is only read
 * when it is a regular file (not a symlink, FIFO, device): anything else fails the
 * sync. When t->path differs from the path the previous sync used, the old file is
 * removed first if it still starts with this daemon's header for the service, so two
 * files never declare the same upstream. A request made while a sync runs is queued;
 * only the latest queued one runs next, and cb reports that later generation (covering
 * the skipped ones). 0 on a bad argument or out of memory (logged). */
uint64_t upstream_sync(struct upstream *u, const struct upstream_target *t,
    const char *const *addrs, size_t n);
bool upstream_busy(const struct upstream *u);
const struct upstream_stats *upstream_get_stats(const struct upstream *u);
/* How many servers the file held after the last successful sync (0 = placeholder). */
size_t upstream_size(const struct upstream *u);

#endif
