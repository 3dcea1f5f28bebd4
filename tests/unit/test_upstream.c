/* test_upstream.c: render, atomic write, and the sync machine on a real loop and nginx. */
#define _GNU_SOURCE /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "upstream.h"
#include "upstream_batch.h"

#define SAFETY_MS 8000
#define NGINX "/usr/sbin/nginx"
#define HDR "# Written by dockscaled for service web; do not edit: it is rewritten " \
	"whenever the healthy replicas change.\n"
#define PLACEHOLDER_BLOCK "upstream backend {\n    server 127.0.0.1:1 down;\n}\n"

struct fx {
	char dir[64];
	char path[128];
	struct loop l;
	struct loop_timer safety;
	bool safety_fired;
	struct upstream *u;
	uint64_t gens[8];
	bool oks[8];
	int calls;
	int want_calls; /* break the loop after this many callbacks */
	struct config cfg;
	struct svc_conf sc;
	char *testv[12], *reloadv[12];
	struct upstream_target t;
};

/* What a sync takes, from the fixture's config (the way lb_nginx.c builds it). */
static const struct upstream_target *
tgt(struct fx *f, int64_t timeout_ms)
{
	f->t = (struct upstream_target){
		.path = f->sc.upstream_file,
		.name = f->sc.upstream_name,
		.test = (const char *const *)f->cfg.nginx_test.v,
		.reload = (const char *const *)f->cfg.nginx_reload.v,
		.pid_file = f->cfg.nginx_pid_file,
		.timeout_ms = timeout_ms,
	};
	return &f->t;
}

static void
on_sync(void *arg, uint64_t gen, bool ok)
{
	struct fx *f = arg;

	assert_true(f->calls < 8);
	f->gens[f->calls] = gen;
	f->oks[f->calls] = ok;
	if (++f->calls >= f->want_calls)
		loop_break(&f->l);
}

static void
on_safety(struct loop *l, struct loop_timer *t)
{
	struct fx *f = t->arg;

	f->safety_fired = true;
	loop_break(l);
}

static void
set_argv(struct strv *sv, char **store, const char *const *words)
{
	size_t n = 0;

	for (; words[n] != NULL; n++)
		store[n] = (char *)words[n];
	store[n] = NULL;
	sv->v = store;
	sv->n = n;
}

static void
set_cmds(struct fx *f, const char *const *test, const char *const *reload)
{
	set_argv(&f->cfg.nginx_test, f->testv, test);
	set_argv(&f->cfg.nginx_reload, f->reloadv, reload);
}

static const char *const TRUE_CMD[] = { "true", NULL };
static const char *const FALSE_CMD[] = { "false", NULL };

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_upstream.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/backend.conf", f->dir);
	assert_int_equal(loop_init(&f->l), 0);
	f->u = upstream_new(&f->l, NULL, "web", on_sync, f);
	assert_non_null(f->u);
	strcpy(f->sc.name, "web");
	f->sc.upstream_file = f->path;
	f->sc.upstream_name = "backend";
	set_cmds(f, TRUE_CMD, TRUE_CMD);
	loop_timer_init(&f->safety, on_safety, f);
	*state = f;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	upstream_free(f->u);
	loop_timer_stop(&f->l, &f->safety);
	loop_fini(&f->l);
	assert_int_equal(nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(f);
	return 0;
}

/* Run until `calls` callbacks in all have arrived; the safety timer fails a hang. */
static void
run_until(struct fx *f, int calls)
{
	f->want_calls = calls;
	if (f->calls >= calls)
		return;
	assert_int_equal(loop_timer_start(&f->l, &f->safety, SAFETY_MS), 0);
	assert_int_equal(loop_run(&f->l), 0);
	loop_timer_stop(&f->l, &f->safety);
	assert_false(f->safety_fired);
	assert_int_equal(f->calls, calls);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	static char data[65536];
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(data, 1, sizeof(data) - 1, fp);
	data[n] = '\0';
	fclose(fp);
	return data;
}

