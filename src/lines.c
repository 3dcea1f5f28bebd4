/* lines.c: a byte stream cut into lines of bounded length, pure: no I/O, no logging. */
#include "lines.h"

#include <stdlib.h>
#include <string.h>

int
lines_init(struct lines *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->buf = malloc(max > 0 ? max : 1);
	l->max = max;
	return l->buf != NULL ? 0 : -1;
}

void
lines_fini(struct lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

void
lines_reset(struct lines *l)
{
	l->len = 0;
	l->skip = false;
}

int
lines_feed(struct lines *l, const char *data, size_t len, lines_cb cb, void *arg)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t seg = nl != NULL ? (size_t)(nl - data) : len;

		if (l->skip) {
			/* inside an oversized line: drop bytes up to its end */
		} else if (seg > l->max - l->len) {
			l->dropped++;
			l->skip = true;
			l->len = 0;
		} else if (nl != NULL && l->len == 0) {
			/* Whole line in this chunk: no copy. */
			if (cb(arg, data, seg) == -1)
				return -1;
		} else {
			memcpy(l->buf + l->len, data, seg);
			l->len += seg;
			if (nl != NULL) {
				size_t n = l->len;

				l->len = 0; /* a stop in cb leaves no partial line behind */
				if (cb(arg, l->buf, n) == -1)
					return -1;
			}
		}
		if (nl != NULL) {
			l->skip = false;
			seg++;
		}
		data += seg;
		len -= seg;
	}
	return 0;
}

const char *
lines_rest(const struct lines *l, size_t *len)
{
	if (l->skip || l->len == 0)
		return NULL;
	*len = l->len;
	return l->buf;
}
