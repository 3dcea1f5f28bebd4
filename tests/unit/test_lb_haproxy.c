/* test_lb_haproxy.c: the HAProxy kind's traffic read against a fake admin socket in the
 * test's own loop: the rows of the members only, the read and a sync's commands one at a
 * time on the wire (neither waits for more than the other's one command), failures, and
 * no answer after destroy. The fake answers with what HAProxy 2.6.12 answered
 * (fixtures/haproxy/stat.txt). */
#define _GNU_SOURCE /* accept4 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "haproxy_config.h"
#include "lb.h"
#include "loop.h"
#include "testutil.h"

extern const struct lb_ops lb_haproxy_ops;

#define SAFETY_MS 5000
#define CMDS_MAX 32

static const char state_empty[] =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port\n";

/* A connection of the fake: one command line in, one answer out, closed (as the CLI
 * without `prompt`). */
struct conn {
	struct fake *f;
	struct loop_io io;
	char line[512];
	size_t len;
};

/* The admin socket: answers by the command's first words; answers to commands starting
 * with `hold` wait for release(). */
struct fake {
	struct loop *l;
	struct loop_io lio;
	char path[108];
	char *stat;               /* the answer to `show stat` */
	char cmds[CMDS_MAX][512]; /* commands received, in order */
	size_t ncmds;
	const char *hold;
	struct conn *held;
	int open, max_open;       /* connections open now, at most at once */
};

static void
conn_close(struct conn *c)
{
	loop_io_stop(c->f->l, &c->io);
	close(c->io.fd);
	c->f->open--;
	free(c);
}

static void
answer(struct conn *c)
{
	struct fake *f = c->f;
	const char *a = "\n";

	if (strncmp(c->line, "show servers state", 18) == 0)
		a = state_empty;
	else if (strncmp(c->line, "add server", 10) == 0)
		a = "New server registered.\n\n";
	else if (strncmp(c->line, "show stat ", 10) == 0)
		a = f->stat;
	send_all(c->io.fd, a, strlen(a));
	conn_close(c);
}

static void
release(struct fake *f)
{
	struct conn *c = f->held;

	assert_non_null(c);
	f->held = NULL;
	f->hold = NULL;
	answer(c);
}

static void
on_conn(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct conn *c = io->arg;
	struct fake *f = c->f;
	ssize_t r = read(io->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	char *nl;

	(void)l;
	(void)events;
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		conn_close(c);
		return;
	}
	c->len += (size_t)r;
	c->line[c->len] = '\0';
	if ((nl = strchr(c->line, '\n')) == NULL)
		return;
	*nl = '\0';
	assert_true(f->ncmds < CMDS_MAX);
	snprintf(f->cmds[f->ncmds++], sizeof(f->cmds[0]), "%s", c->line);
	if (f->hold != NULL && strncmp(c->line, f->hold, strlen(f->hold)) == 0) {
		loop_io_stop(f->l, &c->io);
		f->held = c;
		return;
	}
	answer(c);
}

static void
on_accept(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct fake *f = io->arg;
	int fd;

	(void)events;
	while ((fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));

		assert_non_null(c);
		c->f = f;
		loop_io_init(&c->io, fd, on_conn, c);
		assert_int_equal(loop_io_start(l, &c->io, EPOLLIN), 0);
		if (++f->open > f->max_open)
			f->max_open = f->open;
	}
}

static char *
slurp(const char *name)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	FILE *fp;
	char *buf = calloc(1, 65536);

	snprintf(path, sizeof(path), "%.*s/fixtures/haproxy/%s",
	    slash != NULL ? (int)(slash - __FILE__) : 1, slash != NULL ? __FILE__ : ".", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 65535, fp) > 0);
	fclose(fp);
	return buf;
}

static void
fake_start(struct fake *f, struct loop *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(f, 0, sizeof(*f));
	f->l = l;
	snprintf(f->path, sizeof(f->path), "/tmp/test_lb_haproxy.%d.sock", (int)getpid());
	unlink(f->path);
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	loop_io_init(&f->lio, fd, on_accept, f);
	assert_int_equal(loop_io_start(l, &f->lio, EPOLLIN), 0);
	f->stat = slurp("stat.txt");
}

static void
fake_stop(struct fake *f)
{
	loop_io_stop(f->l, &f->lio);
	close(f->lio.fd);
	unlink(f->path);
	free(f->stat);
}

/* The daemon's side: one service "web" on backend be, and what came back. */
struct side {
	struct loop l;
	struct fake f;
	struct config cfg;
	struct svc_conf sc;
	struct haproxy_conf hc;
	struct haproxy_svc_conf hs;
	void *impl;
	int syncs, reads;
	bool sync_ok, read_ok, again; /* again: ask another read from the callback */
	struct lb_traffic rows[8];
	size_t nrows;
};

