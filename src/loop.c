/* loop.c: the epoll event loop that hosts the HTTP server, libcurl and timers. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_BATCH 64

int64_t
loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
loop_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1) {
		log_err("epoll_create1: %s", strerror(errno));
		return -1;
	}
	l->now = loop_clock_ms();
	return 0;
}

void
loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free(l->heap);
	l->heap = NULL;
	l->nheap = l->capheap = 0;
}

int64_t
loop_now(struct loop *l)
{
	return l->now;
}

void
loop_break(struct loop *l)
{
	l->stop = true;
}

/* ---- fd watchers ---------------------------------------------------------------- */

void
loop_io_init(struct loop_io *io, int fd, loop_io_cb cb, void *arg)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
}

int
loop_io_start(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->active)
		return loop_io_modify(l, io, events);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev) == -1) {
		log_err("epoll_ctl add fd %d: %s", io->fd, strerror(errno));
		return -1;
	}
	io->events = events;
	io->active = true;
	return 0;
}

int
loop_io_modify(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (!io->active)
		return loop_io_start(l, io, events);
	if (io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1) {
		log_err("epoll_ctl mod fd %d: %s", io->fd, strerror(errno));
		return -1;
	}
	io->events = events;
	return 0;
}

void
loop_io_stop(struct loop *l, struct loop_io *io)
{
	if (!io->active)
		return;
	/* The fd may already be closed (curl closes before telling us): ignore errors. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->active = false;
	/* A watcher stopped (and maybe freed) by a callback must not be dispatched from
	 * the rest of the current batch. */
	for (int i = l->ipending; i < l->npending; i++)
		if (l->pending[i].data.ptr == io)
			l->pending[i].data.ptr = NULL;
}

/* ---- timers: a binary min-heap ------------------------------------------------------ */

static void
heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->when <= l->heap[i]->when)
			break;
		heap_swap(l, i, parent);
		i = parent;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, min = i;

		if (left < l->nheap && l->heap[left]->when < l->heap[min]->when)
			min = left;
		if (right < l->nheap && l->heap[right]->when < l->heap[min]->when)
			min = right;
		if (min == i)
			break;
		heap_swap(l, i, min);
		i = min;
	}
}

void
loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = SIZE_MAX;
}

bool
loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

void
loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	size_t i = t->heap_idx;

	if (i == SIZE_MAX)
		return;
	t->heap_idx = SIZE_MAX;
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	l->heap[i]->heap_idx = i;
	heap_up(l, i);
	heap_down(l, l->heap[i]->heap_idx);
}

int
loop_timer_start(struct loop *l, struct loop_timer *t, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	loop_timer_stop(l, t);
	if (l->nheap == l->capheap) {
		size_t cap = l->capheap ? l->capheap * 2 : 16;
		struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (h == NULL) {
			log_err("timer heap: out of memory");
			return -1;
		}
		l->heap = h;
		l->capheap = cap;
	}
	t->when = loop_clock_ms() + ms;
	t->heap_idx = l->nheap;
	l->heap[l->nheap++] = t;
	heap_up(l, t->heap_idx);
	return 0;
}

static void
run_timers(struct loop *l)
{
	/* Only timers due at entry: a callback that re-arms for 0 ms runs next round, so
	 * fd events are never starved. */
	int64_t now = l->now;

	while (l->nheap > 0 && l->heap[0]->when <= now && !l->stop) {
		struct loop_timer *t = l->heap[0];

		loop_timer_stop(l, t);
		t->cb(l, t);
	}
}

/* ---- the loop ------------------------------------------------------------------------ */

int
loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_BATCH];

	l->stop = false;
	l->running = true;
	while (!l->stop) {
		int timeout = -1, n;

		l->now = loop_clock_ms();
		if (l->nheap > 0) {
			int64_t d = l->heap[0]->when - l->now;

			timeout = d <= 0 ? 0 : (d > 60000 ? 60000 : (int)d);
		}
		n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			l->running = false;
			return -1;
		}
		l->now = loop_clock_ms();
		l->pending = evs;
		l->npending = n;
		for (l->ipending = 0; l->ipending < n && !l->stop;) {
			struct epoll_event *ev = &evs[l->ipending++];
			struct loop_io *io = ev->data.ptr;

			if (io != NULL)
				io->cb(l, io, ev->events);
		}
		l->pending = NULL;
		l->npending = l->ipending = 0;
		run_timers(l);
	}
	l->running = false;
	return 0;
}
