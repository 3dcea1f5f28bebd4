/* test_cgroup.c: the kernel's counters (cgroup v1 and v2 fixture trees under
 * tests/unit/fixtures/) mapped onto struct docker_stats as the stats API fills it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cgroup.h"

#define ID1 "4b71291d6f151c0a1039ccc42c75ea8f0f791f04440217dc8676f0ae60a41611"
#define ID2 "9f3c2a1b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243"

static void
fixture(char *out, size_t n, const char *tree, const char *sub)
{
	const char *slash = strrchr(__FILE__, '/');

	snprintf(out, n, "%.*s/fixtures/%s/%s", slash != NULL ? (int)(slash - __FILE__) : 1,
	    slash != NULL ? __FILE__ : ".", tree, sub);
}

static void
host(struct cgroup_host *h, const char *tree)
{
	char sys[512], proc[512];

	fixture(sys, sizeof(sys), tree, "sys");
	fixture(proc, sizeof(proc), tree, "proc");
	assert_int_equal(cgroup_host_init(h, sys, proc), 0);
}

static double
host_memory(void)
{
	struct sysinfo si;

	assert_int_equal(sysinfo(&si), 0);
	return (double)si.totalram * si.mem_unit;
}

static void
test_kv_and_paths(void **state)
{
	const char *stat = "usage_usec 12\nuser_usec 7\nnr_periods x\nusage 9\n";
	const char *v1 = "9:name=systemd:/docker/a\n4:memory:/docker/m\n2:cpu,cpuacct:/docker/c\n"
	                 "0::/\n";
	char p[64];
	double v;

	(void)state;
	assert_int_equal(cgroup_kv(stat, "usage_usec", &v), 0);
	assert_true(v == 12);
	assert_int_equal(cgroup_kv(stat, "usage", &v), 0); /* the whole key, not a prefix */
	assert_true(v == 9);
	assert_int_equal(cgroup_kv(stat, "nr_periods", &v), -1);
	assert_int_equal(cgroup_kv(stat, "missing", &v), -1);

	assert_int_equal(cgroup_proc_path(v1, "memory", p, sizeof(p)), 0);
	assert_string_equal(p, "/docker/m");
	assert_int_equal(cgroup_proc_path(v1, "cpuacct", p, sizeof(p)), 0);
	assert_string_equal(p, "/docker/c");
	assert_int_equal(cgroup_proc_path(v1, "cpu", p, sizeof(p)), 0);
	assert_string_equal(p, "/docker/c");
	assert_int_equal(cgroup_proc_path(v1, NULL, p, sizeof(p)), 0);
	assert_string_equal(p, "/");
	assert_int_equal(cgroup_proc_path(v1, "blkio", p, sizeof(p)), -1);
	assert_int_equal(cgroup_proc_path(v1, "memory", p, 5), -1); /* does not fit */
	assert_int_equal(cgroup_proc_path("garbage", "memory", p, sizeof(p)), -1);
}

static void
test_netdev_and_proc_stat(void **state)
{
	struct docker_stats st = { 0 };
	double sys;
	int online;

	(void)state;
	assert_int_equal(cgroup_netdev("h1\nh2\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12\n"
	    "eth0: 10 20 1 2 0 0 0 0 30 40 3 4 0 0 0 0\n", &st), 0);
	assert_int_equal(st.nnet, 1);
	assert_string_equal(st.net[0].name, "eth0");
	assert_true(st.net[0].rx_bytes == 10 && st.net[0].rx_packets == 20);
	assert_true(st.net[0].rx_errors == 1 && st.net[0].rx_dropped == 2);
	assert_true(st.net[0].tx_bytes == 30 && st.net[0].tx_packets == 40);
	assert_true(st.net[0].tx_errors == 3 && st.net[0].tx_dropped == 4);
	assert_int_equal(cgroup_netdev("h1\nh2\neth0: 1 2\n", &st), -1);
	assert_int_equal(cgroup_netdev("only one line", &st), -1);

	assert_int_equal(cgroup_proc_stat("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1\n"
	    "cpu1 1 1 1 1 1 1 1\nintr 5\n", 1e7, &sys, &online), 0);
	assert_true(sys == 28 * 1e7); /* user..softirq, not steal or guest */
	assert_int_equal(online, 2);
	assert_int_equal(cgroup_proc_stat("intr 5\n", 1e7, &sys, &online), -1);
	assert_int_equal(cgroup_proc_stat("cpu  1 2\n", 1e7, &sys, &online), -1);
}