static void
put(const char *path, const char *data)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fputs(data, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- render ----------------------------------------------------------------------- */

static void
test_render_sorted_unique(void **state)
{
	const char *addrs[] = { "10.0.0.2:8080", "10.0.0.1:8080", "10.0.0.2:8080",
		"[::1]:80", "10.0.0.10:8080" };
	/* byte order (strcmp): only determinism matters, ':' sorts after '0' */
	const char *want = "upstream backend {\n"
		"    server 10.0.0.10:8080;\n"
		"    server 10.0.0.1:8080;\n"
		"    server 10.0.0.2:8080;\n"
		"    server [::1]:80;\n"
		"}\n";
	size_t len = 0;
	char *s = upstream_render("backend", addrs, 5, &len);

	assert_non_null(s);
	assert_string_equal(s, want);
	assert_int_equal(len, strlen(want));
	free(s);
}

static void
test_render_empty_is_placeholder(void **state)
{
	size_t len = 0;
	char *s = upstream_render("backend", NULL, 0, &len);

	assert_non_null(s);
	assert_string_equal(s, PLACEHOLDER_BLOCK);
	assert_int_equal(len, strlen(PLACEHOLDER_BLOCK));
	free(s);
}

static void
test_render_rejects_injection(void **state)
{
	const char *semi[] = { "127.0.0.1:80; } server { listen 80" };
	const char *empty[] = { "" };
	const char *nl[] = { "127.0.0.1:80\n" };
	const char *null[] = { NULL };
	size_t len;

	assert_null(upstream_render("backend", semi, 1, &len));
	assert_null(upstream_render("backend", empty, 1, &len));
	assert_null(upstream_render("backend", nl, 1, &len));
	assert_null(upstream_render("backend", null, 1, &len));
	assert_null(upstream_render("back end", NULL, 0, &len));
	assert_null(upstream_render("", NULL, 0, &len));
	assert_null(upstream_render(NULL, NULL, 0, &len));
	assert_null(upstream_render("backend", NULL, 2, &len));
}

/* ---- write_file ------------------------------------------------------------------- */

static void
test_write_file(void **state)
{
	struct fx *f = *state;
	char tmp[160];
	struct stat st;
	mode_t old = umask(077); /* the file is 0644 whatever the umask */

	/* a temp file left by a crash does not block the write */
	snprintf(tmp, sizeof(tmp), "%s/.backend.conf.dockscale.tmp", f->dir);
	put(tmp, "stale");
	put(f->path, "old\n");
	assert_int_equal(upstream_write_file(f->path, "new\ncontent\n", 12), 0);
	umask(old);
	assert_string_equal(slurp(f->path), "new\ncontent\n");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(f->dir), 1); /* no temp left behind */
	/* a relative path (directory ".") works too */
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(upstream_write_file("rel.conf", "x", 1), 0);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(count_entries(f->dir), 2);
}

static void
test_write_file_failures_leave_nothing(void **state)
{
	struct fx *f = *state;
	char sub[160];

	assert_int_equal(upstream_write_file("/nonexistent-dockscale/dir/x.conf", "x", 1), -1);
	assert_int_equal(access("/nonexistent-dockscale", F_OK), -1);
	/* rename onto a directory fails after the temp file was written: it must go */
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(upstream_write_file(sub, "x", 1), -1);
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(count_entries(sub), 0);
	assert_int_equal(upstream_write_file(NULL, "x", 1), -1);
	assert_int_equal(upstream_write_file("", "x", 1), -1);
	assert_int_equal(upstream_write_file("/tmp/", "x", 1), -1);
}

/* ---- sync ------------------------------------------------------------------------- */

static const char *const TWO[] = { "127.0.0.1:32001", "127.0.0.1:32000" };
#define TWO_FILE HDR "upstream backend {\n    server 127.0.0.1:32000;\n" \
	"    server 127.0.0.1:32001;\n}\n"

static void
test_sync_writes_tests_reloads(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	uint64_t g = upstream_sync(f->u, tgt(f, 2000), TWO, 2);

	assert_true(g > 0);
	assert_true(upstream_busy(f->u));
	assert_int_equal(f->calls, 0); /* never from inside upstream_sync */
	run_until(f, 1);
	assert_int_equal(f->gens[0], g);
	assert_true(f->oks[0]);
	assert_false(upstream_busy(f->u));
	assert_string_equal(slurp(f->path), TWO_FILE);
	assert_int_equal(st->writes, 1);
	assert_int_equal(st->reloads_ok, 1);
	assert_int_equal(st->tests_failed + st->reloads_failed, 0);
	assert_int_equal(upstream_size(f->u), 2);

	/* the same set again: nothing written, nothing run, still reported from the loop */
	uint64_t g2 = upstream_sync(f->u, tgt(f, 2000), TWO, 2);
	assert_true(g2 > g);
	assert_int_equal(f->calls, 1);
	run_until(f, 2);
	assert_int_equal(f->gens[1], g2);
	assert_true(f->oks[1]);
	assert_int_equal(st->writes, 1);
	assert_int_equal(st->reloads_ok, 1);

	/* down to nothing: the placeholder */
	assert_true(upstream_sync(f->u, tgt(f, 2000), NULL, 0) > g2);
	run_until(f, 3);
	assert_string_equal(slurp(f->path), HDR PLACEHOLDER_BLOCK);
	assert_int_equal(upstream_size(f->u), 0);
	assert_int_equal(st->reloads_ok, 2);
}

