/* lines.h: a byte stream cut into lines of bounded length (the Docker event stream). */
#ifndef DOCKSCALE_LINES_H
#define DOCKSCALE_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lines {
	char *buf;        /* the partial line carried across chunks: max bytes */
	size_t len;
	size_t max;       /* longest line kept, without its '\n' */
	bool skip;        /* discarding an oversized line up to its newline */
	uint64_t dropped; /* oversized lines dropped so far */
};

/* Called for each complete line, without its '\n' (a '\r' before it stays); line is
 * valid only during the call. Returning -1 stops lines_feed at once. */
typedef int (*lines_cb)(void *arg, const char *line, size_t len);

/* 0, or -1 when the buffer cannot be allocated. */
int lines_init(struct lines *l, size_t max);
void lines_fini(struct lines *l);
/* Forget any partial line (a new stream begins). */
void lines_reset(struct lines *l);
/* Split the next chunk of the stream: cb for every line it completes; a line longer
 * than max is dropped whole (counted in dropped) and the stream goes on after its
 * newline. Returns 0, or -1 as soon as cb does. */
int lines_feed(struct lines *l, const char *data, size_t len, lines_cb cb, void *arg);
/* The partial line at the end of a stream (an error body has no newline), or NULL. */
const char *lines_rest(const struct lines *l, size_t *len);

#endif
