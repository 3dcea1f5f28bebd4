/* buf.h: a growable byte buffer for rendered text (metrics, upstream files). */
#ifndef DOCKSCALE_BUF_H
#define DOCKSCALE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;       /* always NUL-terminated when non-NULL */
	size_t len, cap;
	bool oom;      /* an append failed: the content is incomplete */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
int buf_append(struct buf *b, const char *s, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the string to the caller (NULL after an allocation failure). */
char *buf_steal(struct buf *b, size_t *len);

#endif
