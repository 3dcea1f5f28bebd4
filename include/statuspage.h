/* statuspage.h: src/statuspage.html, compiled in (build/gen/statuspage.c, made by the Makefile). */
#ifndef DOCKSCALE_STATUSPAGE_H
#define DOCKSCALE_STATUSPAGE_H

#include <stddef.h>

extern const unsigned char statuspage_html[];
extern const size_t statuspage_html_len;

#endif
