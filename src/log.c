/* log.c: one line per event on stderr, with journald priorities or tty timestamps. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

/* Process-wide like syslog(3) itself: set once at start-up and on reload, read by
 * every module that logs (as in OpenBSD's log.c); the daemon's one file-scope state. */
static struct {
	int level;
	enum log_mode mode;
} logstate = { LOG_INFO, LOG_MODE_PLAIN };

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

enum log_mode
log_mode_detect(int fd, const char *journal_stream)
{
	struct stat st;
	unsigned long long dev, ino;
	char *end;

	if (fstat(fd, &st) == -1)
		return LOG_MODE_PLAIN;
	/* JOURNAL_STREAM is inherited by children too: only trust it when it names our
	 * own stderr, or a redirected daemon would print priorities into a file. */
	if (journal_stream != NULL) {
		errno = 0;
		dev = strtoull(journal_stream, &end, 10);
		if (errno == 0 && end != journal_stream && *end == ':') {
			const char *p = end + 1;

			ino = strtoull(p, &end, 10);
			if (errno == 0 && end != p && *end == '\0' &&
			    (unsigned long long)st.st_dev == dev &&
			    (unsigned long long)st.st_ino == ino)
				return LOG_MODE_JOURNAL;
		}
	}
	if (isatty(fd))
		return LOG_MODE_TTY;
	return LOG_MODE_PLAIN;
}

void
log_init(int level)
{
	logstate.mode = log_mode_detect(STDERR_FILENO, getenv("JOURNAL_STREAM"));
	log_set_level(level);
}

void
log_set_level(int level)
{
	if (level < LOG_EMERG || level > LOG_DEBUG)
		level = LOG_INFO;
	logstate.level = level;
}

int
log_get_level(void)
{
	return logstate.level;
}

int
log_level_parse(const char *s)
{
	static const int accepted[] = { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR };

	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		if (strcmp(s, level_names[accepted[i]]) == 0)
			return accepted[i];
	return -1;
}

const char *
log_level_name(int prio)
{
	if (prio < LOG_EMERG || prio > LOG_DEBUG)
		return "?";
	return level_names[prio];
}

int
log_format(char *buf, size_t len, enum log_mode mode, int prio,
    const struct timespec *now, const char *msg)
{
	struct tm tm;
	int n;

	switch (mode) {
	case LOG_MODE_JOURNAL:
		n = snprintf(buf, len, "<%d>%s", prio, msg);
		break;
	case LOG_MODE_TTY:
		if (localtime_r(&now->tv_sec, &tm) == NULL)
			return -1;
		n = snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03ld %-7s %s",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, now->tv_nsec / 1000000L, log_level_name(prio), msg);
		break;
	default:
		n = snprintf(buf, len, "%s: %s", log_level_name(prio), msg);
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char msg[2048], line[2200];
	struct timespec now;
	int saved = errno, n;

	if (prio > logstate.level)
		return;
	text_vformat(msg, sizeof(msg), fmt, ap); /* keeps the head of an over-long line */
	/* One record per line: an embedded newline would split a journal entry. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	clock_gettime(CLOCK_REALTIME, &now);
	n = log_format(line, sizeof(line) - 1, logstate.mode, prio, &now, msg);
	if (n < 0)
		n = (int)strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	/* A single write keeps lines whole when children share stderr. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}
