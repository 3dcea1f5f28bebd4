/* decide_bench: CPU cost of the scaling policy, linked against src/decide.c as built.
 *
 * One "pass" evaluates 10 services (10 replicas each, as in the footprint benchmark):
 * half threshold, half target tracking, some smoothed, with values that move across
 * both thresholds so every branch (hold in band, up at max, down behind its window or
 * cooldown, steps) is taken. Prints the process CPU time per decide_eval call and per
 * pass, measured with clock_gettime(CLOCK_PROCESS_CPUTIME_ID).
 *
 *   decide_bench [CALLS]     (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "decide.h"

#define SERVICES 10
#define REPLICAS 10
#define INTERVAL_MS 5000

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
setup(struct decide_params *p, struct decide_state *st, int i)
{
	p->policy = i % 2 == 0 ? POLICY_THRESHOLD : POLICY_TARGET;
	p->up_threshold = 75.0;
	p->down_threshold = 40.0;
	p->target = 60.0;
	p->tolerance = 0.1;
	p->up_for_ms = i % 3 == 0 ? 0 : 10000;
	p->down_for_ms = 60000;
	p->up_step = 1;
	p->down_step = 1;
	p->up_cooldown_ms = 60000;
	p->down_cooldown_ms = 300000;
	p->smoothing = i % 4 == 0 ? 0.5 : 1.0;
	p->stale_ms = 3 * INTERVAL_MS;
	p->min_replicas = 1;
	p->max_replicas = 20;
	decide_state_init(st);
}

int
main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000L;
	long passes = calls / SERVICES;
	struct decide_params p[SERVICES];
	struct decide_state st[SERVICES];
	int current[SERVICES];
	struct decide_result out;
	unsigned long long check = 0;
	double t0, t1;

	if (passes < 1)
		passes = 1;
	for (int i = 0; i < SERVICES; i++) {
		setup(&p[i], &st[i], i);
		current[i] = REPLICAS;
	}
	t0 = cpu_ns();
	for (long n = 0; n < passes; n++) {
		int64_t now = (int64_t)n * INTERVAL_MS;

		for (int i = 0; i < SERVICES; i++) {
			struct decide_input in = {
				.now_ms = now,
				.have_value = (n + i) % 97 != 0, /* now and then a missing sample */
				.value = 20.0 + (double)((n * 37 + i * 13) % 80),
				.sampled_ms = now,
				.current = current[i],
				.starting = 0,
			};

			decide_eval(&p[i], &st[i], &in, &out);
			check += (unsigned long long)out.desired + (unsigned char)out.reason[0];
			/* Follow the decision, but keep the fleet at about 10 replicas. */
			current[i] = out.desired > 12 || out.desired < 8 ? REPLICAS : out.desired;
		}
	}
	t1 = cpu_ns();
	printf("calls=%ld passes=%ld services=%d cpu_ns=%.0f ns_per_call=%.1f "
	    "ns_per_pass=%.1f checksum=%llu\n", passes * SERVICES, passes, SERVICES, t1 - t0,
	    (t1 - t0) / (double)(passes * SERVICES), (t1 - t0) / (double)passes, check);
	return 0;
}
