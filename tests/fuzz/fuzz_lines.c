/* fuzz_lines.c: libFuzzer target for the event stream: chunks -> lines.c -> docker_parse_event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small, so that dropping oversized lines is exercised; the daemon uses 64 KiB. */
#define MAX 64

struct ref {
	const uint8_t *stream; /* the whole stream, to check each line against */
	size_t len, pos;       /* where the next expected line starts */
};

/* The line lines.c hands over must be the next line of the stream that is at most MAX
 * bytes: skip the longer ones, as the splitter must. */
static int
on_line(void *arg, const char *line, size_t len)
{
	struct ref *r = arg;
	struct docker_event ev;

	for (;;) {
		const uint8_t *nl = memchr(r->stream + r->pos, '\n', r->len - r->pos);
		size_t n;

		if (nl == NULL)
			__builtin_trap(); /* a line the stream does not complete */
		n = (size_t)(nl - (r->stream + r->pos));
		if (n <= MAX) {
			if (n != len || memcmp(r->stream + r->pos, line, len) != 0)
				__builtin_trap();
			r->pos += n + 1;
			break;
		}
		r->pos += n + 1;
	}
	(void)docker_parse_event(line, len, &ev);
	return 0;
}

/* The input: one byte of chunk size seed, then the stream, fed in chunks of pseudo-
 * random sizes so boundaries fall everywhere. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lines l;
	struct ref r;
	uint32_t seed;
	size_t off = 0, rest_len = 0;
	const char *rest;

	if (size < 1 || lines_init(&l, MAX) != 0)
		return 0;
	seed = data[0] | 1u;
	r.stream = data + 1;
	r.len = size - 1;
	r.pos = 0;
	while (off < r.len) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 97;
		if (n > r.len - off)
			n = r.len - off;
		if (lines_feed(&l, (const char *)r.stream + off, n, on_line, &r) != 0)
			__builtin_trap();
		off += n;
	}
	/* What is left is the unterminated tail, unless it is too long to keep. */
	rest = lines_rest(&l, &rest_len);
	for (;;) {
		const uint8_t *nl = memchr(r.stream + r.pos, '\n', r.len - r.pos);

		if (nl == NULL)
			break;
		if ((size_t)(nl - (r.stream + r.pos)) <= MAX)
			__builtin_trap(); /* a line that should have been handed over */
		r.pos = (size_t)(nl - r.stream) + 1;
	}
	if (r.len - r.pos <= MAX && r.len > r.pos) {
		if (rest == NULL || rest_len != r.len - r.pos ||
		    memcmp(rest, r.stream + r.pos, rest_len) != 0)
			__builtin_trap();
	} else if (rest != NULL) {
		__builtin_trap();
	}
	lines_fini(&l);
	return 0;
}
