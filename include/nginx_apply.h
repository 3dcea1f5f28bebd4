/* nginx_apply.h: make nginx run what its files hold: test, reload, see the new workers take over. */
#ifndef DOCKSCALE_NGINX_APPLY_H
#define DOCKSCALE_NGINX_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

struct docker;

/* How nginx is tested and reloaded (plain values: copied by nginx_apply_start). */
struct nginx_apply_conf {
	const char *const *test;   /* test_command argv, NULL-terminated, non-empty */
	const char *const *reload; /* reload_command argv */
	const char *pid_file;      /* nginx's pid file; NULL or "" = do not confirm reloads */
	int64_t timeout_ms;        /* per command, and for the new workers to take over */
	const char *who;           /* what the log names: the services whose files changed */
	/* nginx's container (doc/balancers.md, "nginx in a container"): `nginx -t` runs in
	 * it by exec, the reload is its SIGHUP, its process list confirms it (test, reload
	 * and pid_file unused). NULL or "": nginx on this host. */
	const char *container;
	struct docker *docker;     /* the Engine, for container (unused without) */
};

enum nginx_apply_result {
	NGINX_APPLIED,       /* reloaded, and the master runs it (or nothing to confirm) */
	NGINX_TEST_FAILED,   /* test_command said no: nothing was reloaded */
	NGINX_RELOAD_FAILED, /* the test passed, the reload command failed or timed out */
	NGINX_NOT_APPLIED,   /* reloaded, but the master started no new workers in time */
};

/* output: test_command's stdout+stderr (NGINX_TEST_FAILED), else "". The apply is gone
 * once the callback returns. */
typedef void (*nginx_apply_cb)(void *arg, enum nginx_apply_result res, const char *output);

struct nginx_apply;

/* Test, then reload, then watch the master named by pid_file until it has new workers and
 * the old ones are retired (doc/balancers.md, "Scale-down order"): one call, asynchronous;
 * cb runs once, from the loop (never from inside this call). Failures are logged here, with
 * the commands' output. *blind_said: "cannot see the workers" was logged (once per daemon).
 * NULL on a bad argument or out of memory (logged; cb not called). */
struct nginx_apply *nginx_apply_start(struct loop *l, const struct nginx_apply_conf *c,
    bool *blind_said, nginx_apply_cb cb, void *arg);
/* Stop what runs (a command is killed), no callback, and free. */
void nginx_apply_cancel(struct nginx_apply *a);

/* A NULL-terminated copy of argv (NULL when empty or out of memory), and its free. */
char **nginx_argv_dup(const char *const *argv);
void nginx_argv_free(char **v);

#endif
