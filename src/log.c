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

/* Length of the well-formed UTF-8 sequence at s (2..4) that is not a C1 control, or 0.
 * s is NUL-terminated, so a cut sequence stops at the NUL and is not well-formed. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n = text_utf8_seq((const char *)s, 4);

	/* U+0080..U+009F: C1 controls (0x9B is CSI to some terminals). */
	if (n < 2 || (s[0] == 0xC2 && s[1] <= 0x9F))
		return 0;
	return n;
}

/* What one character of s becomes: its length in s, and its escaped length. */
static size_t
esc_len(const unsigned char *s, size_t *out)
{
	size_t len;

	if (*s < 0x20 || *s == 0x7F)
		*out = *s == '\n' || *s == '\r' ? 1 : 4;
	else if (*s < 0x80)
		*out = 1;
	else if ((len = utf8_len(s)) > 0)
		return *out = len;
	else
		*out = 4;
	return 1;
}

size_t
log_escape(char *dst, size_t n, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	static const char cut[] = "...";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, total = 0, room, len, out;

	if (n == 0)
		return 0;
	for (const unsigned char *p = s; *p != '\0'; p += len) {
		len = esc_len(p, &out);
		total += out;
	}
	/* Cut only when it does not fit, leaving room for the "...". */
	room = total < n ? n - 1 : n - 1 >= sizeof(cut) - 1 ? n - sizeof(cut) : 0;
	for (; *s != '\0'; s += len) {
		len = esc_len(s, &out);
		if (o + out > room)
			break;
		if (len == 1 && out == 4) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[*s >> 4];
			dst[o++] = hex[*s & 0xF];
		} else if (*s == '\n' || *s == '\r') {
			dst[o++] = ' ';
		} else {
			memcpy(dst + o, s, len);
			o += len;
		}
	}
	if (*s != '\0' && o + sizeof(cut) - 1 < n) {
		memcpy(dst + o, cut, sizeof(cut) - 1);
		o += sizeof(cut) - 1;
	}
	dst[o] = '\0';
	return o;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char raw[2048], msg[4096], line[4200];
	struct timespec now;
	int saved = errno, n;

	if (prio > logstate.level)
		return;
	text_vformat(raw, sizeof(raw), fmt, ap); /* keeps the head of an over-long line */
	/* Whatever a peer put in the message (an alertname, a label, nginx's output), the
	 * line stays one record and cannot drive a terminal. */
	log_escape(msg, sizeof(msg), raw);
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
