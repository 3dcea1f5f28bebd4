/* wake_share.h: how a wake's requests are shared among the replicas it starts (pure;
 * doc/waking.md, "Spreading a wake's requests"). */
#ifndef DOCKSCALE_WAKE_SHARE_H
#define DOCKSCALE_WAKE_SHARE_H

#include <stddef.h>
#include <stdint.h>

#define WAKE_SHARE_NONE SIZE_MAX /* no cap: every held request may go */

/* The most of this wake's requests one READY replica may have been handed: requests is
 * H, the wake's requests so far; wake_replicas the replicas the wake started; ready
 * and coming the replicas READY and still on their way (creating, starting, or about to
 * be created). With none coming the cap lifts (WAKE_SHARE_NONE); else it is
 * ceil(H / N), N = min(wake_replicas, ready + coming), at least 1. */
size_t wake_share_cap(size_t requests, int wake_replicas, int ready, int coming);
/* Which of n READY replicas, handed[i] requests each so far, takes the next one: the
 * one with the fewest below cap, the first from start (mod n) among equals; -1 when
 * every one is at its cap (or n is 0). */
int wake_share_pick(const size_t *handed, size_t n, size_t cap, size_t start);

#endif
