/* test_proc.c: proc_run on a real loop: exit codes, output, exec failure, timeout, cancel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "proc.h"

/* Nothing may hang: every test loop is broken by this at the latest. */
#define SAFETY_MS 8000

struct got {
	int calls;
	struct proc_result res;
	char output[20000];
	size_t outlen;
	int *pending; /* shared countdown: break the loop when it reaches 0 */
	struct loop *l;
};

static void
on_done(void *arg, const struct proc_result *res)
{
	struct got *g = arg;

	g->calls++;
	g->res = *res;
	g->outlen = strlen(res->output);
	assert_true(g->outlen < sizeof(g->output));
	memcpy(g->output, res->output, g->outlen + 1);
	g->res.output = g->output;
	if (g->pending != NULL && --*g->pending == 0)
		loop_break(g->l);
}

static void
on_safety(struct loop *l, struct loop_timer *t)
{
	bool *fired = t->arg;

	*fired = true;
	loop_break(l);
}

/* Run the loop until every proc reported (or the safety timer fires: a failure). */
static void
run_until_done(struct loop *l)
{
	struct loop_timer safety;
	bool fired = false;

	loop_timer_init(&safety, on_safety, &fired);
	assert_int_equal(loop_timer_start(l, &safety, SAFETY_MS), 0);
	assert_int_equal(loop_run(l), 0);
	loop_timer_stop(l, &safety);
	assert_false(fired);
}

/* Start argv and wait for its result. */
static void
run_one(char *const argv[], int64_t timeout_ms, struct got *g)
{
	struct loop l;
	int pending = 1;

	memset(g, 0, sizeof(*g));
	assert_int_equal(loop_init(&l), 0);
	g->pending = &pending;
	g->l = &l;
	assert_non_null(proc_run(&l, argv, timeout_ms, on_done, g));
	assert_int_equal(g->calls, 0); /* never from inside proc_run */
	run_until_done(&l);
	assert_int_equal(g->calls, 1);
	loop_fini(&l);
}

static void
test_true(void **state)
{
	char *argv[] = { "true", NULL };
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.exited, 1);
	assert_int_equal(g.res.code, 0);
	assert_int_equal(g.res.timed_out, 0);
	assert_int_equal(g.res.spawn_failed, 0);
	assert_string_equal(g.output, "");
	assert_true(g.res.elapsed_ms >= 0 && g.res.elapsed_ms < 5000);
}

static void
test_false(void **state)
{
	char *argv[] = { "false", NULL };
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.exited, 1);
	assert_int_equal(g.res.code, 1);
	assert_int_equal(g.res.spawn_failed, 0);
}

static void
test_output_both_streams(void **state)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.exited, 1);
	assert_int_equal(g.res.code, 3);
	assert_string_equal(g.output, "out\nerr\n");
}

/* The child gets /dev/null on stdin, no blocked signals, SIGPIPE at default, and no
 * inherited fds beyond 0-2, even though the parent blocks HUP/TERM and ignores PIPE. */
static void
test_child_environment(void **state)
{
	char *argv[] = { "sh", "-c",
		"grep -E '^Sig(Blk|Ign):' /proc/self/status; ls /proc/self/fd | wc -l; "
		"cat; echo stdin-done", NULL };
	struct sigaction sa_ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigset_t set, old_mask;
	int leak[2];
	struct got g;
	const char *ignp;
	unsigned long long ign;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old_mask), 0);
	assert_int_equal(sigaction(SIGPIPE, &sa_ign, &old_pipe), 0);
	assert_int_equal(pipe(leak), 0); /* not CLOEXEC: must still not reach the child */
	run_one(argv, 5000, &g);
	close(leak[0]);
	close(leak[1]);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	assert_int_equal(g.res.code, 0);
	assert_non_null(strstr(g.output, "SigBlk:\t0000000000000000\n"));
	ignp = strstr(g.output, "SigIgn:\t");
	assert_non_null(ignp);
	ign = strtoull(ignp + 8, NULL, 16);
	/* Standard signals 1-31 (SIGPIPE is bit 12). glibc's internal signals 32 and 33
	 * cannot be reset by sigaction and keep whatever the test runner inherited. */
	assert_int_equal(ign & 0x7fffffffULL, 0);
	/* 0, 1, 2 and the fd ls opens for reading the directory */
	assert_non_null(strstr(g.output, "\n4\nstdin-done\n"));
}

static void
test_exec_failure(void **state)
{
	char *argv[] = { "/nonexistent/dockscale-no-such-command", "x", NULL };
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.exited, 1);
	assert_int_equal(g.res.code, 127);
	assert_int_equal(g.res.spawn_failed, 1);
	assert_string_equal(g.output, "exec: No such file or directory");
}

static bool have_children(void);

/* proc_run returns without waiting for the child's exec: even a child whose exec fails
 * (which the old spawn read and reaped before returning) is still ours afterwards, and
 * its failure arrives through the loop. */
