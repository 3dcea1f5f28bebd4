/* notify.h: notifications: selected events POSTed to [notify] urls from the loop
 * (doc/notifications.md). */
#ifndef DOCKSCALE_NOTIFY_H
#define DOCKSCALE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "events.h"
#include "httpc.h"
#include "loop.h"

struct notify;

/* Since the daemon started (a reload keeps them). */
struct notify_stats {
	uint64_t sent;     /* a 2xx answer */
	uint64_t failed;   /* given up: retries spent, or an answer a retry cannot mend */
	uint64_t dropped;  /* never sent: pushed out of a full queue, or its url removed */
	uint64_t retries;  /* attempts after the first */
	size_t queued;     /* waiting now, in every url's queue, in flight included */
	size_t urls;
};

/* Listens to ev from now on; sends nothing until notify_apply gives it urls. NULL when
 * out of memory or every listener slot of ev is taken (logged). */
struct notify *notify_new(struct loop *l, struct httpc *hc, struct events *ev);
/* Take conf (copied: the configuration may go after): a url kept keeps its queue and
 * its request in flight; a url removed loses both (counted dropped). -1 when out of
 * memory: the previous settings stay. */
int notify_apply(struct notify *n, const struct notify_conf *conf);
/* Cancels what is in flight, forgets what waits. Before httpc_free. NULL is fine. */
void notify_free(struct notify *n);
void notify_get_stats(const struct notify *n, struct notify_stats *st);

#endif
