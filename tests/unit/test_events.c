/* test_events.c: the event ring: ids, order, filtering, wrap-around, the add hook. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "events.h"

static void
test_order_and_since(void **state)
{
	struct events e;
	const struct event *out[8];
	size_t n;

	(void)state;
	events_init(&e, 4);
	assert_int_equal(events_oldest(&e), 0);
	assert_int_equal(events_since(&e, 0, NULL, out, 8), 0);
	assert_int_equal(events_add(&e, EV_DECISION, "web", "scaled %d->%d", 1, 2), 1);
	assert_int_equal(events_add(&e, EV_REPLICA, "api", "created"), 2);
	assert_int_equal(events_add(&e, EV_RELOAD, NULL, "reloaded"), 3);
	n = events_since(&e, 0, NULL, out, 8);
	assert_int_equal(n, 3);
	assert_string_equal(out[0]->msg, "scaled 1->2");
	assert_string_equal(out[0]->service, "web");
	assert_string_equal(out[2]->service, "");
	assert_true(out[0]->unix_ms > 0);
	n = events_since(&e, 1, NULL, out, 8);
	assert_int_equal(n, 2);
	assert_int_equal(out[0]->id, 2);
	n = events_since(&e, 0, "web", out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->type, EV_DECISION);
	n = events_since(&e, 0, NULL, out, 2);
	assert_int_equal(n, 2);
	assert_int_equal(out[1]->id, 2);
	events_fini(&e);
}

static void
test_wrap(void **state)
{
	struct events e;
	const struct event *out[8];
	size_t n;

	(void)state;
	events_init(&e, 3);
	for (int i = 1; i <= 7; i++)
		events_add(&e, EV_REPLICA, "web", "step %d", i);
	assert_int_equal(events_oldest(&e), 5);
	n = events_since(&e, 0, NULL, out, 8);
	assert_int_equal(n, 3);
	assert_string_equal(out[0]->msg, "step 5");
	assert_string_equal(out[2]->msg, "step 7");
	n = events_since(&e, 6, NULL, out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->id, 7);
	events_fini(&e);
}

static void
test_escape_and_cut(void **state)
{
	struct events e;
	const struct event *out[1];
	char big[1000];

	(void)state;
	events_init(&e, 2);
	events_add(&e, EV_ALERT, "web", "a\nb\x01");
	assert_int_equal(events_since(&e, 0, NULL, out, 1), 1);
	assert_string_equal(out[0]->msg, "a b\\x01");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	events_add(&e, EV_ALERT, "web", "%s", big);
	assert_int_equal(events_since(&e, 1, NULL, out, 1), 1);
	assert_true(strlen(out[0]->msg) <= EVENT_MSG_MAX);
	assert_non_null(strstr(out[0]->msg, "..."));
	events_fini(&e);
}

static void
on_add(void *arg, const struct event *ev)
{
	uint64_t *seen = arg;

	*seen = ev->id;
}

static void
test_hook_and_types(void **state)
{
	struct events e;
	uint64_t seen = 0;

	(void)state;
	events_init(&e, 2);
	assert_int_equal(events_listen(&e, on_add, &seen), 0);
	events_add(&e, EV_WAKE, "web", "woken");
	assert_int_equal(seen, 1);
	for (int t = 0; t < EV_TYPES; t++)
		assert_int_equal(events_type_parse(events_type_name(t)), t);
	assert_int_equal(events_type_parse("nope"), -1);
	events_fini(&e);
}

static void
on_none(void *arg, const struct event *ev)
{
	(void)arg;
	(void)ev;
}

static void
on_add2(void *arg, const struct event *ev)
{
	uint64_t *seen = arg;

	*seen += ev->failure ? 100 : 1;
}

/* Several listeners each get every event; a slot is freed by events_unlisten; the
 * failure flag comes with events_fail only. */
static void
test_listeners(void **state)
{
	struct events e;
	uint64_t a = 0, b = 0;

	(void)state;
	events_init(&e, 4);
	assert_true(events_may_listen(&e, on_add2));
	assert_int_equal(events_listen(&e, on_add, &a), 0);
	assert_int_equal(events_listen(&e, on_add2, &b), 0);
	assert_ptr_equal(events_listener(&e, on_add2), &b);
	events_add(&e, EV_RELOAD, NULL, "reloaded");
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
	events_fail(&e, LOG_ERR, EV_RELOAD, NULL, "reload refused");
	assert_int_equal(a, 2);
	assert_int_equal(b, 101);
	events_unlisten(&e, on_add);
	assert_null(events_listener(&e, on_add));
	events_add(&e, EV_RELOAD, NULL, "again");
	assert_int_equal(a, 2);
	assert_int_equal(b, 102);
	/* the same cb again keeps its one slot; the slots run out at EVENTS_LISTENERS */
	assert_int_equal(events_listen(&e, on_add2, &a), 0);
	assert_ptr_equal(events_listener(&e, on_add2), &a);
	for (int i = 0; i < EVENTS_LISTENERS; i++) {
		if (e.listeners[i].cb == NULL) {
			e.listeners[i].cb = on_add;
			e.listeners[i].arg = &a;
		}
	}
	assert_false(events_may_listen(&e, on_none));
	assert_int_equal(events_listen(&e, on_none, NULL), -1);
	assert_true(events_may_listen(&e, on_add2));
	events_fini(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_since),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_escape_and_cut),
		cmocka_unit_test(test_hook_and_types),
		cmocka_unit_test(test_listeners),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
