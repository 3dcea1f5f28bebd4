/* statuspage.h: src/statuspage.{html,css,js}, compiled in (build/gen/statuspage.c, made by
 * the Makefile). */
#ifndef DOCKSCALE_STATUSPAGE_H
#define DOCKSCALE_STATUSPAGE_H

#include <stddef.h>

extern const unsigned char statuspage_html[];
extern const size_t statuspage_html_len;
extern const unsigned char statuspage_css[];
extern const size_t statuspage_css_len;
extern const unsigned char statuspage_js[];
extern const size_t statuspage_js_len;

#endif
