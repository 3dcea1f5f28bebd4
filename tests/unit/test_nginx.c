/* test_nginx.c: recognising a landed reload from the master's children, on this host or in a
 * container's process list (doc/balancers.md, "nginx in a container"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "nginx.h"

static void
test_new_generation(void **state)
{
	static const struct {
		pid_t before[4];
		size_t nb;
		pid_t now[4];
		size_t nn;
		int want;
	} cases[] = {
		{ { 10, 11 }, 2, { 10, 11 }, 2, 0 },         /* nothing happened yet */
		{ { 10, 11 }, 2, { 10, 11, 20, 21 }, 4, 1 }, /* new workers next to exiting ones */
		{ { 10, 11 }, 2, { 20, 21 }, 2, 1 },         /* old ones already gone */
		{ { 10, 11 }, 2, { 11 }, 1, 0 },             /* one old worker exited, no new */
		{ { 0 }, 0, { 5 }, 1, 1 },                   /* master had no child before */
		{ { 10 }, 1, { 0 }, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(nginx_new_generation(cases[i].before, cases[i].nb, cases[i].now,
		    cases[i].nn), cases[i].want);
}

#define TOP_TITLES "\"Titles\":[\"UID\",\"PID\",\"PPID\",\"C\",\"STIME\",\"TTY\",\"TIME\",\"CMD\"]"
#define ROW(pid, cmd) "[\"101\",\"" pid "\",\"7\",\"0\",\"21:00\",\"?\",\"00:00:00\",\"" cmd "\"]"

/* GET /containers/{id}/top: the serving workers out of the engine's ps listing. */
static void
test_top_workers(void **state)
{
	static const struct {
		const char *body;
		int want;          /* the count, or -1 */
		pid_t pids[3];
	} cases[] = {
		{ "{" TOP_TITLES ",\"Processes\":[" ROW("7", "nginx: master process nginx -g daemon off;")
		  "," ROW("20", "nginx: worker process") "," ROW("21", "nginx: worker process") "]}",
		  2, { 20, 21 } },
		/* after a HUP: the old ones finish what they hold, the new ones serve */
		{ "{" TOP_TITLES ",\"Processes\":[" ROW("20", "nginx: worker process is shutting down")
		  "," ROW("30", "nginx: worker process") "]}", 1, { 30 } },
		/* ps_args that title the command COMMAND, in another column order */
		{ "{\"Titles\":[\"COMMAND\",\"PID\"],\"Processes\":[[\"nginx: worker process\",\"9\"],"
		  "[\"nginx: cache manager process\",\"10\"]]}", 1, { 9 } },
		{ "{" TOP_TITLES ",\"Processes\":[]}", 0, { 0 } },
		{ "{" TOP_TITLES ",\"Processes\":null}", -1, { 0 } },
		{ "{\"Titles\":[\"UID\",\"CMD\"],\"Processes\":[]}", -1, { 0 } },       /* no PID */
		{ "{" TOP_TITLES ",\"Processes\":[" ROW("x9", "nginx: worker process") "]}", -1, { 0 } },
		{ "{" TOP_TITLES ",\"Processes\":[" ROW("0", "nginx: worker process") "]}", -1, { 0 } },
		{ "{" TOP_TITLES ",\"Processes\":[[\"101\",\"5\"]]}", -1, { 0 } },       /* short row */
		{ "{" TOP_TITLES ",\"Processes\":[" ROW("99999999999", "nginx: worker process") "]}",
		  -1, { 0 } },
		{ "not json", -1, { 0 } },
	};
	pid_t out[4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = nginx_top_workers(cases[i].body, strlen(cases[i].body), out, 4);

		assert_int_equal(n, cases[i].want);
		for (int k = 0; k < n; k++)
			assert_int_equal(out[k], cases[i].pids[k]);
	}
	/* more workers than room: the first max, counted as such */
	assert_int_equal(nginx_top_workers("{" TOP_TITLES ",\"Processes\":["
	    ROW("1", "nginx: worker process") "," ROW("2", "nginx: worker process") "]}",
	    strlen("{" TOP_TITLES ",\"Processes\":[" ROW("1", "nginx: worker process") ","
	    ROW("2", "nginx: worker process") "]}"), out, 1), 1);
}

/* The container's mirror of new generation + old retired. */
static void
test_top_landed(void **state)
{
	static const struct {
		pid_t before[2];
		size_t nb;
		pid_t now[3];
		size_t nn;
		int want;
	} cases[] = {
		{ { 20, 21 }, 2, { 20, 21 }, 2, 0 },     /* the signal not taken yet */
		{ { 20, 21 }, 2, { 20, 21, 30 }, 3, 0 }, /* new workers, old ones still serving */
		{ { 20, 21 }, 2, { 21, 30 }, 2, 0 },     /* one old one still serving */
		{ { 20, 21 }, 2, { 30, 31 }, 2, 1 },     /* old ones gone or shutting down */
		{ { 20, 21 }, 2, { 0 }, 0, 0 },          /* no serving worker at all yet */
		{ { 0 }, 0, { 30 }, 1, 1 },              /* none before: any worker is new */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(nginx_top_landed(cases[i].before, cases[i].nb, cases[i].now,
		    cases[i].nn), cases[i].want);
}

/* A stand-in master: a process with two children, named by a pid file. */
static void
test_master_and_children(void **state)
{
	char dir[] = "/tmp/dsngxXXXXXX", pidfile[64];
	int ready[2];
	pid_t master, kids[NGINX_WORKERS_MAX];
	FILE *f;
	char c;

	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/nginx.pid", dir);
	assert_int_equal(pipe(ready), 0);
	master = fork();
	assert_true(master >= 0);
	if (master == 0) {
		for (int i = 0; i < 2; i++)
			if (fork() == 0) {
				pause();
				_exit(0);
			}
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	f = fopen(pidfile, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n", (long)master);
	fclose(f);
	assert_int_equal(nginx_master(pidfile), master);
	assert_int_equal(nginx_children(master, kids, NGINX_WORKERS_MAX), 2);
	/* not nginx workers by title: nothing to wait for */
	assert_int_equal(nginx_old_retired(kids, 2), 1);
	/* absent, empty and stale pid files */
	assert_int_equal(nginx_master("/nonexistent/nginx.pid"), -1);
	assert_int_equal(nginx_master(""), -1);
	assert_int_equal(nginx_master(NULL), -1);
	kill(master, SIGKILL);
	kill(kids[0], SIGKILL);
	kill(kids[1], SIGKILL);
	waitpid(master, NULL, 0);
	assert_int_equal(nginx_master(pidfile), -1);
	unlink(pidfile);
	rmdir(dir);
	close(ready[0]);
	close(ready[1]);
}

/* Pid files that are not one pid of another process: each is refused. 4294967296 is
 * 2^32, which a cast to pid_t made 0, and kill(0, 0) always succeeds. */
static void
test_bad_pid_files(void **state)
{
	static const char *const bad[] = {
		"4294967296\n", "4294967297", "2147483648\n", "-4294967295\n",
		"99999999999999999999999\n", "0\n", "1\n", "-5\n", "", "\n", "12x\n",
		"abc", " \n",
	};
	char dir[] = "/tmp/dsngxXXXXXX", pidfile[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/nginx.pid", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(pidfile, "w");

		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		if (nginx_master(pidfile) != -1)
			fail_msg("pid file \"%s\" accepted", bad[i]);
	}
	unlink(pidfile);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_generation),
		cmocka_unit_test(test_top_workers),
		cmocka_unit_test(test_top_landed),
		cmocka_unit_test(test_master_and_children),
		cmocka_unit_test(test_bad_pid_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
