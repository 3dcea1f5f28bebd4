/* test_headroom_calc.c: the headroom arithmetic (doc/headroom.md, "The rule"), a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "headroom_calc.h"

#define MiB (1024LL * 1024)

static const struct {
	const char *name;
	struct headroom_in in;
	enum headroom_verdict want;
	const char *words; /* NULL: no words (OK) */
} cases[] = {
	{ "off: nothing checked", { .mem_available = 0, .mem_need = 512 * MiB, .cpus_online = 1,
	  .cpus_running = 8, .cpus_need = 1 }, HEADROOM_OK, NULL },
	{ "fits exactly", { .check_mem = true, .mem_available = 1024 * MiB,
	  .reserve_memory = 512 * MiB, .mem_committed = 256 * MiB, .mem_need = 256 * MiB },
	  HEADROOM_OK, NULL },
	{ "one byte short", { .check_mem = true, .mem_available = 1024 * MiB - 1,
	  .reserve_memory = 512 * MiB, .mem_committed = 256 * MiB, .mem_need = 256 * MiB },
	  HEADROOM_MEMORY, "blocked: host headroom, needs 256 MiB, 256 MiB available" },
	{ "the issue's example", { .check_mem = true, .mem_available = 692 * MiB,
	  .reserve_memory = 512 * MiB, .mem_need = 256 * MiB }, HEADROOM_MEMORY,
	  "blocked: host headroom, needs 256 MiB, 180 MiB available" },
	{ "reserve already eaten into: 0 available", { .check_mem = true,
	  .mem_available = 100 * MiB, .reserve_memory = 512 * MiB, .mem_need = 64 * MiB },
	  HEADROOM_MEMORY, "blocked: host headroom, needs 64 MiB, 0 MiB available" },
	{ "no limit: needs the reserve intact only", { .check_mem = true,
	  .mem_available = 600 * MiB, .reserve_memory = 512 * MiB }, HEADROOM_OK, NULL },
	{ "no limit, reserve eaten into", { .check_mem = true, .mem_available = 500 * MiB,
	  .reserve_memory = 512 * MiB }, HEADROOM_MEMORY,
	  "blocked: host headroom, needs 0 MiB, 0 MiB available" },
	{ "higher priorities first", { .check_mem = true, .mem_available = 1024 * MiB,
	  .reserve_memory = 256 * MiB, .mem_ahead = 640 * MiB, .mem_need = 256 * MiB },
	  HEADROOM_MEMORY, "blocked: host headroom, needs 256 MiB, 128 MiB available after "
	  "640 MiB for higher priorities" },
	{ "always: the top priority's floor", { .check_mem = true, .check_cpu = true,
	  .always = true, .mem_available = 0, .reserve_memory = 512 * MiB,
	  .mem_need = 256 * MiB, .cpus_online = 2, .reserve_cpus = 1, .cpus_running = 4,
	  .cpus_need = 1 }, HEADROOM_OK, NULL },
	{ "cpus fit exactly (sums of decimals)", { .check_cpu = true, .cpus_online = 4,
	  .reserve_cpus = 0.5, .cpus_running = 0.1 + 0.2 + 2.9, .cpus_need = 0.3 },
	  HEADROOM_OK, NULL },
	{ "cpus short", { .check_cpu = true, .cpus_online = 4, .reserve_cpus = 1,
	  .cpus_running = 2.5, .cpus_need = 1 }, HEADROOM_CPUS,
	  "blocked: host headroom, needs 1.00 CPUs, 0.50 available" },
	{ "cpus = 0 (unlimited) counts 0, never held", { .check_cpu = true, .cpus_online = 2,
	  .reserve_cpus = 1, .cpus_running = 9 }, HEADROOM_OK, NULL },
	{ "cpus behind higher priorities", { .check_cpu = true, .cpus_online = 8,
	  .reserve_cpus = 1, .cpus_running = 4, .cpus_ahead = 2.5, .cpus_need = 1 },
	  HEADROOM_CPUS, "blocked: host headroom, needs 1.00 CPUs, 0.50 available after 2.50 "
	  "for higher priorities" },
	{ "cpu check off: only memory", { .check_mem = true, .mem_available = 2048 * MiB,
	  .reserve_memory = 1, .mem_need = 64 * MiB, .cpus_online = 1, .cpus_running = 64,
	  .cpus_need = 4 }, HEADROOM_OK, NULL },
	{ "memory is said before cpus", { .check_mem = true, .check_cpu = true,
	  .mem_available = 10 * MiB, .reserve_memory = 1, .mem_need = 64 * MiB,
	  .cpus_online = 1, .reserve_cpus = 1, .cpus_need = 1 }, HEADROOM_MEMORY,
	  "blocked: host headroom, needs 64 MiB, 10 MiB available" },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct headroom_out out;
		char buf[160];
		int w;

		if (headroom_judge(&cases[i].in, &out) != cases[i].want || out.verdict != cases[i].want)
			fail_msg("%s: verdict %d, want %d", cases[i].name, out.verdict, cases[i].want);
		w = headroom_words(&cases[i].in, &out, buf, sizeof(buf));
		if (cases[i].words == NULL) {
			if (w != -1)
				fail_msg("%s: words for an OK: %s", cases[i].name, buf);
		} else if (w != 0 || strcmp(buf, cases[i].words) != 0) {
			fail_msg("%s: words \"%s\", want \"%s\"", cases[i].name, buf, cases[i].words);
		}
	}
}

static void
test_words_truncated(void **state)
{
	struct headroom_in in = { .check_mem = true, .mem_available = 1, .mem_need = 64 * MiB };
	struct headroom_out out;
	char small[16];

	(void)state;
	assert_int_equal(headroom_judge(&in, &out), HEADROOM_MEMORY);
	assert_int_equal(headroom_words(&in, &out, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_words_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
