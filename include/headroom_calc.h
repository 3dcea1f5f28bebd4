/* headroom_calc.h: may a replica start within the host's headroom? The arithmetic,
 * pure (doc/headroom.md, "The rule"). */
#ifndef DOCKSCALE_HEADROOM_CALC_H
#define DOCKSCALE_HEADROOM_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct headroom_in {
	bool check_mem;          /* reserve_memory > 0 */
	bool check_cpu;          /* reserve_cpus > 0 */
	bool always;             /* toward min_replicas of the top priority: never refused */
	int64_t mem_available;   /* the host's MemAvailable, bytes */
	int64_t reserve_memory;
	int64_t mem_committed;   /* the memory of the managed replicas running */
	int64_t mem_ahead;       /* the memory of starts higher priorities wait for */
	int64_t mem_need;        /* this replica's (0: no limit) */
	double cpus_online;
	double reserve_cpus;
	double cpus_running;     /* the cpus of the managed replicas running (0 = unlimited
	                          * counts 0) */
	double cpus_ahead;
	double cpus_need;
};

enum headroom_verdict { HEADROOM_OK = 0, HEADROOM_MEMORY, HEADROOM_CPUS };

struct headroom_out {
	enum headroom_verdict verdict;
	int64_t mem_left;        /* what is left for this start (may be < 0) */
	double cpus_left;
};

/* The verdict for one start; out has the figures the words need. */
enum headroom_verdict headroom_judge(const struct headroom_in *in, struct headroom_out *out);
/* "blocked: host headroom, needs 256 MiB, 180 MiB available" into buf; -1 when it does
 * not fit (buf holds what did) or the verdict is OK. */
int headroom_words(const struct headroom_in *in, const struct headroom_out *out, char *buf,
    size_t len);

#endif