static void
test_source_names(void **state)
{
	enum stats_source s;

	(void)state;
	assert_int_equal(cgroup_source_parse("auto", &s), 0);
	assert_int_equal(s, STATS_AUTO);
	assert_int_equal(cgroup_source_parse("cgroup", &s), 0);
	assert_int_equal(s, STATS_CGROUP);
	assert_int_equal(cgroup_source_parse("api", &s), 0);
	assert_int_equal(s, STATS_API);
	assert_int_equal(cgroup_source_parse("API", &s), -1);
	assert_string_equal(cgroup_source_name(STATS_CGROUP), "cgroup");
}

/* v1, captured from Engine 20.10's cgroupfs driver: as the stats API maps it. */
static void
test_v1_tree(void **state)
{
	struct cgroup_host h;
	struct cgroup_ctr *c;
	struct docker_stats st;
	double tick = 1e9 / (double)sysconf(_SC_CLK_TCK), sys;
	int online;

	(void)state;
	host(&h, "cgroup_v1");
	assert_int_equal(h.version, 1);
	assert_null(cgroup_ctr_find(&h, 4242, ID2)); /* the path names another id */
	assert_null(cgroup_ctr_find(&h, 4243, ID1)); /* no such process */
	assert_null(cgroup_ctr_find(&h, 4242, "4b71291d6f15")); /* short ids match too much */
	c = cgroup_ctr_find(&h, 4242, ID1);
	assert_non_null(c);
	assert_int_equal(cgroup_read(&h, c, &st), 0);
	assert_true(st.cpu_total_ns == 3345762328.0);
	assert_true(st.cpu_user_ns == 231 * tick && st.cpu_kernel_ns == 102 * tick);
	assert_true(st.cfs_periods == 10 && st.cfs_throttled_periods == 2);
	assert_true(st.cfs_throttled_ns == 5000000);
	assert_true(st.mem_usage == 1572864);
	assert_true(st.mem_limit == host_memory()); /* no limit: the host's memory */
	assert_true(st.mem_cache == 888832 && st.mem_rss == 73728);
	assert_true(st.mem_inactive_file == 28672);
	assert_true(docker_mem_working_set(&st) == 1572864 - 28672);
	assert_int_equal(cgroup_system(&h, &sys, &online), 0);
	assert_int_equal(online, 2);
	assert_true(sys == (1246793.0 + 5339 + 766526 + 2436249 + 4384 + 0 + 111621) * tick);
	assert_int_equal(st.nnet, 1);
	assert_string_equal(st.net[0].name, "eth0");
	assert_true(st.net[0].rx_bytes == 1156 && st.net[0].rx_packets == 14);
	cgroup_ctr_free(c);
	cgroup_host_fini(&h);
}

/* v2 (systemd driver's docker-ID.scope), and no /proc/stat (the unit's ProcSubset=pid):
 * the base is the clock times the online CPUs. */
static void
test_v2_tree(void **state)
{
	struct cgroup_host h;
	struct cgroup_ctr *c;
	struct docker_stats st;
	double sys;
	int online;

	(void)state;
	host(&h, "cgroup_v2");
	assert_int_equal(h.version, 2);
	c = cgroup_ctr_find(&h, 777, ID2);
	assert_non_null(c);
	assert_int_equal(cgroup_read(&h, c, &st), 0);
	assert_true(st.cpu_total_ns == 2500000000.0);
	assert_true(st.cpu_user_ns == 2000000000.0 && st.cpu_kernel_ns == 500000000.0);
	assert_true(st.cfs_periods == 40 && st.cfs_throttled_periods == 3);
	assert_true(st.cfs_throttled_ns == 120000000.0);
	assert_true(st.mem_usage == 52428800);
	assert_true(st.mem_limit == host_memory()); /* "max" */
	assert_true(st.mem_cache == 10485760 && st.mem_rss == 41943040);
	assert_true(st.mem_inactive_file == 4194304);
	assert_true(st.mem_failcnt == 0);
	assert_int_equal(cgroup_system(&h, &sys, &online), 0);
	assert_int_equal(online, (int)sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(sys > 0);
	assert_int_equal(st.nnet, 2);
	assert_string_equal(st.net[0].name, "eth0");
	assert_true(st.net[0].tx_bytes == 65432 && st.net[0].tx_dropped == 4);
	assert_string_equal(st.net[1].name, "eth1");
	cgroup_ctr_free(c);
	cgroup_host_fini(&h);
}

static void
test_no_cgroups(void **state)
{
	struct cgroup_host h;
	char dir[512];

	(void)state;
	fixture(dir, sizeof(dir), "cgroup_v1", "proc"); /* no controllers there */
	assert_int_equal(cgroup_host_init(&h, dir, dir), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_and_paths),
		cmocka_unit_test(test_netdev_and_proc_stat),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_v1_tree),
		cmocka_unit_test(test_v2_tree),
		cmocka_unit_test(test_no_cgroups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