static void
test_sync_failed_test_restores_exact_bytes(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	const char *before = "# hand-made, odd spacing\nupstream backend{server 10.9.9.9:1;}";

	put(f->path, before);
	set_cmds(f, FALSE_CMD, TRUE_CMD);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	assert_string_equal(slurp(f->path), before);
	assert_int_equal(st->tests_failed, 1);
	assert_int_equal(st->reloads_ok + st->reloads_failed, 0);
	assert_int_equal(count_entries(f->dir), 1);
}

static void
test_sync_failed_test_without_previous_file(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);

	set_cmds(f, FALSE_CMD, TRUE_CMD);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	/* never the rejected version, and no file that was not there before */
	assert_null(slurp(f->path));
	assert_int_equal(count_entries(f->dir), 0);
	assert_int_equal(st->tests_failed, 1);
}

static void
test_sync_failed_reload_then_retried(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);

	set_cmds(f, TRUE_CMD, FALSE_CMD);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	assert_int_equal(st->reloads_failed, 1);
	assert_string_equal(slurp(f->path), TWO_FILE); /* it passed the test: it stays */
	/* the same set again: the bytes match, but nginx may not run them: reload again */
	set_cmds(f, TRUE_CMD, TRUE_CMD);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 2);
	assert_true(f->oks[1]);
	assert_int_equal(st->reloads_ok, 1);
	assert_int_equal(st->writes, 1);
	/* and once reloaded, the same set is a no-op again */
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 3);
	assert_true(f->oks[2]);
	assert_int_equal(st->reloads_ok, 1);
}

