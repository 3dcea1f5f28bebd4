/* upstream.h: the nginx upstream file of one service, kept in step with its replicas. */
#ifndef DOCKSCALE_UPSTREAM_H
#define DOCKSCALE_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
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

struct upstream;

/* A sync finished. gen is the generation it applied (see upstream_sync); ok = the file
 * holds it and nginx was reloaded (or nothing had to change). On !ok the previous file
 * is back in place. */
typedef void (*upstream_cb)(void *arg, uint64_t gen, bool ok);

struct upstream_stats {
	uint64_t reloads_ok;     /* reload_command exited 0 */
	uint64_t reloads_failed; /* reload_command failed or timed out */
	uint64_t tests_failed;   /* test_command rejected the new file (restored) */
	uint64_t writes;         /* files written */
};

struct upstream *upstream_new(struct loop *l, const char *service, upstream_cb cb, void *arg);
/* Kills a running command (no callback) and frees. The file stays as it is. */
void upstream_free(struct upstream *u);

/* Ask for the file to hold exactly addrs. Returns the generation of this request (> 0;
 * increasing). Asynchronous, at most one sync at a time per upstream: when the rendered
 * bytes equal the file's, nothing is written and cb(gen, true) runs from the loop
 * (never from inside this call); else write atomically, run test_command, and on success
 * reload_command; if the test fails restore the previous bytes exactly and log the
 * checker's output. A request made while a sync runs is queued; only the latest queued
 * one runs next, and cb reports that later generation (covering the skipped ones).
 * Commands get timeout_ms each. 0 on a bad argument or out of memory (logged). */
uint64_t upstream_sync(struct upstream *u, const struct config *cfg,
    const struct svc_conf *sc, const char *const *addrs, size_t n, int64_t timeout_ms);
bool upstream_busy(const struct upstream *u);
const struct upstream_stats *upstream_get_stats(const struct upstream *u);
/* How many servers the file held after the last successful sync (0 = placeholder). */
size_t upstream_size(const struct upstream *u);

#endif
