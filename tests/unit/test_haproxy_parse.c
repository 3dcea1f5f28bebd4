/* test_haproxy_parse.c: the runtime API parsers, on answers captured from HAProxy 2.6.12. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy.h"

/* tests/unit/fixtures/haproxy/: `show servers state be` (a foreign server x in maint, web-2
 * enabled then set to drain, web-3 added, still in maint), `show servers conn be` idle and
 * with one request in flight to web-2, and the answer for an unknown backend. */
static char *
slurp(const char *name, size_t *len)
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
	*len = fread(buf, 1, 65535, fp);
	fclose(fp);
	return buf;
}

static void
test_state(void **state)
{
	size_t len, n;
	char *text = slurp("state.txt", &len), why[128];
	struct haproxy_server *s;

	(void)state;
	assert_int_equal(haproxy_parse_state(text, len, "be", &s, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].name, "x");
	assert_string_equal(s[0].addr, "127.0.0.1:10");
	assert_true(s[0].admin & HAPROXY_ADMIN_MAINT);
	assert_string_equal(s[1].name, "web-2");
	assert_string_equal(s[1].addr, "127.0.0.1:9002");
	assert_int_equal(s[1].op_state, 2);
	assert_true(s[1].admin & HAPROXY_ADMIN_DRAIN);
	assert_false(s[1].admin & HAPROXY_ADMIN_MAINT);
	assert_string_equal(s[2].name, "web-3");
	assert_int_equal(s[2].cur_conns, -1);
	free(s);
	/* another backend's lines are not ours */
	assert_int_equal(haproxy_parse_state(text, len, "b", &s, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 0);
	free(s);
	free(text);
}

static void
test_state_errors(void **state)
{
	size_t len, n;
	char *text = slurp("state_nobackend.txt", &len), why[128];
	struct haproxy_server *s;
	static const char cut[] = "1\n# be_id be_name\n3 be 1 web-1 127.0.0.1 2 0\n\n";

	(void)state;
	assert_int_equal(haproxy_parse_state(text, len, "nosuch", &s, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "Can't find backend.");
	assert_int_equal(haproxy_parse_state(cut, strlen(cut), "be", &s, &n, why, sizeof(why)),
	    -1);
	assert_int_equal(haproxy_parse_state("", 0, "be", &s, &n, why, sizeof(why)), -1);
	assert_string_equal(why, "empty answer");
	free(text);
}

static void
test_conn(void **state)
{
	size_t len, n;
	char *st = slurp("state.txt", &len), *busy, *idle, why[128];
	struct haproxy_server *s;

	(void)state;
	assert_int_equal(haproxy_parse_state(st, len, "be", &s, &n, why, sizeof(why)), 0);
	busy = slurp("conn_busy.txt", &len);
	assert_int_equal(haproxy_parse_conn(busy, len, "be", s, n, why, sizeof(why)), 0);
	assert_int_equal(s[0].cur_conns, 0);
	assert_int_equal(s[1].cur_conns, 1); /* web-2 serves the request in flight */
	assert_int_equal(s[2].cur_conns, 0);
	idle = slurp("conn.txt", &len);
	assert_int_equal(haproxy_parse_conn(idle, len, "be", s, n, why, sizeof(why)), 0);
	assert_int_equal(s[1].cur_conns, 0);
	/* a backend whose name is a prefix of another's does not match it */
	s[1].cur_conns = 7;
	assert_int_equal(haproxy_parse_conn(busy, len, "b", s, n, why, sizeof(why)), 0);
	assert_int_equal(s[1].cur_conns, 7);
	assert_int_equal(haproxy_parse_conn("Can't find backend.\n\n", 21, "be", s, n, why,
	                     sizeof(why)), -1);
	assert_string_equal(why, "Can't find backend.");
	free(s);
	free(st);
	free(busy);
	free(idle);
}

static void
test_reply(void **state)
{
	char why[128];

	(void)state;
	assert_true(haproxy_reply_ok("\n", 1, why, sizeof(why)));
	assert_true(haproxy_reply_ok("", 0, why, sizeof(why)));
	assert_true(haproxy_reply_ok("New server registered.\n\n", 24, why, sizeof(why)));
	assert_true(haproxy_reply_ok("Server deleted.\n", 16, why, sizeof(why)));
	assert_false(haproxy_reply_ok("Already exists a server with the same name in backend.\n\n",
	    56, why, sizeof(why)));
	assert_string_equal(why, "Already exists a server with the same name in backend.");
	assert_false(haproxy_reply_ok(
	    "Server still has connections attached to it, cannot remove it.\n", 63, why,
	    sizeof(why)));
	assert_false(haproxy_reply_ok("No such server.\n", 16, why, sizeof(why)));
	assert_string_equal(why, "No such server.");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_state_errors),
		cmocka_unit_test(test_conn),
		cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
