/* log.h: leveled logging to stderr, journald-aware (SPEC §4.13). */
#ifndef DOCKSCALE_LOG_H
#define DOCKSCALE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>
#include <time.h>

enum log_mode {
	LOG_MODE_PLAIN = 0,   /* pipe or file: bare lines */
	LOG_MODE_JOURNAL = 1, /* stderr is the journal stream: "<N>" prefixes */
	LOG_MODE_TTY = 2,     /* terminal: timestamp and level name */
};

/* Pick the mode from stderr and $JOURNAL_STREAM; set the threshold priority. */
void log_init(int level);
void log_set_level(int level);
int log_get_level(void);
enum log_mode log_mode_detect(int fd, const char *journal_stream);

/* Parse "debug|info|notice|warning|err" into a syslog priority, -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(int prio);

/* Render one line (without newline) into buf; returns its length or -1 on truncation.
 * Pure, for tests. */
int log_format(char *buf, size_t len, enum log_mode mode, int prio,
    const struct timespec *now, const char *msg);

/* src made safe for one log line, into dst (n bytes): CR and LF become spaces; every
 * other control byte (C0, DEL, UTF-8 encoded C1) and every byte of invalid UTF-8
 * becomes "\xNN"; valid UTF-8 is kept. Cut with "..." at a character boundary when dst
 * is too small. Returns the length written. Pure, for tests. */
size_t log_escape(char *dst, size_t n, const char *src);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_err(...)     log_msg(LOG_ERR, __VA_ARGS__)

#endif
