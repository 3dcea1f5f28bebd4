/* statuspage_route.c: GET / answers the status page (README.md, "Status page"). */
#include "api_ops.h"
#include "dockscaled.h"
#include "statuspage.h"

void
api_statuspage(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	if (!api_allowed(req, resp, "GET, HEAD"))
		return;
	if (http_resp_set(resp, 200, "text/html; charset=utf-8", (const char *)statuspage_html,
	    statuspage_html_len) == -1)
		http_resp_error(resp, 500, "out of memory");
}