static void
on_sync(void *arg, uint64_t gen, bool ok)
{
	struct side *s = arg;

	(void)gen;
	s->syncs++;
	s->sync_ok = ok;
}

static void
on_read(void *arg, bool ok, const struct lb_traffic *rows, size_t n)
{
	struct side *s = arg;

	s->reads++;
	s->read_ok = ok;
	assert_true(n <= 8);
	if (n > 0) /* rows may be NULL then */
		memcpy(s->rows, rows, n * sizeof(*rows));
	s->nrows = n;
	if (s->again) {
		s->again = false;
		assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	}
}

static void
on_stop(struct loop *l, struct loop_timer *t)
{
	(void)t;
	loop_break(l);
}

/* Run the loop for ms. */
static void
run(struct side *s, int64_t ms)
{
	struct loop_timer stop;

	loop_timer_init(&stop, on_stop, NULL);
	loop_timer_start(&s->l, &stop, ms);
	assert_int_equal(loop_run(&s->l), 0);
	loop_timer_stop(&s->l, &stop);
}

/* Run the loop until *a reaches want (and *b wantb, when b is not NULL); nothing may
 * hang: SAFETY_MS at most. */
static void
run_until(struct side *s, const int *a, int want, const int *b, int wantb)
{
	for (int64_t waited = 0; *a < want || (b != NULL && *b < wantb); waited += 10) {
		assert_true(waited < SAFETY_MS);
		run(s, 10);
	}
}

static int
setup(void **state)
{
	struct side *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(loop_init(&s->l), 0);
	fake_start(&s->f, &s->l);
	s->hc.socket = s->f.path;
	s->hc.timeout_ms = 2000;
	s->hs.backend = "be";
	s->cfg.kinds[0] = (struct config_ext){ "haproxy", &s->hc };
	snprintf(s->sc.name, sizeof(s->sc.name), "web");
	s->sc.drain_ms = 1000;
	s->sc.kinds[0] = (struct config_ext){ "haproxy", &s->hs };
	s->impl = lb_haproxy_ops.create(&s->l, NULL, "web", on_sync, s);
	assert_non_null(s->impl);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct side *s = *state;

	lb_haproxy_ops.destroy(s->impl);
	fake_stop(&s->f);
	loop_fini(&s->l);
	free(s);
	return 0;
}

/* web-1 and web-3 as stat.txt has them; web-2's server there has another address (a
 * stale server holding the name: not this member's). */
static uint64_t
sync3(struct side *s)
{
	const struct lb_member m[] = {
		{ "web-1", 5, "127.0.0.1:36639", false },
		{ "web-2", 5, "127.0.0.1:9999", false },
		{ "web-3.retiring", 5, "[::1]:40479", true },
	};

	return lb_haproxy_ops.sync(s->impl, &s->cfg, &s->sc, m, 3);
}

static void
sync_and_wait(struct side *s)
{
	int want = s->syncs + 1;

	assert_true(sync3(s) > 0);
	run_until(s, &s->syncs, want, NULL, 0);
	assert_true(s->sync_ok);
}

static size_t
count_prefix(const struct fake *f, const char *p)
{
	size_t n = 0;

	for (size_t i = 0; i < f->ncmds; i++)
		n += strncmp(f->cmds[i], p, strlen(p)) == 0;
	return n;
}

/* Before any sync there is no member: the answer (no rows) comes from the loop, and
 * HAProxy is not asked. */
static void
test_before_sync(void **state)
{
	struct side *s = *state;

	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	assert_int_equal(s->reads, 0);
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), -1);
	run_until(s, &s->reads, 1, NULL, 0);
	assert_true(s->read_ok);
	assert_int_equal(s->nrows, 0);
	assert_int_equal(s->f.ncmds, 0);
}

/* The members' rows, by server name and address: the user's x and a stale web-2 are
 * left out; a draining member is in. */
static void
test_rows(void **state)
{
	struct side *s = *state;

	sync_and_wait(s);
	s->again = true; /* a read asked from the callback starts */
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), -1); /* one at a time */
	run_until(s, &s->reads, 2, NULL, 0);
	assert_int_equal(count_prefix(&s->f, "show stat be 4 -1"), 2);
	assert_true(s->read_ok);
	assert_int_equal(s->nrows, 2);
	assert_string_equal(s->rows[0].addr, "127.0.0.1:36639");
	assert_int_equal(s->rows[0].requests, 5);
	assert_int_equal(s->rows[0].responses[0], 0);
	assert_int_equal(s->rows[0].responses[2], 3);
	assert_int_equal(s->rows[0].responses[4], 1);
	assert_int_equal(s->rows[0].responses[5], 1);
	assert_true(s->rows[0].in_flight == 0 && s->rows[0].queued == 0);
	assert_true(s->rows[0].rtime_ms == 61);
	assert_string_equal(s->rows[1].addr, "[::1]:40479");
	assert_int_equal(s->rows[1].requests, 4);
	assert_true(s->rows[1].rtime_ms == 0); /* 4 answers in under 1 ms each */
	assert_int_equal(s->f.max_open, 1);
}