static void
test_spawn_does_not_wait_for_exec(void **state)
{
	char *argv[] = { "/nonexistent/dockscale-no-such-command", NULL };
	struct loop l;
	struct got g = { 0 };
	int pending = 1;

	assert_false(have_children());
	assert_int_equal(loop_init(&l), 0);
	g.pending = &pending;
	g.l = &l;
	assert_non_null(proc_run(&l, argv, 5000, on_done, &g));
	assert_true(have_children()); /* not reaped by proc_run */
	assert_int_equal(g.calls, 0);
	run_until_done(&l);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.code, 127);
	assert_int_equal(g.res.spawn_failed, 1);
	assert_string_equal(g.output, "exec: No such file or directory");
	assert_false(have_children());
	loop_fini(&l);
}

static void
test_exec_failure_path_search(void **state)
{
	char *argv[] = { "dockscale-no-such-command-on-path", NULL };
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.code, 127);
	assert_int_equal(g.res.spawn_failed, 1);
	assert_non_null(strstr(g.output, "exec: "));
}

static void
test_timeout_kills(void **state)
{
	char *argv[] = { "sleep", "10", NULL };
	int64_t t0 = loop_clock_ms();
	struct got g;

	run_one(argv, 200, &g);
	assert_int_equal(g.res.timed_out, 1);
	assert_int_equal(g.res.exited, 0);
	assert_int_equal(g.res.code, SIGKILL);
	assert_true(loop_clock_ms() - t0 < 2000);
	assert_true(g.res.elapsed_ms >= 190);
}

/* A shell that forks a grandchild holding the pipe: the timeout kills the whole group,
 * so the pipe reaches EOF and nothing waits for the grandchild's 10 s. */
static void
test_timeout_kills_grandchild(void **state)
{
	char *argv[] = { "sh", "-c", "sleep 10 & sleep 10; echo never", NULL };
	int64_t t0 = loop_clock_ms();
	struct got g;

	run_one(argv, 200, &g);
	assert_int_equal(g.res.timed_out, 1);
	assert_true(loop_clock_ms() - t0 < 2000);
	assert_null(strstr(g.output, "never"));
}

/* The child exits but leaves a background grandchild holding the pipe: the result
 * comes after the short grace, with what was written before the exit. */
static void
test_grandchild_holds_pipe(void **state)
{
	char *argv[] = { "sh", "-c", "echo before; sleep 3 & exit 0", NULL };
	int64_t t0 = loop_clock_ms();
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.exited, 1);
	assert_int_equal(g.res.code, 0);
	assert_string_equal(g.output, "before\n");
	assert_true(loop_clock_ms() - t0 < 1500);
}

static void
test_large_output_truncated(void **state)
{
	/* 200 KiB: far past both the 16 KiB kept and a 64 KiB pipe buffer. */
	char *argv[] = { "sh", "-c", "head -c 204800 /dev/zero | tr '\\0' x; echo; exit 5", NULL };
	struct got g;

	run_one(argv, 5000, &g);
	assert_int_equal(g.res.exited, 1);
	assert_int_equal(g.res.code, 5);
	assert_int_equal(g.outlen, 16 * 1024);
	for (size_t i = 0; i < g.outlen; i++)
		if (g.output[i] != 'x')
			fail_msg("byte %zu is %d", i, g.output[i]);
}

static void
test_cancel(void **state)
{
	char *argv[] = { "sleep", "10", NULL };
	struct loop l;
	struct got g = { 0 };
	struct proc *p;
	int64_t t0 = loop_clock_ms();

	assert_int_equal(loop_init(&l), 0);
	p = proc_run(&l, argv, 5000, on_done, &g);
	assert_non_null(p);
	proc_cancel(p);
	assert_int_equal(g.calls, 0);
	assert_true(loop_clock_ms() - t0 < 2000);
	/* reaped: no child of ours is left */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	loop_fini(&l);
}

/* proc_cancel from inside the running loop (upstream.c does, on reload) kills but does
 * not wait: the child is reaped by a later pass of the loop, and cb never runs. */
struct cancel_fx {
	struct proc *p;
	struct loop_timer t;
	bool alive_after_cancel; /* the child was still ours right after proc_cancel */
	bool cancelled;
};

