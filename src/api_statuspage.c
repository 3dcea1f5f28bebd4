/* api_statuspage.c: GET / and its style and script (doc/api.md, "Status page"). */
#include <string.h>

#include "api_ops.h"
#include "dockscaled.h"
#include "statuspage.h"

/* The page loads its own two files and talks to its own API only; no inline script or
 * style, no HTML sink without Trusted Types, no frame, no form, no <base>. */
#define STATUSPAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " \
	"require-trusted-types-for 'script'; trusted-types 'none'"

struct page_file {
	const char *path;
	const char *ctype;
	const unsigned char *bytes;
	const size_t *len;
	const char *csp;        /* the page's own; its two files keep the server's default */
};

static const struct page_file files[] = {
	{ "/", "text/html; charset=utf-8", statuspage_html, &statuspage_html_len,
	  STATUSPAGE_CSP },
	{ "/statuspage.css", "text/css; charset=utf-8", statuspage_css, &statuspage_css_len,
	  NULL },
	{ "/statuspage.js", "text/javascript; charset=utf-8", statuspage_js,
	  &statuspage_js_len, NULL },
};

bool
api_statuspage_path(const char *path)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(path, files[i].path) == 0)
			return true;
	return false;
}

void
api_statuspage(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	const struct page_file *f = NULL;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && f == NULL; i++)
		if (strcmp(req->path, files[i].path) == 0)
			f = &files[i];
	if (f == NULL) {
		http_resp_error(resp, 404, "no such endpoint: %s", req->path);
		return;
	}
	if (!api_allowed(req, resp, "GET, HEAD"))
		return;
	if (http_resp_set(resp, 200, f->ctype, (const char *)f->bytes, *f->len) == -1) {
		http_resp_error(resp, 500, "out of memory");
		return;
	}
	resp->csp = f->csp;
}
