/* test_loop.c: timer ordering and cancellation, fd dispatch, safe removal mid-batch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

struct rec {
	int order[32];
	int n;
};

struct tagged {
	struct loop_timer t;
	struct rec *rec;
	int tag;
};

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct tagged *x = t->arg;

	x->rec->order[x->rec->n++] = x->tag;
	if (x->tag == 0)
		loop_break(l);
}

static void
test_timers_fire_in_deadline_order(void **state)
{
	static const int delays[] = { 30, 5, 20, 1, 10, 25, 15 };
	struct tagged tm[8];
	struct loop l;
	struct rec rec = { 0 };

	assert_int_equal(loop_init(&l), 0);
	for (int i = 0; i < 7; i++) {
		tm[i].rec = &rec;
		tm[i].tag = delays[i];
		loop_timer_init(&tm[i].t, on_timer, &tm[i]);
		loop_timer_start(&l, &tm[i].t, delays[i]);
	}
	/* Cancel one, re-arm another later: both must be honoured. */
	loop_timer_stop(&l, &tm[2].t);                 /* 20 never fires */
	assert_false(loop_timer_armed(&tm[2].t));
	loop_timer_start(&l, &tm[1].t, 28);            /* 5 moves after 25 */
	tm[7].rec = &rec;
	tm[7].tag = 0;
	loop_timer_init(&tm[7].t, on_timer, &tm[7]);
	loop_timer_start(&l, &tm[7].t, 60);
	assert_int_equal(loop_run(&l), 0);
	int want[] = { 1, 10, 15, 25, 5, 30, 0 };
	assert_int_equal(rec.n, 7);
	assert_memory_equal(rec.order, want, sizeof(want));
	loop_fini(&l);
}

struct pipeio {
	struct loop_io io;
	struct pipeio *other;
	int hits;
};

static void
on_read(struct loop *l, struct loop_io *io, uint32_t ev)
{
	struct pipeio *p = io->arg;
	char c;

	p->hits++;
	assert_int_equal(read(io->fd, &c, 1), 1);
	/* Stopping the other watcher must drop its pending event from this batch. */
	loop_io_stop(l, &p->other->io);
	loop_break(l);
}

static void
test_io_dispatch_and_removal_in_batch(void **state)
{
	struct loop l;
	int a[2], b[2];
	struct pipeio pa = { 0 }, pb = { 0 };

	assert_int_equal(loop_init(&l), 0);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pa.other = &pb;
	pb.other = &pa;
	loop_io_init(&pa.io, a[0], on_read, &pa);
	loop_io_init(&pb.io, b[0], on_read, &pb);
	assert_int_equal(loop_io_start(&l, &pa.io, EPOLLIN), 0);
	assert_int_equal(loop_io_start(&l, &pb.io, EPOLLIN), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "y", 1), 1);
	assert_int_equal(loop_run(&l), 0);
	assert_int_equal(pa.hits + pb.hits, 1);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	loop_fini(&l);
}

static void
test_many_timers_heap(void **state)
{
	enum { N = 500 };
	struct tagged *tm = calloc(N + 1, sizeof(*tm));
	struct loop l;
	struct rec rec = { 0 };

	assert_non_null(tm);
	assert_int_equal(loop_init(&l), 0);
	for (int i = 0; i < N; i++) {
		tm[i].rec = &rec;
		tm[i].tag = i + 1;
		loop_timer_init(&tm[i].t, on_timer, &tm[i]);
		loop_timer_start(&l, &tm[i].t, 1000 + (i * 7919) % 1000);
	}
	for (int i = 0; i < N; i++)
		loop_timer_stop(&l, &tm[i].t);
	assert_int_equal(l.nheap, 0);
	for (int i = 0; i < N; i++)
		assert_false(loop_timer_armed(&tm[i].t));
	loop_fini(&l);
	free(tm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_io_dispatch_and_removal_in_batch),
		cmocka_unit_test(test_many_timers_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