static bool
have_children(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

static void
on_cancel_tick(struct loop *l, struct loop_timer *t)
{
	struct cancel_fx *c = t->arg;

	if (!c->cancelled) {
		proc_cancel(c->p);
		c->cancelled = true;
		c->alive_after_cancel = have_children();
	} else if (!have_children()) {
		loop_break(l); /* reaped by the loop */
		return;
	}
	loop_timer_start(l, t, 5);
}

static void
test_cancel_inside_loop_does_not_wait(void **state)
{
	char *argv[] = { "sleep", "10", NULL };
	struct loop l;
	struct got g = { 0 };
	struct cancel_fx c = { 0 };

	assert_int_equal(loop_init(&l), 0);
	c.p = proc_run(&l, argv, 5000, on_done, &g);
	assert_non_null(c.p);
	loop_timer_init(&c.t, on_cancel_tick, &c);
	assert_int_equal(loop_timer_start(&l, &c.t, 0), 0);
	run_until_done(&l);
	loop_timer_stop(&l, &c.t);
	assert_true(c.cancelled);
	assert_true(c.alive_after_cancel);
	assert_int_equal(g.calls, 0);
	assert_false(have_children());
	assert_int_equal(l.nheap, 0u); /* the proc's timers are gone: it was freed */
	loop_fini(&l);
}

static void
test_cancel_after_spawn_failure(void **state)
{
	char *argv[] = { "/nonexistent/x", NULL };
	struct loop l;
	struct got g = { 0 };
	struct proc *p;

	assert_int_equal(loop_init(&l), 0);
	p = proc_run(&l, argv, 5000, on_done, &g);
	assert_non_null(p);
	proc_cancel(p);
	assert_int_equal(g.calls, 0);
	assert_int_equal(l.nheap, 0u); /* its delivery timer is gone too */
	loop_fini(&l);
}

static void
test_two_concurrent(void **state)
{
	char *a[] = { "sh", "-c", "sleep 0.3; echo A; exit 4", NULL };
	char *b[] = { "sh", "-c", "echo B; exit 2", NULL };
	struct loop l;
	struct got ga = { 0 }, gb = { 0 };
	int pending = 2;
	int64_t t0 = loop_clock_ms();

	assert_int_equal(loop_init(&l), 0);
	ga.pending = gb.pending = &pending;
	ga.l = gb.l = &l;
	assert_non_null(proc_run(&l, a, 5000, on_done, &ga));
	assert_non_null(proc_run(&l, b, 5000, on_done, &gb));
	run_until_done(&l);
	assert_int_equal(ga.calls, 1);
	assert_int_equal(gb.calls, 1);
	assert_int_equal(ga.res.code, 4);
	assert_string_equal(ga.output, "A\n");
	assert_int_equal(gb.res.code, 2);
	assert_string_equal(gb.output, "B\n");
	assert_true(gb.res.elapsed_ms < ga.res.elapsed_ms);
	assert_true(loop_clock_ms() - t0 < 2000); /* in parallel, not one after the other */
	loop_fini(&l);
}

struct ticker {
	struct loop_timer t;
	int ticks;
};

static void
on_tick(struct loop *l, struct loop_timer *t)
{
	struct ticker *k = t->arg;

	k->ticks++;
	loop_timer_start(l, t, 20);
}

/* The loop keeps serving timers while a child runs: nothing blocks on the child. */
static void
test_loop_not_blocked(void **state)
{
	char *argv[] = { "sleep", "0.5", NULL };
	struct loop l;
	struct ticker k = { .ticks = 0 };
	struct got g = { 0 };
	int pending = 1;

	assert_int_equal(loop_init(&l), 0);
	g.pending = &pending;
	g.l = &l;
	loop_timer_init(&k.t, on_tick, &k);
	loop_timer_start(&l, &k.t, 20);
	assert_non_null(proc_run(&l, argv, 5000, on_done, &g));
	run_until_done(&l);
	loop_timer_stop(&l, &k.t);
	assert_int_equal(g.res.code, 0);
	assert_true(k.ticks >= 10);
	loop_fini(&l);
}

/* The callback may start the next command (upstream does: test, then reload). */
struct chain {
	struct loop *l;
	int step;
	int codes[2];
};

static void
on_chain(void *arg, const struct proc_result *res)
{
	struct chain *c = arg;
	char *second[] = { "sh", "-c", "exit 7", NULL };

	c->codes[c->step++] = res->code;
	if (c->step == 1)
		assert_non_null(proc_run(c->l, second, 5000, on_chain, c));
	else
		loop_break(c->l);
}

static void
test_start_from_callback(void **state)
{
	char *first[] = { "true", NULL };
	struct loop l;
	struct chain c = { .l = &l };

	assert_int_equal(loop_init(&l), 0);
	assert_non_null(proc_run(&l, first, 5000, on_chain, &c));
	run_until_done(&l);
	assert_int_equal(c.step, 2);
	assert_int_equal(c.codes[0], 0);
	assert_int_equal(c.codes[1], 7);
	loop_fini(&l);
}

static void
test_bad_arguments(void **state)
{
	char *empty[] = { NULL };
	char *argv[] = { "true", NULL };
	struct loop l;
	struct got g = { 0 };

	assert_int_equal(loop_init(&l), 0);
	assert_null(proc_run(&l, empty, 1000, on_done, &g));
	assert_null(proc_run(&l, NULL, 1000, on_done, &g));
	assert_null(proc_run(&l, argv, 1000, NULL, &g));
	proc_cancel(NULL);
	loop_fini(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_true),
		cmocka_unit_test(test_false),
		cmocka_unit_test(test_output_both_streams),
		cmocka_unit_test(test_child_environment),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_exec_failure_path_search),
		cmocka_unit_test(test_spawn_does_not_wait_for_exec),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_timeout_kills_grandchild),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_large_output_truncated),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_inside_loop_does_not_wait),
		cmocka_unit_test(test_cancel_after_spawn_failure),
		cmocka_unit_test(test_two_concurrent),
		cmocka_unit_test(test_loop_not_blocked),
		cmocka_unit_test(test_start_from_callback),
		cmocka_unit_test(test_bad_arguments),
	};

	log_init(LOG_CRIT); /* the bad-argument cases log at err on purpose */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
