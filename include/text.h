/* text.h: bounded messages, safe to log and to answer with, from untrusted strings. */
#ifndef DOCKSCALE_TEXT_H
#define DOCKSCALE_TEXT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into dst (n bytes). A message too long for dst is still worth having, so it is
 * cut and ends in "..." instead of failing. The result is valid UTF-8: bytes that are
 * not part of a well-formed sequence become '?'. */
void text_vformat(char *dst, size_t n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void text_format(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* src for a message, in dst (n bytes): printable ASCII only, so that a log line stays
 * one line whatever a peer sent; bytes that are not, and those in drop (may be NULL),
 * become '?'. Cut with "..." when too long: size dst for what a message can afford to
 * echo. Returns dst. */
const char *text_echo(char *dst, size_t n, const char *src, const char *drop);

/* Length of the well-formed UTF-8 sequence at s (n bytes available; RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF): 1 for ASCII, 0 if none. */
size_t text_utf8_seq(const char *s, size_t n);

#endif
