/* test_netconn.c: established connections to a port, from the kernel's TCP tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "netconn.h"

#define HDR "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
/* port 0x1F90 = 8080: listening, two established, one TIME_WAIT (06), one CLOSE_WAIT (08);
 * one established on another port (0x0050 = 80) */
#define TCP4 HDR \
	"   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n" \
	"   1: 0200A8C0:1F90 0100A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1\n" \
	"   2: 0200A8C0:1F90 0100A8C0:D432 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1\n" \
	"   3: 0200A8C0:1F90 0100A8C0:D433 06 00000000:00000000 03:00000F2A 00000000     0        0 0 3 0\n" \
	"   4: 0200A8C0:1F90 0100A8C0:D434 08 00000000:00000000 00:00000000 00000000     0        0 4 1 0 20 4 30 10 -1\n" \
	"   5: 0200A8C0:0050 0100A8C0:D435 01 00000000:00000000 00:00000000 00000000     0        0 5 1 0 20 4 30 10 -1\n"
#define TCP6 HDR \
	"   0: 0000000000000000FFFF00000200A8C0:1F90 0000000000000000FFFF00000100A8C0:D436 01 00000000:00000000 00:00000000 00000000     0        0 6 1 0 20 4 30 10 -1\n"

static const struct {
	const char *text;
	int port;
	int want; /* -1: malformed */
} rows[] = {
	{ TCP4, 8080, 2 },
	{ TCP4, 80, 1 },
	{ TCP4, 9090, 0 },
	{ TCP6, 8080, 1 },
	{ HDR, 8080, 0 },
	{ "", 8080, 0 },
	{ HDR "   0: garbage\n", 8080, -1 },
	{ HDR "   0: 0200A8C0:ZZZZ 0100A8C0:D431 01 0\n", 8080, -1 },
	{ HDR "   0: 0200A8C0:1F90\n", 8080, -1 },
	{ HDR "   1: 0200A8C0:1F90 0100A8C0:D431 01 0", 8080, 1 }, /* no last newline */
};

static void
test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned n = 99;
		int rc = netconn_parse(rows[i].text, strlen(rows[i].text), rows[i].port, &n);

		print_message("row %zu\n", i);
		if (rows[i].want < 0) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(n, (unsigned)rows[i].want);
	}
}

/* This process's own tables: readable, and a pid that is not there is an error. */
static void
test_count(void **state)
{
	unsigned n = 99;

	(void)state;
	assert_int_equal(netconn_count("/proc", (int)getpid(), 1, &n), 0);
	assert_int_equal(netconn_count("/proc", 0, 8080, &n), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(netconn_count("/nonexistent", 1, 8080, &n), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
