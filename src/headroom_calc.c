/* headroom_calc.c: may a replica start within the host's headroom? Numbers in, a verdict
 * out (doc/headroom.md, "The rule"). */
#include <stdio.h>

#include "headroom_calc.h"

#define MiB (1024.0 * 1024.0)
/* cpus are config values with two decimals at most: a sum must not fail on rounding. */
#define CPUS_EPSILON 1e-6

enum headroom_verdict
headroom_judge(const struct headroom_in *in, struct headroom_out *out)
{
	out->mem_left = in->mem_available - in->reserve_memory - in->mem_committed - in->mem_ahead;
	out->cpus_left = in->cpus_online - in->reserve_cpus - in->cpus_running - in->cpus_ahead;
	out->verdict = HEADROOM_OK;
	if (in->always)
		return out->verdict;
	/* A replica without a memory limit needs nothing more than a reserve not already
	 * eaten into; one without a cpus limit counts 0 and is never held for CPUs. */
	if (in->check_mem && (in->mem_need > out->mem_left || out->mem_left < 0))
		out->verdict = HEADROOM_MEMORY;
	else if (in->check_cpu && in->cpus_need > 0 &&
	    in->cpus_need > out->cpus_left + CPUS_EPSILON)
		out->verdict = HEADROOM_CPUS;
	return out->verdict;
}

int
headroom_words(const struct headroom_in *in, const struct headroom_out *out, char *buf,
    size_t len)
{
	int w;

	if (out->verdict == HEADROOM_MEMORY) {
		double left = out->mem_left > 0 ? (double)out->mem_left / MiB : 0;

		if (in->mem_ahead > 0)
			w = snprintf(buf, len, "blocked: host headroom, needs %.0f MiB, %.0f MiB "
			    "available after %.0f MiB for higher priorities", (double)in->mem_need / MiB,
			    left, (double)in->mem_ahead / MiB);
		else
			w = snprintf(buf, len, "blocked: host headroom, needs %.0f MiB, %.0f MiB "
			    "available", (double)in->mem_need / MiB, left);
	} else if (out->verdict == HEADROOM_CPUS) {
		double left = out->cpus_left > 0 ? out->cpus_left : 0;

		if (in->cpus_ahead > 0)
			w = snprintf(buf, len, "blocked: host headroom, needs %.2f CPUs, %.2f "
			    "available after %.2f for higher priorities", in->cpus_need, left,
			    in->cpus_ahead);
		else
			w = snprintf(buf, len, "blocked: host headroom, needs %.2f CPUs, %.2f "
			    "available", in->cpus_need, left);
	} else {
		return -1;
	}
	return w > 0 && (size_t)w < len ? 0 : -1;
}
