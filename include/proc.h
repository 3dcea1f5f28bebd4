/* proc.h: run a command (execvp, no shell) asynchronously, with a timeout. */
#ifndef DOCKSCALE_PROC_H
#define DOCKSCALE_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct proc;

struct proc_result {
	int exited;        /* 1: exited normally, status in code */
	int code;          /* exit status, or the signal number when !exited */
	int timed_out;     /* killed (SIGKILL) after the timeout */
	int spawn_failed;  /* fork/exec failed (e.g. command not found: code 127) */
	const char *output; /* stdout+stderr, NUL-terminated, at most 16 KiB kept */
	int64_t elapsed_ms;
};

typedef void (*proc_cb)(void *arg, const struct proc_result *res);

/* Start argv[0] with argv (NULL-terminated), stdin /dev/null, stdout+stderr captured.
 * Neither the exec nor the exit is waited for: a failed exec (spawn_failed, code 127)
 * and the exit are noticed through a pidfd on the loop, so nothing blocks. cb runs exactly
 * once unless proc_cancel is called. NULL on failure to start (cb not called). */
struct proc *proc_run(struct loop *l, char *const argv[], int64_t timeout_ms,
    proc_cb cb, void *arg);
/* Kill (SIGKILL) without calling cb; p is gone for the caller. Inside the running loop
 * the child is reaped later, when its pidfd says it is gone (nothing waits); with the
 * loop stopped (shutdown) it is reaped at once. */
void proc_cancel(struct proc *p);

#endif