static void
test_sync_hanging_reload_times_out(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	const char *const sleep10[] = { "sleep", "10", NULL };
	int64_t t0 = loop_clock_ms();

	set_cmds(f, TRUE_CMD, sleep10);
	assert_true(upstream_sync(f->u, tgt(f, 200), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	assert_int_equal(st->reloads_failed, 1);
	assert_true(loop_clock_ms() - t0 < 3000);
}

static void
test_sync_missing_test_command(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	const char *const missing[] = { "/nonexistent/nginx", "-t", NULL };

	put(f->path, "previous");
	set_cmds(f, missing, TRUE_CMD);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	assert_string_equal(slurp(f->path), "previous");
	assert_int_equal(st->tests_failed, 1);
}

/* Requests before the first one started collapse into one run of the latest. */
static void
test_queue_collapses_unstarted(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	const char *a[] = { "127.0.0.1:1001" }, *b[] = { "127.0.0.1:1002" };

	assert_true(upstream_sync(f->u, tgt(f, 2000), a, 1) > 0);
	assert_true(upstream_sync(f->u, tgt(f, 2000), b, 1) > 0);
	uint64_t g3 = upstream_sync(f->u, tgt(f, 2000), TWO, 2);
	run_until(f, 1);
	assert_int_equal(f->gens[0], g3);
	assert_true(f->oks[0]);
	assert_string_equal(slurp(f->path), TWO_FILE);
	assert_int_equal(st->writes, 1);
	assert_false(upstream_busy(f->u));
}

struct later {
	struct loop_timer t;
	struct fx *f;
	uint64_t g2, g3;
};

static void
on_later(struct loop *l, struct loop_timer *t)
{
	struct later *x = t->arg;
	const char *b[] = { "127.0.0.1:1002" };

	assert_true(upstream_busy(x->f->u));
	x->g2 = upstream_sync(x->f->u, tgt(x->f, 2000), b, 1);
	x->g3 = upstream_sync(x->f->u, tgt(x->f, 2000), TWO, 2);
}

/* Requests while one runs: it finishes, then only the latest runs. */
static void
test_queue_while_running(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	const char *const slow[] = { "sleep", "0.3", NULL };
	const char *a[] = { "127.0.0.1:1001" };
	struct later x = { .f = f };

	set_cmds(f, slow, TRUE_CMD);
	uint64_t g1 = upstream_sync(f->u, tgt(f, 2000), a, 1);
	loop_timer_init(&x.t, on_later, &x);
	loop_timer_start(&f->l, &x.t, 50);
	run_until(f, 2);
	assert_int_equal(f->gens[0], g1);
	assert_int_equal(f->gens[1], x.g3);
	assert_true(x.g3 > x.g2 && x.g2 > g1);
	assert_true(f->oks[0] && f->oks[1]);
	assert_string_equal(slurp(f->path), TWO_FILE);
	assert_int_equal(st->writes, 2);
	assert_int_equal(st->reloads_ok, 2);
	assert_false(upstream_busy(f->u));
}

/* The config may be freed right after upstream_sync (SIGHUP): the request keeps copies. */
static void
test_sync_copies_config(void **state)
{
	struct fx *f = *state;
	char *testv[] = { strdup("true"), NULL }, *reloadv[] = { strdup("true"), NULL };
	char *addr = strdup("127.0.0.1:4242"), *path = strdup(f->path), *name = strdup("backend");
	const char *addrs[] = { addr };
	struct upstream_target t = { .path = path, .name = name,
		.test = (const char *const *)testv, .reload = (const char *const *)reloadv,
		.timeout_ms = 2000 };

	assert_true(upstream_sync(f->u, &t, addrs, 1) > 0);
	free(testv[0]);
	free(reloadv[0]);
	free(path);
	free(name);
	free(addr);
	run_until(f, 1);
	assert_true(f->oks[0]);
	assert_string_equal(slurp(f->path), HDR "upstream backend {\n    server 127.0.0.1:4242;\n}\n");
}

/* doc/balancers.md, "nginx upstream": a symlink at upstream_file is refused, the file it
 * points to is never read nor written, and the sync fails (to be retried). */
static void
test_sync_refuses_symlink(void **state)
{
	struct fx *f = *state;
	char target[160];

	snprintf(target, sizeof(target), "%s/elsewhere.conf", f->dir);
	put(target, "someone else's file");
	assert_int_equal(symlink(target, f->path), 0);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	assert_string_equal(slurp(target), "someone else's file");
	struct stat st;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(upstream_get_stats(f->u)->writes, 0);
}

/* A FIFO at upstream_file would block the loop in open(2) or read(2): refused at once. */
static void
test_sync_refuses_fifo(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(mkfifo(f->path, 0644), 0);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->safety_fired);
	assert_false(f->oks[0]);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(upstream_get_stats(f->u)->writes, 0);
}

/* upstream_file changed (reload): the old file declared the same upstream, so it goes,
 * but only while it still holds this daemon's header. */
static void
test_sync_moved_path_removes_ours_only(void **state)
{
	struct fx *f = *state;
	char second[160], third[160];

	snprintf(second, sizeof(second), "%s/second.conf", f->dir);
	snprintf(third, sizeof(third), "%s/third.conf", f->dir);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 1);
	assert_string_equal(slurp(f->path), TWO_FILE);
	f->sc.upstream_file = second;
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 2);
	assert_true(f->oks[1]);
	assert_null(slurp(f->path));
	assert_string_equal(slurp(second), TWO_FILE);
	/* someone took the file over: it is not ours any more, it stays */
	put(second, "upstream backend { server 10.0.0.1:80; }\n");
	f->sc.upstream_file = third;
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	run_until(f, 3);
	assert_string_equal(slurp(second), "upstream backend { server 10.0.0.1:80; }\n");
	assert_string_equal(slurp(third), TWO_FILE);
	f->sc.upstream_file = f->path;
}

/* A "master" whose workers never change: the reload signal was sent, but nothing shows
 * the master applied the file, so nginx may still route to removed replicas. The sync
 * fails (to be retried, reloading the same bytes again) instead of letting drains start. */
