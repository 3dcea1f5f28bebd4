/* loop.h: a small epoll event loop: fd watchers and one-shot timers. */
#ifndef DOCKSCALE_LOOP_H
#define DOCKSCALE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_cb)(struct loop *l, struct loop_io *io, uint32_t events);
typedef void (*loop_timer_cb)(struct loop *l, struct loop_timer *t);

/* Watchers and timers are owned by the caller and embedded in its structs; the loop
 * only links them. `arg` is the caller's. */
struct loop_io {
	int fd;
	uint32_t events;  /* EPOLLIN | EPOLLOUT ... */
	loop_io_cb cb;
	void *arg;
	bool active;
};

struct loop_timer {
	int64_t when;     /* monotonic ms */
	loop_timer_cb cb;
	void *arg;
	size_t heap_idx;  /* position in the heap; SIZE_MAX when not armed */
};

struct loop {
	int epfd;
	bool stop;
	bool running;               /* inside loop_run: nothing may block */
	int64_t now;                /* cached monotonic ms, refreshed every iteration */
	struct loop_timer **heap;   /* min-heap on `when` */
	size_t nheap, capheap;
	struct epoll_event *pending; /* the batch being dispatched (for safe removal) */
	int npending, ipending;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);

void loop_io_init(struct loop_io *io, int fd, loop_io_cb cb, void *arg);
int loop_io_start(struct loop *l, struct loop_io *io, uint32_t events);
int loop_io_modify(struct loop *l, struct loop_io *io, uint32_t events);
void loop_io_stop(struct loop *l, struct loop_io *io);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg);
/* (Re)arm t to fire once after ms milliseconds. */
int loop_timer_start(struct loop *l, struct loop_timer *t, int64_t ms);
void loop_timer_stop(struct loop *l, struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

int64_t loop_now(struct loop *l);
int64_t loop_clock_ms(void);
/* A fresh monotonic reading in microseconds (for measurements, not timers). */
int64_t loop_clock_us(void);

/* Run until loop_break(); one iteration waits at most until the next timer. */
int loop_run(struct loop *l);
void loop_break(struct loop *l);

#endif
