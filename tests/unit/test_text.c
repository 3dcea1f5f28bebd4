/* test_text.c: bounded messages: cut with "...", never overrun, peer bytes made safe. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "text.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void fmt(char *dst, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void
fmt(char *dst, size_t n, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	text_vformat(dst, n, f, ap);
	va_end(ap);
}

static void
test_format(void **state)
{
	char buf[8];

	(void)state;
	fmt(buf, sizeof(buf), "%s", "short");
	assert_string_equal(buf, "short");
	fmt(buf, sizeof(buf), "%d", 1234567); /* exactly fits */
	assert_string_equal(buf, "1234567");
	fmt(buf, sizeof(buf), "%d", 12345678);
	assert_string_equal(buf, "1234...");
	memset(buf, 'x', sizeof(buf));
	fmt(buf, 3, "%s", "abcdef"); /* too small for the mark: cut plain */
	assert_string_equal(buf, "ab");
	assert_int_equal(buf[3], 'x');
	fmt(NULL, 0, "%s", "nothing"); /* no room at all is not a crash */
	fmt(buf, 0, "%s", "nothing");
	assert_int_equal(buf[0], 'a');
}

static void
test_echo(void **state)
{
	static const struct {
		size_t n;
		const char *src, *drop, *want;
	} cases[] = {
		{ 16, "plain", NULL, "plain" },
		{ 16, "", NULL, "" },
		{ 16, "tab\there\nnl", NULL, "tab?here?nl" },
		{ 16, "caf\xc3\xa9", NULL, "caf??" },
		{ 16, "a\"b\\c", NULL, "a\"b\\c" },
		{ 16, "a\"b\\c", "\"\\", "a?b?c" },
		{ 6, "12345", NULL, "12345" },       /* exactly fits */
		{ 6, "123456", NULL, "12..." },      /* one too many */
		{ 8, "0123456789", NULL, "0123..." },
		{ 4, "abc", NULL, "abc" },
		{ 4, "abcd", NULL, "..." },
		{ 3, "ab", NULL, "ab" },
		{ 3, "abc", NULL, "" },              /* no room for a cut mark */
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		memset(buf, 'x', sizeof(buf));
		assert_ptr_equal(text_echo(buf, cases[i].n, cases[i].src, cases[i].drop), buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf, cases[i].want);
		assert_int_equal(buf[cases[i].n], 'x'); /* nothing past n */
	}
	buf[0] = 'x';
	text_echo(buf, 0, "abc", NULL);
	assert_int_equal(buf[0], 'x');
}

/* Messages go into JSON answers: never invalid UTF-8, whatever the arguments held
 * (a percent-decoded path "%ff" was echoed back as the byte 0xff), and a cut never
 * leaves half a character. */
static void
test_format_utf8(void **state)
{
	static const struct {
		const char *arg;
		size_t n;
		const char *want;
	} cases[] = {
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xff\xfe" "b", 64, "a??b" },
		{ "/x\xc0\xaf", 64, "/x??" },           /* overlong */
		{ "\xed\xa0\x80", 64, "???" },            /* a surrogate */
		{ "\xf4\x90\x80\x80", 64, "????" },       /* above U+10FFFF */
		{ "\xe2\x82", 64, "??" },                  /* cut short */
		{ "ab\xe2\x82\xac\xe2\x82\xac", 8, "ab??..." }, /* the mark splits a character */
		{ "\x80", 64, "?" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		fmt(buf, cases[i].n, "%s", cases[i].arg);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, buf, cases[i].want);
	}
	assert_int_equal(text_utf8_seq("a", 1), 1);
	assert_int_equal(text_utf8_seq("\xc3\xa9", 2), 2);
	assert_int_equal(text_utf8_seq("\xc3\xa9", 1), 0);
	assert_int_equal(text_utf8_seq("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(text_utf8_seq("", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_utf8),
		cmocka_unit_test(test_echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