static void
test_sync_reload_not_applied_fails(void **state)
{
	struct fx *f = *state;
	char pidfile[160], pidtext[32], children[64], buf[64];
	pid_t master = fork();

	assert_true(master >= 0);
	if (master == 0) {
		setpgid(0, 0); /* its sleep goes with it at the end */
		execlp("sh", "sh", "-c", "sleep 30 & wait", (char *)NULL);
		_exit(127);
	}
	/* its one child (not an nginx worker) appears once sh has forked */
	snprintf(children, sizeof(children), "/proc/%ld/task/%ld/children", (long)master,
	    (long)master);
	for (;;) {
		FILE *fp = fopen(children, "r");
		size_t n = fp != NULL ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

		if (fp != NULL)
			fclose(fp);
		if (n > 0)
			break;
		usleep(1000);
	}
	snprintf(pidfile, sizeof(pidfile), "%s/nginx.pid", f->dir);
	snprintf(pidtext, sizeof(pidtext), "%ld\n", (long)master);
	put(pidfile, pidtext);
	f->cfg.nginx_pid_file = pidfile;
	assert_true(upstream_sync(f->u, tgt(f, 300), TWO, 2) > 0);
	run_until(f, 1);
	assert_false(f->oks[0]);
	/* the command ran, but nginx does not run it: a failed reload, not an applied one */
	assert_int_equal(upstream_get_stats(f->u)->reloads_ok, 0);
	assert_int_equal(upstream_get_stats(f->u)->reloads_failed, 1);
	/* the same set again: reloaded again, not taken as already applied */
	assert_true(upstream_sync(f->u, tgt(f, 300), TWO, 2) > 0);
	run_until(f, 2);
	assert_false(f->oks[1]);
	assert_int_equal(upstream_get_stats(f->u)->reloads_failed, 2);
	kill(-master, SIGKILL);
	kill(master, SIGKILL);
	waitpid(master, NULL, 0);
	f->cfg.nginx_pid_file = NULL;
	unlink(pidfile);
}

static void
test_sync_bad_arguments(void **state)
{
	struct fx *f = *state;
	const char *bad[] = { "1.2.3.4:80;" };
	struct strv empty = { NULL, 0 };

	assert_int_equal(upstream_sync(f->u, tgt(f, 2000), bad, 1), 0);
	assert_int_equal(upstream_sync(NULL, tgt(f, 2000), TWO, 2), 0);
	assert_int_equal(upstream_sync(f->u, NULL, TWO, 2), 0);
	f->cfg.nginx_reload = empty;
	assert_int_equal(upstream_sync(f->u, tgt(f, 2000), TWO, 2), 0);
	assert_false(upstream_busy(f->u));
	assert_null(slurp(f->path));
}

/* Freeing mid-command kills it at once, without a callback. */
static void
test_free_while_running(void **state)
{
	struct fx *f = *state;
	const char *const sleep10[] = { "sleep", "10", NULL };
	struct loop_timer t;
	int64_t t0;

	set_cmds(f, sleep10, TRUE_CMD);
	assert_true(upstream_sync(f->u, tgt(f, 20000), TWO, 2) > 0);
	loop_timer_init(&t, on_safety, f);
	loop_timer_start(&f->l, &t, 100); /* the command is running by then */
	loop_run(&f->l);
	assert_true(upstream_busy(f->u));
	t0 = loop_clock_ms();
	upstream_free(f->u);
	f->u = NULL;
	assert_true(loop_clock_ms() - t0 < 1000);
	assert_int_equal(f->calls, 0);
	f->safety_fired = false;
}

/* ---- the real nginx ---------------------------------------------------------------- */

