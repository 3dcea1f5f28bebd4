/* test_log.c: line rendering per mode, level names and journal-stream detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void
test_journal_prefix(void **state)
{
	static const struct { int prio; const char *want; } cases[] = {
		{ LOG_ERR, "<3>boom" }, { LOG_WARNING, "<4>boom" }, { LOG_NOTICE, "<5>boom" },
		{ LOG_INFO, "<6>boom" }, { LOG_DEBUG, "<7>boom" },
	};
	struct timespec ts = { 0 };
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(log_format(buf, sizeof(buf), LOG_MODE_JOURNAL, cases[i].prio, &ts,
		    "boom"), (int)strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_tty_has_timestamp_and_level(void **state)
{
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	char buf[128];

	setenv("TZ", "UTC", 1);
	tzset();
	assert_true(log_format(buf, sizeof(buf), LOG_MODE_TTY, LOG_WARNING, &ts, "hi") > 0);
	assert_string_equal(buf, "2023-11-14 22:13:20.123 warning hi");
}

static void
test_plain_and_truncation(void **state)
{
	struct timespec ts = { 0 };
	char buf[16];

	assert_true(log_format(buf, sizeof(buf), LOG_MODE_PLAIN, LOG_INFO, &ts, "ok") > 0);
	assert_string_equal(buf, "info: ok");
	assert_int_equal(log_format(buf, 8, LOG_MODE_PLAIN, LOG_INFO, &ts, "too long"), -1);
}

static void
test_level_parse(void **state)
{
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("info"), LOG_INFO);
	assert_int_equal(log_level_parse("notice"), LOG_NOTICE);
	assert_int_equal(log_level_parse("warning"), LOG_WARNING);
	assert_int_equal(log_level_parse("err"), LOG_ERR);
	assert_int_equal(log_level_parse("error"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse("INFO"), -1);
	assert_string_equal(log_level_name(LOG_ERR), "err");
	assert_string_equal(log_level_name(42), "?");
}

static void
test_mode_detect(void **state)
{
	char path[] = "/tmp/dslogXXXXXX", js[64];
	struct stat st;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	assert_int_equal(log_mode_detect(fd, js), LOG_MODE_JOURNAL);
	/* A stale or foreign JOURNAL_STREAM is not our stderr. */
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + 1);
	assert_int_equal(log_mode_detect(fd, js), LOG_MODE_PLAIN);
	assert_int_equal(log_mode_detect(fd, "garbage"), LOG_MODE_PLAIN);
	assert_int_equal(log_mode_detect(fd, "1:2x"), LOG_MODE_PLAIN);
	assert_int_equal(log_mode_detect(fd, NULL), LOG_MODE_PLAIN);
	assert_int_equal(log_mode_detect(-1, NULL), LOG_MODE_PLAIN);
	close(fd);
	unlink(path);
}

static void
test_threshold(void **state)
{
	log_set_level(LOG_WARNING);
	assert_int_equal(log_get_level(), LOG_WARNING);
	log_set_level(99); /* out of range falls back to info */
	assert_int_equal(log_get_level(), LOG_INFO);
}

/* doc/operating.md, "Logging": every control byte and invalid UTF-8 reaches the log
 * escaped. */
static void
test_escape(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain text", "plain text" },
		{ "alert \x1b[31mRed\x1b[0m", "alert \\x1b[31mRed\\x1b[0m" },
		{ "a\nb\rc", "a b c" },
		{ "tab\there", "tab\\x09here" },
		{ "bell\x07 del\x7f", "bell\\x07 del\\x7f" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "c1 \xc2\x9b csi", "c1 \\xc2\\x9b csi" },
		{ "lone \xff \x80", "lone \\xff \\x80" },
		{ "overlong \xc0\xaf", "overlong \\xc0\\xaf" },
		{ "surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80" },
		{ "cut \xe2\x82", "cut \\xe2\\x82" },
		{ "too big \xf4\x90\x80\x80", "too big \\xf4\\x90\\x80\\x80" },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(log_escape(buf, sizeof(buf), cases[i].in), strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_escape_truncates_whole(void **state)
{
	char buf[12];

	/* An escape is never cut in half, and a cut line says so. */
	assert_int_equal(log_escape(buf, sizeof(buf), "abcd\x1b\x1b\x1bxyz"), 11);
	assert_string_equal(buf, "abcd\\x1b...");
	assert_int_equal(log_escape(buf, sizeof(buf), "abcdefghijk"), 11);
	assert_string_equal(buf, "abcdefghijk");
	assert_int_equal(log_escape(buf, sizeof(buf), "abcdefghijkl"), 11);
	assert_string_equal(buf, "abcdefgh...");
	/* a multibyte character is kept whole or not at all */
	assert_int_equal(log_escape(buf, sizeof(buf), "abcdef\xe2\x82\xacxyz"), 9);
	assert_string_equal(buf, "abcdef...");
}

/* log_vmsg itself escapes: what reaches stderr has no raw control byte. */
static void
test_vmsg_escapes(void **state)
{
	char path[] = "/tmp/dslogXXXXXX", got[256];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_set_level(LOG_INFO);
	log_msg(LOG_WARNING, "alertname %s", "Rel\x1b]0;pwned\x07Up");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, got, sizeof(got) - 1, 0);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "warning: alertname Rel\\x1b]0;pwned\\x07Up\n");
	close(fd);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_tty_has_timestamp_and_level),
		cmocka_unit_test(test_plain_and_truncation),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_mode_detect),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_truncates_whole),
		cmocka_unit_test(test_vmsg_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
