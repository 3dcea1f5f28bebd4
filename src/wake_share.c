/* wake_share.c: the share of a wake's requests each replica it starts is handed (pure;
 * doc/waking.md, "Spreading a wake's requests"). */
#include "wake_share.h"

size_t
wake_share_cap(size_t requests, int wake_replicas, int ready, int coming)
{
	int n;

	if (coming <= 0)
		return WAKE_SHARE_NONE;
	n = ready + coming < wake_replicas ? ready + coming : wake_replicas;
	if (n < 1)
		n = 1;
	return requests / (size_t)n + (requests % (size_t)n != 0);
}

int
wake_share_pick(const size_t *handed, size_t n, size_t cap, size_t start)
{
	int best = -1;

	for (size_t k = 0; k < n; k++) {
		size_t i = (start + k) % n;

		if (handed[i] < cap && (best < 0 || handed[i] < handed[best]))
			best = (int)i;
	}
	return best;
}
