/* test_lines.c: the event stream cut into lines, whatever the chunk boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lines.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct seen {
	char out[256]; /* the lines, each followed by '|' */
	int calls, stop_at;
};

static int
on_line(void *arg, const char *line, size_t len)
{
	struct seen *s = arg;
	size_t n = strlen(s->out);

	assert_null(memchr(line, '\n', len));
	assert_true(n + len + 2 <= sizeof(s->out));
	memcpy(s->out + n, line, len);
	s->out[n + len] = '|';
	s->out[n + len + 1] = '\0';
	return ++s->calls == s->stop_at ? -1 : 0;
}

/* Chunks are separated by '#' in the input; lines longer than 8 bytes are dropped. */
static void
test_split(void **state)
{
	static const struct {
		const char *chunks, *lines, *rest;
		uint64_t dropped;
	} cases[] = {
		{ "a\nb\n", "a|b|", NULL, 0 },
		{ "a#\nb\n", "a|b|", NULL, 0 },
		{ "ab#cd#ef\n", "abcdef|", NULL, 0 },
		{ "\n\n", "||", NULL, 0 },
		{ "a\r\n", "a\r|", NULL, 0 },                 /* the '\r' is the caller's */
		{ "abc", "", "abc", 0 },                      /* an error body: no newline */
		{ "x\nabc", "x|", "abc", 0 },
		{ "12345678\n", "12345678|", NULL, 0 },       /* exactly max */
		{ "123456789\nok\n", "ok|", NULL, 1 },        /* one over, in one chunk */
		{ "1234#5678#9\nok\n", "ok|", NULL, 1 },      /* one over, across chunks */
		{ "123456789#more#\nok\n", "ok|", NULL, 1 },  /* skipping spans chunks */
		{ "123456789", "", NULL, 1 },                 /* no rest from a dropped line */
		{ "1234#56789\n1234#56789\nz\n", "z|", NULL, 2 },
		{ "", "", NULL, 0 },
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct lines l;
		struct seen s = { .out = "" };
		const char *p = cases[i].chunks, *rest;
		size_t rlen = 0;

		assert_int_equal(lines_init(&l, 8), 0);
		for (;;) {
			const char *h = strchr(p, '#');
			size_t n = h != NULL ? (size_t)(h - p) : strlen(p);

			assert_int_equal(lines_feed(&l, p, n, on_line, &s), 0);
			if (h == NULL)
				break;
			p = h + 1;
		}
		if (strcmp(s.out, cases[i].lines) != 0)
			fail_msg("case %zu: lines \"%s\", want \"%s\"", i, s.out, cases[i].lines);
		assert_int_equal(l.dropped, cases[i].dropped);
		rest = lines_rest(&l, &rlen);
		if (cases[i].rest == NULL) {
			assert_null(rest);
		} else {
			assert_non_null(rest);
			assert_int_equal(rlen, strlen(cases[i].rest));
			assert_memory_equal(rest, cases[i].rest, rlen);
		}
		lines_reset(&l);
		assert_null(lines_rest(&l, &rlen));
		lines_fini(&l);
	}
}

/* A callback asking to stop stops the feed at once; reset starts a clean stream. */
static void
test_stop(void **state)
{
	struct lines l;
	struct seen s = { .out = "", .stop_at = 2 };

	assert_int_equal(lines_init(&l, 8), 0);
	assert_int_equal(lines_feed(&l, "a\nb\nc\n", 6, on_line, &s), -1);
	assert_string_equal(s.out, "a|b|");
	lines_reset(&l);
	s.stop_at = 0;
	assert_int_equal(lines_feed(&l, "d\n", 2, on_line, &s), 0);
	assert_string_equal(s.out, "a|b|d|");
	lines_fini(&l);
	lines_fini(&l); /* twice is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