static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
test_real_nginx(void **state)
{
	struct fx *f = *state;
	const struct upstream_stats *st = upstream_get_stats(f->u);
	char conf[80], confd[80], tmpd[80], elog[80], dup[100], text[2048], *good;
	const char *three[] = { "127.0.0.1:32000", "127.0.0.1:32001", "127.0.0.1:32002" };
	const char *test[10];
	int n;

	if (access(NGINX, X_OK) != 0)
		skip();
	snprintf(conf, sizeof(conf), "%s/nginx.conf", f->dir);
	snprintf(confd, sizeof(confd), "%s/conf.d", f->dir);
	snprintf(tmpd, sizeof(tmpd), "%s/tmp", f->dir);
	snprintf(elog, sizeof(elog), "%s/error.log", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/backend.conf", confd);
	assert_int_equal(mkdir(confd, 0755), 0);
	assert_int_equal(mkdir(tmpd, 0755), 0);
	n = snprintf(text, sizeof(text),
	    "pid %s/nginx.pid;\nerror_log %s;\nevents {}\nhttp {\n access_log off;\n"
	    " client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;\n"
	    " uwsgi_temp_path %s; scgi_temp_path %s;\n include %s/*.conf;\n"
	    " server { listen 127.0.0.1:%d; location / { proxy_pass http://backend; } }\n}\n",
	    f->dir, elog, tmpd, tmpd, tmpd, tmpd, tmpd, confd, free_port());
	assert_true(n > 0 && (size_t)n < sizeof(text));
	put(conf, text);
	/* -e: -t opens the compiled-in error log before reading the config */
	test[0] = NGINX; test[1] = "-e"; test[2] = elog; test[3] = "-p"; test[4] = f->dir;
	test[5] = "-c"; test[6] = conf; test[7] = "-t"; test[8] = NULL;
	set_cmds(f, test, TRUE_CMD);

	/* no replica yet: the placeholder alone is a valid upstream */
	assert_true(upstream_sync(f->u, tgt(f, 5000), NULL, 0) > 0);
	run_until(f, 1);
	assert_true(f->oks[0]);
	assert_string_equal(slurp(f->path), HDR PLACEHOLDER_BLOCK);

	/* a real server list */
	assert_true(upstream_sync(f->u, tgt(f, 5000), TWO, 2) > 0);
	run_until(f, 2);
	assert_true(f->oks[1]);
	good = strdup(slurp(f->path));
	assert_string_equal(good, TWO_FILE);
	assert_int_equal(st->tests_failed, 0);

	/* another file defines the same upstream: nginx -t rejects ours, the last good one
	 * comes back byte for byte */
	snprintf(dup, sizeof(dup), "%s/dup.conf", confd);
	put(dup, "upstream backend { server 127.0.0.1:2; }\n");
	assert_true(upstream_sync(f->u, tgt(f, 5000), three, 3) > 0);
	run_until(f, 3);
	assert_false(f->oks[2]);
	assert_int_equal(st->tests_failed, 1);
	assert_string_equal(slurp(f->path), good);
	assert_int_equal(st->reloads_ok, 2);
	free(good);
}

/* Why the placeholder exists: an upstream with no server fails nginx -t. */
static void
on_proc(void *arg, const struct proc_result *res)
{
	struct fx *f = arg;

	f->calls = res->exited ? res->code : 1000;
	assert_non_null(strstr(res->output, "no servers are inside upstream"));
	loop_break(&f->l);
}

static void
test_real_nginx_rejects_empty_upstream(void **state)
{
	struct fx *f = *state;
	char conf[80], elog[80], text[512];
	char *argv[] = { NGINX, "-e", elog, "-p", f->dir, "-c", conf, "-t", NULL };

	if (access(NGINX, X_OK) != 0)
		skip();
	snprintf(conf, sizeof(conf), "%s/nginx.conf", f->dir);
	snprintf(elog, sizeof(elog), "%s/error.log", f->dir);
	snprintf(text, sizeof(text), "pid %s/nginx.pid;\nerror_log %s;\nevents {}\n"
	    "http { access_log off; upstream backend {\n} }\n", f->dir, elog);
	put(conf, text);
	f->calls = -1;
	assert_non_null(proc_run(&f->l, argv, 5000, on_proc, f));
	loop_timer_start(&f->l, &f->safety, SAFETY_MS);
	loop_run(&f->l);
	assert_false(f->safety_fired);
	assert_int_equal(f->calls, 1);
}


/* ---- one reload for many services (doc/balancers.md, "One reload for many services") -- */

static void
test_blame(void **state)
{
	static const char *const paths[] = { "/etc/nginx/conf.d/web.conf",
	    "/etc/nginx/conf.d/api.conf", "/etc/nginx/conf.d/web.conf.d" };
	static const struct {
		const char *out;
		int want;
	} cases[] = {
		{ "nginx: [emerg] invalid host in upstream \"x\" in /etc/nginx/conf.d/api.conf:3\n"
		  "nginx: configuration file /etc/nginx/nginx.conf test failed\n", 1 },
		{ "nginx: [emerg] unexpected \"}\" in /etc/nginx/conf.d/web.conf:4\n", 0 },
		{ "in /etc/nginx/conf.d/web.conf.d:2", 2 },          /* the longer name only */
		{ "nginx: [emerg] bind() failed (98: Address in use)\n", -1 }, /* nobody named */
		{ "/etc/nginx/conf.d/web.conf:1 and /etc/nginx/conf.d/api.conf:2", -1 }, /* two */
		{ "/etc/nginx/conf.d/api.conf is fine", -1 },        /* named, not as a location */
		{ "", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(upstream_blame(cases[i].out, paths, 3), cases[i].want);
	assert_int_equal(upstream_blame(NULL, paths, 3), -1);
}

/* A second service on the fixture's loop (and so in its batch). */
struct peer {
	struct fx *f;
	struct upstream *u;
	char path[160];
	bool ok;
	int calls;
};

static void
on_peer(void *arg, uint64_t gen, bool ok)
{
	struct peer *p = arg;

	(void)gen;
	p->ok = ok;
	p->calls++;
	p->f->gens[p->f->calls] = 0; /* a peer's slot: the fixture's own have gen > 0 */
	p->f->oks[p->f->calls] = ok;
	if (++p->f->calls >= p->f->want_calls)
		loop_break(&p->f->l);
}

static void
peer_init(struct peer *p, struct fx *f)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	snprintf(p->path, sizeof(p->path), "%s/api.conf", f->dir);
	p->u = upstream_new(&f->l, NULL, "api", on_peer, p);
	assert_non_null(p->u);
}

static uint64_t
peer_sync(struct peer *p, const char *const *addrs, size_t n)
{
	struct upstream_target t = *tgt(p->f, 2000);

	t.path = p->path;
	t.name = "api";
	return upstream_sync(p->u, &t, addrs, n);
}

/* test_command as `sh -c test_script` (filled by the test), reload_command appends a line
 * to DIR/reloads. */
static char test_script[512], reload_script[512];

static void
sh_cmds(struct fx *f)
{
	static const char *testv[4], *reloadv[4];

	snprintf(reload_script, sizeof(reload_script), "echo r >> %s/reloads", f->dir);
	testv[0] = reloadv[0] = "sh";
	testv[1] = reloadv[1] = "-c";
	testv[2] = test_script;
	reloadv[2] = reload_script;
	testv[3] = reloadv[3] = NULL;
	set_cmds(f, testv, reloadv);
}

static int
reloads_run(struct fx *f)
{
	char path[160];
	const char *data;
	int n = 0;

	snprintf(path, sizeof(path), "%s/reloads", f->dir);
	data = slurp(path);
	for (; data != NULL && *data != '\0'; data++)
		n += *data == '\n';
	return n;
}

static const char *const BAD[] = { "10.0.0.9:80" };

/* The fixture's own service's one result among its peers'. */
static bool
web_ok(const struct fx *f)
{
	for (int i = 0; i < f->calls; i++)
		if (f->gens[i] != 0)
			return f->oks[i];
	fail_msg("no result for the fixture's service");
	return false;
}

static void
test_batch_two_services_one_reload(void **state)
{
	struct fx *f = *state;
	struct peer p;
	struct upstream_totals tot;

	peer_init(&p, f);
	snprintf(test_script, sizeof(test_script), "true");
	sh_cmds(f);
	/* due in the same loop turn: written both, tested and reloaded once */
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	assert_true(peer_sync(&p, TWO, 1) > 0);
	run_until(f, 2);
	assert_true(web_ok(f));
	assert_true(p.ok);
	assert_int_equal(reloads_run(f), 1);
	upstream_batch_totals(&f->l, &tot);
	assert_int_equal(tot.reloads_ok, 1);
	assert_int_equal(tot.members, 2);
	/* each service still counts its own applied sync */
	assert_int_equal(upstream_get_stats(f->u)->reloads_ok, 1);
	assert_int_equal(upstream_get_stats(p.u)->reloads_ok, 1);
	upstream_free(p.u);
}

/* One apply serves one nginx: a sync bound for nginx in a container (here one that cannot
 * be reached: no engine) is never applied with the host's, which still reloads alone
 * (doc/balancers.md, "nginx in a container"). */
static void
test_batch_container_apart(void **state)
{
	struct fx *f = *state;
	struct peer p;
	struct upstream_target t;
	struct upstream_totals tot;

	peer_init(&p, f);
	snprintf(test_script, sizeof(test_script), "true");
	sh_cmds(f);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	t = *tgt(f, 2000);
	t.path = p.path;
	t.name = "api";
	t.container = "nginx-elsewhere";
	assert_true(upstream_sync(p.u, &t, TWO, 1) > 0);
	run_until(f, 2);
	assert_true(web_ok(f));
	assert_false(p.ok);
	assert_int_equal(reloads_run(f), 1);
	upstream_batch_totals(&f->l, &tot);
	assert_int_equal(tot.applies, 2);
	assert_int_equal(tot.reloads_ok, 1);
	assert_int_equal(tot.members, 1);
	upstream_free(p.u);
}

static void
test_batch_blamed_file_restored_others_applied(void **state)
{
	struct fx *f = *state;
	struct peer p;
	struct upstream_totals tot;
	const char *before = "# the api's previous file\n";

	peer_init(&p, f);
	put(p.path, before);
	/* the check names the file it stopped in, as nginx does */
	snprintf(test_script, sizeof(test_script), "if grep -q 10.0.0.9 %s/api.conf; then echo "
	    "\"nginx: [emerg] bad in %s/api.conf:3\"; exit 1; fi", f->dir, f->dir);
	sh_cmds(f);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	assert_true(peer_sync(&p, BAD, 1) > 0);
	run_until(f, 2);
	assert_true(web_ok(f));
	assert_string_equal(slurp(f->path), TWO_FILE);
	assert_false(p.ok);
	assert_string_equal(slurp(p.path), before);
	assert_int_equal(reloads_run(f), 1);
	upstream_batch_totals(&f->l, &tot);
	assert_int_equal(tot.tests_failed, 1);
	assert_int_equal(tot.reloads_ok, 1);
	assert_int_equal(upstream_get_stats(p.u)->tests_failed, 1);
	assert_int_equal(upstream_get_stats(f->u)->tests_failed, 0);
	upstream_free(p.u);
}

static void
test_batch_unblamed_failure_tries_each_alone(void **state)
{
	struct fx *f = *state;
	struct peer p;
	struct upstream_totals tot;

	peer_init(&p, f);
	/* refuses while the api's file holds the bad address, naming no file */
	snprintf(test_script, sizeof(test_script), "! grep -q 10.0.0.9 %s/api.conf 2>/dev/null "
	    "|| { echo refused; exit 1; }", f->dir);
	sh_cmds(f);
	assert_true(upstream_sync(f->u, tgt(f, 2000), TWO, 2) > 0);
	assert_true(peer_sync(&p, BAD, 1) > 0);
	run_until(f, 2);
	assert_true(web_ok(f));
	assert_string_equal(slurp(f->path), TWO_FILE);
	assert_false(p.ok);
	assert_int_equal(access(p.path, F_OK), -1); /* it did not exist before */
	assert_int_equal(reloads_run(f), 1);
	upstream_batch_totals(&f->l, &tot);
	/* the batch, then the api alone; web alone passed */
	assert_int_equal(tot.tests_failed, 2);
	assert_int_equal(tot.reloads_ok, 1);
	upstream_free(p.u);
}

static struct peer *late[2];

/* Mid-apply (the first batch's test sleeps 300 ms): two more services come due. */
static void
on_late(struct loop *l, struct loop_timer *t)
{
	(void)l;
	(void)t;
	assert_true(peer_sync(late[0], TWO, 1) > 0);
	assert_true(peer_sync(late[1], TWO, 2) > 0);
}

static void
test_batch_joins_while_apply_runs(void **state)
{
	struct fx *f = *state;
	struct peer p, q;
	struct loop_timer later;

	peer_init(&p, f);
	peer_init(&q, f);
	snprintf(q.path, sizeof(q.path), "%s/third.conf", f->dir);
	snprintf(test_script, sizeof(test_script), "sleep 0.3");
	sh_cmds(f);
	late[0] = &p;
	late[1] = &q;
	loop_timer_init(&later, on_late, NULL);
	assert_true(upstream_sync(f->u, tgt(f, 5000), TWO, 2) > 0);
	assert_int_equal(loop_timer_start(&f->l, &later, 100), 0);
	run_until(f, 3);
	assert_true(web_ok(f) && p.ok && q.ok);
	/* the first apply, then ONE for the two that came due while it ran */
	assert_int_equal(reloads_run(f), 2);
	upstream_free(p.u);
	upstream_free(q.u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_sorted_unique),
		cmocka_unit_test(test_blame),
		cmocka_unit_test_setup_teardown(test_batch_two_services_one_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_container_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_blamed_file_restored_others_applied,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_unblamed_failure_tries_each_alone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_joins_while_apply_runs, setup, teardown),
		cmocka_unit_test(test_render_empty_is_placeholder),
		cmocka_unit_test(test_render_rejects_injection),
		cmocka_unit_test_setup_teardown(test_write_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file_failures_leave_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_writes_tests_reloads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_failed_test_restores_exact_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_failed_test_without_previous_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_failed_reload_then_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_hanging_reload_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_missing_test_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_collapses_unstarted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_copies_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_reload_not_applied_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_refuses_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_moved_path_removes_ours_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_nginx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_nginx_rejects_empty_upstream, setup,
		    teardown),
	};

	/* the failure paths log at err on purpose; keep the run readable */
	log_init(LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
