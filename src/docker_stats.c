/* docker_stats.c: the Engine's one-shot stats answers as counters (doc/scaling.md, "The
 * metric"; doc/api.md, "cAdvisor series"): pure, no I/O. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker.h"
#include "docker_json_int.h"
#include "json.h"

static double
first_num(const cJSON *o, const char *const *keys)
{
	double v;

	for (; *keys != NULL; keys++)
		if (dockerjson_num_double(json_get(o, *keys), &v) == 0)
			return v;
	return 0;
}

static double
num_or0(const cJSON *o, const char *key)
{
	const char *const keys[] = { key, NULL };

	return first_num(o, keys);
}

static void
parse_networks(const cJSON *nets, struct docker_stats *out)
{
	static const char *const k[] = { "rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
		"rx_errors", "tx_errors", "rx_dropped", "tx_dropped" };
	const cJSON *n;

	if (!cJSON_IsObject(nets))
		return;
	cJSON_ArrayForEach(n, nets) {
		struct docker_netif *f = &out->net[out->nnet];
		double *dst[] = { &f->rx_bytes, &f->tx_bytes, &f->rx_packets, &f->tx_packets,
			&f->rx_errors, &f->tx_errors, &f->rx_dropped, &f->tx_dropped };

		if (out->nnet >= DOCKER_NETIFS)
			break;
		/* The name becomes a label value: the id charset keeps it plain. */
		if (!cJSON_IsObject(n) || n->string == NULL ||
		    dockerjson_copy_exact(f->name, sizeof(f->name), n->string) == -1 || !dockerjson_id_ok(f->name))
			continue;
		for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
			if (dockerjson_num_double(json_get(n, k[i]), dst[i]) == -1 || *dst[i] < 0)
				*dst[i] = 0;
		out->nnet++;
	}
}

int
docker_parse_stats(const char *body, struct docker_stats *out)
{
	static const char *const cache_k[] = { "cache", "file", "inactive_file", NULL };
	static const char *const rss_k[] = { "total_rss", "rss", "anon", NULL };
	static const char *const inactive_k[] = { "total_inactive_file", "inactive_file", NULL };
	cJSON *root;
	const cJSON *cpu, *usage, *thr, *mem, *mstats, *percpu;
	int64_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (body == NULL || (root = json_parse_whole(body, strlen(body))) == NULL)
		return -1;
	cpu = json_get(root, "cpu_stats");
	usage = json_get(cpu, "cpu_usage");
	/* system_cpu_usage is absent while the container is not running: no sample. */
	if (dockerjson_num_double(json_get(usage, "total_usage"), &out->cpu_total_ns) == -1 ||
	    dockerjson_num_double(json_get(cpu, "system_cpu_usage"), &out->system_ns) == -1)
		goto out;
	out->online_cpus = 1;
	percpu = json_get(usage, "percpu_usage");
	if (dockerjson_num_i64(json_get(cpu, "online_cpus"), &n) == 0 && n > 0 && n < 65536)
		out->online_cpus = (int)n;
	else if (cJSON_IsArray(percpu) && cJSON_GetArraySize(percpu) > 0)
		out->online_cpus = cJSON_GetArraySize(percpu);
	out->cpu_user_ns = num_or0(usage, "usage_in_usermode");
	out->cpu_kernel_ns = num_or0(usage, "usage_in_kernelmode");
	thr = json_get(cpu, "throttling_data");
	out->cfs_periods = num_or0(thr, "periods");
	out->cfs_throttled_periods = num_or0(thr, "throttled_periods");
	out->cfs_throttled_ns = num_or0(thr, "throttled_time");

	mem = json_get(root, "memory_stats");
	mstats = json_get(mem, "stats");
	out->mem_usage = num_or0(mem, "usage");
	out->mem_limit = num_or0(mem, "limit");
	out->mem_failcnt = num_or0(mem, "failcnt");
	/* cgroup v1 reports page cache as "cache"; v2 as "file" (older engines: only
	 * "inactive_file"). */
	out->mem_cache = first_num(mstats, cache_k);
	out->mem_rss = first_num(mstats, rss_k);
	out->mem_inactive_file = first_num(mstats, inactive_k);
	parse_networks(json_get(root, "networks"), out);
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* The docker CLI's calculateMemUsageUnixNoCache, and cAdvisor's working set. */
double
docker_mem_working_set(const struct docker_stats *st)
{
	if (st->mem_inactive_file > 0 && st->mem_inactive_file < st->mem_usage)
		return st->mem_usage - st->mem_inactive_file;
	return st->mem_usage;
}

/* CPU use between two samples in percent of the replica's limit (of one core when
 * unlimited). -1 when the pair gives no rate (first sample, container restarted). */
double
docker_cpu_percent(double prev_cpu, double prev_sys, double cpu, double sys, int online,
    double cpus_limit)
{
	double dcpu = cpu - prev_cpu, dsys = sys - prev_sys, cores;

	if (dsys <= 0 || dcpu < 0 || online <= 0)
		return -1;
	/* system_cpu_usage counts all online CPUs: the share times their number is cores. */
	cores = dcpu / dsys * online;
	return cores * 100.0 / (cpus_limit > 0 ? cpus_limit : 1.0);
}
