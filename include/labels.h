/* labels.h: services declared by containers' dockscale.* labels, followed through Docker
 * events and applied by the reload path (doc/labels.md). */
#ifndef DOCKSCALE_LABELS_H
#define DOCKSCALE_LABELS_H

struct dsd;
struct config;

/* The watcher's state in d (nothing followed yet): -1 when out of memory. */
int labels_init(struct dsd *d);
void labels_fini(struct dsd *d);
/* Follow the labelled containers or stop, as d->cfg says ([daemon] labels, [docker]
 * socket): after start-up and each reload; acts from the loop, never inside a caller. */
void labels_apply(struct dsd *d);
/* Add the label services of the containers known now to next (a configuration the
 * file gave, about to be validated and swapped): 0, or -1 when out of memory. What became
 * of each container is kept until labels_commit (the reload is applied: its errors and
 * conflicts logged, stored as events, shown in the status) or labels_discard. */
int labels_merge(struct dsd *d, struct config *next);
void labels_commit(struct dsd *d);
void labels_discard(struct dsd *d);

#endif