/* In flight and queued (stat_busy.txt: a request in flight on web-3; stat_queue.txt: one
 * served and one queued on q-1, none answered yet: no response time). */
static void
test_in_flight(void **state)
{
	struct side *s = *state;
	const struct lb_member q = { "q-1", 3, "127.0.0.1:36639", false };

	free(s->f.stat);
	s->f.stat = slurp("stat_busy.txt");
	sync_and_wait(s);
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run_until(s, &s->reads, 1, NULL, 0);
	assert_int_equal(s->nrows, 2);
	assert_int_equal(s->rows[1].requests, 5);
	assert_true(s->rows[1].in_flight == 1 && s->rows[1].queued == 0);
	free(s->f.stat);
	s->f.stat = slurp("stat_queue.txt");
	s->hs.backend = "bq";
	assert_true(lb_haproxy_ops.sync(s->impl, &s->cfg, &s->sc, &q, 1) > 0);
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run_until(s, &s->reads, 2, NULL, 0);
	assert_int_equal(s->nrows, 1);
	assert_true(s->rows[0].in_flight == 2 && s->rows[0].queued == 1);
	assert_true(s->rows[0].rtime_ms < 0);
}

/* A read asked while a sync's command is on the wire goes next, before the sync's next
 * command; never beside it. */
static void
test_read_waits_for_one_command(void **state)
{
	struct side *s = *state;

	sync_and_wait(s);
	s->f.ncmds = 0;
	s->f.hold = "show servers state";
	assert_true(sync3(s) > 0);
	run(s, 50);
	assert_int_equal(s->f.ncmds, 1);
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run(s, 50);
	assert_int_equal(s->f.ncmds, 1); /* nothing beside the sync's command */
	release(&s->f);
	run_until(s, &s->reads, 1, &s->syncs, 2);
	assert_string_equal(s->f.cmds[0], "show servers state be");
	assert_string_equal(s->f.cmds[1], "show stat be 4 -1");
	assert_true(strncmp(s->f.cmds[2], "add server be/web-1 ", 20) == 0);
	assert_true(s->read_ok && s->sync_ok);
	assert_int_equal(s->f.max_open, 1);
}

/* A sync asked while a read is on the wire sends its first command once the read
 * answered. */
static void
test_sync_waits_for_read(void **state)
{
	struct side *s = *state;

	sync_and_wait(s);
	s->f.ncmds = 0;
	s->f.hold = "show stat";
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run(s, 50);
	assert_true(sync3(s) > 0);
	run(s, 50);
	assert_int_equal(s->f.ncmds, 1);
	assert_string_equal(s->f.cmds[0], "show stat be 4 -1");
	release(&s->f);
	run_until(s, &s->reads, 1, &s->syncs, 2);
	assert_string_equal(s->f.cmds[1], "show servers state be");
	assert_true(s->read_ok && s->sync_ok);
	assert_int_equal(s->f.max_open, 1);
}

/* HAProxy's error, and no socket: !ok, no rows; the next read may go. */
static void
test_read_fails(void **state)
{
	struct side *s = *state;

	sync_and_wait(s);
	snprintf(s->f.stat, 65536, "No such proxy.\n\n");
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run_until(s, &s->reads, 1, NULL, 0);
	assert_false(s->read_ok);
	assert_int_equal(s->nrows, 0);
	s->hc.socket = "/nonexistent/admin.sock";
	sync3(s);
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run_until(s, &s->reads, 2, NULL, 0);
	assert_false(s->read_ok);
}

/* Destroyed with a read on the wire: no answer. */
static void
test_destroy_in_flight(void **state)
{
	struct side *s = *state;

	sync_and_wait(s);
	s->f.hold = "show stat";
	assert_int_equal(lb_haproxy_ops.traffic(s->impl, on_read, s), 0);
	run(s, 50);
	assert_int_equal(count_prefix(&s->f, "show stat"), 1);
	lb_haproxy_ops.destroy(s->impl);
	s->impl = lb_haproxy_ops.create(&s->l, NULL, "web", on_sync, s);
	release(&s->f);
	run(s, 50);
	assert_int_equal(s->reads, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_before_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_waits_for_one_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_waits_for_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_in_flight, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
