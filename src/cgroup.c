/* cgroup.c: a replica's counters from the kernel's files instead of the stats API
 * (README.md, "Counters from the kernel"): what cAdvisor reads, mapped onto the fields
 * the Engine's answer fills, so both sources give the same numbers. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define SMALL_FILE 4096   /* cpu.stat, memory.current, net/dev, /proc/PID/cgroup */
#define STAT_FILE 16384   /* memory.stat (v1 has ~40 lines), /proc/stat's cpu lines */

static const char *const source_names[] = { "auto", "cgroup", "api" }; /* enum stats_source */

int
cgroup_source_parse(const char *s, enum stats_source *out)
{
	for (size_t i = 0; i < sizeof(source_names) / sizeof(source_names[0]); i++) {
		if (strcmp(s, source_names[i]) == 0) {
			*out = (enum stats_source)i;
			return 0;
		}
	}
	return -1;
}

const char *
cgroup_source_name(enum stats_source s)
{
	return (unsigned)s < sizeof(source_names) / sizeof(source_names[0]) ? source_names[s] : "?";
}

/* A whole number at s (the kernel writes no signs, fractions or exponents here). */
static int
number(const char *s, const char **end, double *out)
{
	double v = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	*out = v;
	if (end != NULL)
		*end = p;
	return 0;
}

int
cgroup_kv(const char *text, const char *key, double *out)
{
	size_t klen = strlen(key);

	for (const char *l = text; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n');

		if (strncmp(l, key, klen) == 0 && l[klen] == ' ')
			return number(l + klen + 1, NULL, out);
		l = nl != NULL ? nl + 1 : NULL;
	}
	return -1;
}

/* Is word one of the comma-separated names in list[0..n)? */
static bool
in_list(const char *list, size_t n, const char *word)
{
	size_t wlen = strlen(word);

	for (size_t i = 0; i < n;) {
		const char *comma = memchr(list + i, ',', n - i);
		size_t end = comma != NULL ? (size_t)(comma - list) : n;

		if (end - i == wlen && strncmp(list + i, word, wlen) == 0)
			return true;
		i = end + 1;
	}
	return false;
}

int
cgroup_proc_path(const char *text, const char *ctrl, char *out, size_t outlen)
{
	/* "hierarchy-ID:controller-list:path"; v2's is "0::path". */
	for (const char *l = text; l != NULL && *l != '\0';) {
		const char *nl = strchr(l, '\n'), *c1 = strchr(l, ':'), *c2;
		size_t plen;

		if (c1 == NULL || (nl != NULL && c1 > nl) || (c2 = strchr(c1 + 1, ':')) == NULL ||
		    (nl != NULL && c2 > nl))
			goto next;
		if (ctrl == NULL ? (c2 != c1 + 1 || strncmp(l, "0:", 2) != 0) :
		                   !in_list(c1 + 1, (size_t)(c2 - c1 - 1), ctrl))
			goto next;
		plen = nl != NULL ? (size_t)(nl - c2 - 1) : strlen(c2 + 1);
		if (plen == 0 || c2[1] != '/' || plen >= outlen)
			return -1;
		memcpy(out, c2 + 1, plen);
		out[plen] = '\0';
		return 0;
next:
		l = nl != NULL ? nl + 1 : NULL;
	}
	return -1;
}

int
cgroup_netdev(const char *text, struct docker_stats *out)
{
	const char *l = text;
	int header = 0;

	out->nnet = 0;
	for (; l != NULL && *l != '\0'; l = strchr(l, '\n'), l = l != NULL ? l + 1 : NULL) {
		/* "  eth0: rx_bytes packets errs drop fifo frame compressed multicast tx_bytes
		 * packets errs drop ..." after two header lines. */
		const char *colon = strchr(l, ':'), *nl = strchr(l, '\n'), *p;
		double v[12];
		struct docker_netif *f;
		size_t nlen;

		if (header < 2) {
			header++;
			continue;
		}
		while (*l == ' ')
			l++;
		if (colon == NULL || (nl != NULL && colon > nl))
			return -1;
		p = colon + 1;
		for (int i = 0; i < 12; i++)
			if (number(p, &p, &v[i]) == -1)
				return -1;
		nlen = (size_t)(colon - l);
		if ((nlen == 2 && strncmp(l, "lo", 2) == 0) || out->nnet >= DOCKER_NETIFS)
			continue;
		f = &out->net[out->nnet];
		if (nlen == 0 || nlen >= sizeof(f->name))
			continue;
		memcpy(f->name, l, nlen);
		f->name[nlen] = '\0';
		f->rx_bytes = v[0], f->rx_packets = v[1], f->rx_errors = v[2], f->rx_dropped = v[3];
		f->tx_bytes = v[8], f->tx_packets = v[9], f->tx_errors = v[10], f->tx_dropped = v[11];
		out->nnet++;
	}
	return header == 2 ? 0 : -1;
}

int
cgroup_proc_stat(const char *text, double ns_per_tick, double *system_ns, int *online)
{
	const char *p;
	double sum = 0, v;
	int n = 0;

	/* moby's getSystemCPUUsage: user nice system idle iowait irq softirq. */
	if (strncmp(text, "cpu ", 4) != 0)
		return -1;
	p = text + 4;
	for (int i = 0; i < 7; i++) {
		if (number(p, &p, &v) == -1)
			return -1;
		sum += v;
	}
	for (const char *l = strchr(text, '\n'); l != NULL; l = strchr(l + 1, '\n'))
		if (strncmp(l + 1, "cpu", 3) == 0 && l[4] >= '0' && l[4] <= '9')
			n++;
	if (n == 0)
		return -1;
	*system_ns = sum * ns_per_tick;
	*online = n;
	return 0;
}

/* dir/name into buf (NUL-terminated); its length, or -1. dirfd >= 0: name under it. */
static ssize_t
slurp(int dirfd, const char *dir, const char *name, char *buf, size_t size)
{
	char path[CGROUP_PATH_MAX + 64];
	ssize_t n, got = 0;
	int fd;

	if (dirfd >= 0) {
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	} else {
		int w = snprintf(path, sizeof(path), "%s/%s", dir, name);

		if (w < 0 || (size_t)w >= sizeof(path))
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	/* Kernel files answer whole in one read when it is big enough; loop anyway. */
	while ((size_t)got < size - 1 && (n = read(fd, buf + got, size - 1 - (size_t)got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			got = -1;
			break;
		}
		got += n;
	}
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

static int
read_num(const char *dir, const char *name, double *out)
{
	char buf[64];

	if (slurp(-1, dir, name, buf, sizeof(buf)) <= 0)
		return -1;
	/* v2 writes "max" for no limit. */
	if (strncmp(buf, "max", 3) == 0) {
		*out = -1;
		return 0;
	}
	return number(buf, NULL, out);
}

static bool
is_dir(const char *dir, const char *sub, char *out)
{
	struct stat st;
	int w = snprintf(out, CGROUP_PATH_MAX, "%s/%s", dir, sub);

	return w > 0 && w < CGROUP_PATH_MAX && stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

int
cgroup_host_init(struct cgroup_host *h, const char *sys, const char *proc)
{
	char probe[CGROUP_PATH_MAX + 32];
	struct sysinfo si;
	int w;

	memset(h, 0, sizeof(*h));
	w = snprintf(h->proc, sizeof(h->proc), "%s", proc);
	if (w < 0 || (size_t)w >= sizeof(h->proc))
		return -1;
	h->ns_per_tick = 1e9 / (double)sysconf(_SC_CLK_TCK);
	/* Docker's limit when none is set: MemTotal, which sysinfo(2) gives without /proc
	 * (the unit's ProcSubset=pid hides /proc/meminfo). */
	if (sysinfo(&si) == 0)
		h->mem_total = (double)si.totalram * si.mem_unit;
	w = snprintf(probe, sizeof(probe), "%s/cgroup.controllers", sys);
	if (w > 0 && (size_t)w < sizeof(probe) && access(probe, R_OK) == 0) {
		h->version = 2;
		(void)snprintf(h->unified, sizeof(h->unified), "%s", sys);
		return 0;
	}
	/* v1: one mount per controller, or cpu and cpuacct mounted together. */
	if (!is_dir(sys, "cpuacct", h->cpuacct) && !is_dir(sys, "cpu,cpuacct", h->cpuacct))
		return -1;
	if (!is_dir(sys, "cpu", h->cpu) && !is_dir(sys, "cpu,cpuacct", h->cpu))
		h->cpu[0] = '\0'; /* throttling counters stay 0 */
	if (!is_dir(sys, "memory", h->memory))
		return -1;
	h->version = 1;
	return 0;
}

void
cgroup_ctr_free(struct cgroup_ctr *c)
{
	if (c == NULL)
		return;
	free(c->cpu);
	free(c->cpuacct);
	free(c->memory);
	free(c);
}

/* mount + the process's path for ctrl, if that names the container and can be read. */
static char *
ctr_dir(const char *cg, const char *mount, const char *ctrl, const char *id,
    const char *file)
{
	char rel[CGROUP_PATH_MAX], *dir = NULL, probe[CGROUP_PATH_MAX * 2 + 64];
	int w;

	if (mount[0] == '\0' || cgroup_proc_path(cg, ctrl, rel, sizeof(rel)) == -1 ||
	    strstr(rel, id) == NULL)
		return NULL;
	w = snprintf(probe, sizeof(probe), "%s%s/%s", mount, rel, file);
	if (w < 0 || (size_t)w >= sizeof(probe) || access(probe, R_OK) != 0)
		return NULL;
	probe[w - strlen(file) - 1] = '\0';
	dir = strdup(probe);
	return dir;
}

struct cgroup_ctr *
cgroup_ctr_find(const struct cgroup_host *h, int pid, const char *id)
{
	char path[CGROUP_PATH_MAX + 32], cg[SMALL_FILE];
	struct cgroup_ctr *c = NULL;
	int w;

	/* A short id would match too much: the path must name the whole id. */
	if (pid <= 0 || id == NULL || strlen(id) < 32)
		return NULL;
	w = snprintf(path, sizeof(path), "%s/%d", h->proc, pid);
	if (w < 0 || (size_t)w >= sizeof(path) || slurp(-1, path, "cgroup", cg, sizeof(cg)) <= 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->pid = pid;
	if (h->version == 2) {
		c->memory = ctr_dir(cg, h->unified, NULL, id, "memory.current");
		c->cpu = c->memory != NULL ? ctr_dir(cg, h->unified, NULL, id, "cpu.stat") : NULL;
		c->cpuacct = c->cpu != NULL ? strdup(c->cpu) : NULL;
	} else {
		c->memory = ctr_dir(cg, h->memory, "memory", id, "memory.stat");
		c->cpuacct = ctr_dir(cg, h->cpuacct, "cpuacct", id, "cpuacct.usage");
		/* No cpu controller mounted: no throttling counters, not no source. */
		c->cpu = h->cpu[0] != '\0' ? ctr_dir(cg, h->cpu, "cpu", id, "cpu.stat") : strdup("");
	}
	if (c->memory == NULL || c->cpuacct == NULL || c->cpu == NULL) {
		cgroup_ctr_free(c);
		return NULL;
	}
	/* The network counters are the process's namespace's: it must still be there. */
	w = snprintf(path, sizeof(path), "%s/%d/net/dev", h->proc, pid);
	if (w < 0 || (size_t)w >= sizeof(path) || access(path, R_OK) != 0) {
		cgroup_ctr_free(c);
		return NULL;
	}
	return c;
}

/* memory.stat as the Engine maps it (dockerstats.c: v1's cache / total_rss /
 * total_inactive_file, v2's file / anon / inactive_file). */
static void
memory_stat(const char *text, struct docker_stats *out)
{
	static const char *const cache_k[] = { "cache", "file", "inactive_file", NULL };
	static const char *const rss_k[] = { "total_rss", "rss", "anon", NULL };
	static const char *const inactive_k[] = { "total_inactive_file", "inactive_file", NULL };
	const char *const *lists[] = { cache_k, rss_k, inactive_k };
	double *dst[] = { &out->mem_cache, &out->mem_rss, &out->mem_inactive_file };

	for (size_t i = 0; i < 3; i++)
		for (const char *const *k = lists[i]; *k != NULL; k++)
			if (cgroup_kv(text, *k, dst[i]) == 0)
				break;
}

static int
read_cpu(const struct cgroup_host *h, const struct cgroup_ctr *c, struct docker_stats *out,
    char *buf, size_t size)
{
	double v;

	if (h->version == 2) {
		if (slurp(-1, c->cpu, "cpu.stat", buf, size) <= 0 ||
		    cgroup_kv(buf, "usage_usec", &v) == -1)
			return -1;
		out->cpu_total_ns = v * 1000;
		if (cgroup_kv(buf, "user_usec", &v) == 0)
			out->cpu_user_ns = v * 1000;
		if (cgroup_kv(buf, "system_usec", &v) == 0)
			out->cpu_kernel_ns = v * 1000;
		if (cgroup_kv(buf, "throttled_usec", &v) == 0)
			out->cfs_throttled_ns = v * 1000;
	} else {
		if (read_num(c->cpuacct, "cpuacct.usage", &out->cpu_total_ns) == -1 ||
		    slurp(-1, c->cpuacct, "cpuacct.stat", buf, size) <= 0)
			return -1;
		if (cgroup_kv(buf, "user", &v) == 0)
			out->cpu_user_ns = v * h->ns_per_tick;
		if (cgroup_kv(buf, "system", &v) == 0)
			out->cpu_kernel_ns = v * h->ns_per_tick;
		if (c->cpu[0] == '\0')
			return 0;
		if (slurp(-1, c->cpu, "cpu.stat", buf, size) <= 0)
			return -1;
		if (cgroup_kv(buf, "throttled_time", &v) == 0)
			out->cfs_throttled_ns = v;
	}
	(void)cgroup_kv(buf, "nr_periods", &out->cfs_periods);
	(void)cgroup_kv(buf, "nr_throttled", &out->cfs_throttled_periods);
	return 0;
}

static int
read_memory(const struct cgroup_host *h, const struct cgroup_ctr *c, struct docker_stats *out,
    char *buf, size_t size)
{
	bool v2 = h->version == 2;

	if (read_num(c->memory, v2 ? "memory.current" : "memory.usage_in_bytes",
	        &out->mem_usage) == -1 ||
	    read_num(c->memory, v2 ? "memory.max" : "memory.limit_in_bytes", &out->mem_limit) == -1 ||
	    slurp(-1, c->memory, "memory.stat", buf, size) <= 0)
		return -1;
	/* The Engine reports the host's memory when the limit is above it (or "max"). */
	if (h->mem_total > 0 && (out->mem_limit < 0 || out->mem_limit > h->mem_total))
		out->mem_limit = h->mem_total;
	if (!v2 && read_num(c->memory, "memory.failcnt", &out->mem_failcnt) == -1)
		out->mem_failcnt = 0;
	memory_stat(buf, out);
	return 0;
}

/* The Engine's base for the CPU share: /proc/stat; where the unit's ProcSubset=pid hides
 * it, the monotonic clock times the online CPUs, which is what /proc/stat's sum grows by
 * (less steal time). */
static int
system_cpu(const struct cgroup_host *h, struct docker_stats *out, char *buf, size_t size)
{
	char dir[CGROUP_PATH_MAX];
	struct timespec ts;
	long n;

	(void)snprintf(dir, sizeof(dir), "%s", h->proc);
	if (slurp(-1, dir, "stat", buf, size) > 0 &&
	    cgroup_proc_stat(buf, h->ns_per_tick, &out->system_ns, &out->online_cpus) == 0)
		return 0;
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) <= 0 || clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return -1;
	out->online_cpus = (int)n;
	out->system_ns = ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec) * (double)n;
	return 0;
}

int
cgroup_read(const struct cgroup_host *h, const struct cgroup_ctr *c, struct docker_stats *out)
{
	char buf[STAT_FILE], dir[CGROUP_PATH_MAX + 32];
	int w;

	memset(out, 0, sizeof(*out));
	w = snprintf(dir, sizeof(dir), "%s/%d/net", h->proc, c->pid);
	if (w < 0 || (size_t)w >= sizeof(dir) || read_cpu(h, c, out, buf, sizeof(buf)) == -1 ||
	    read_memory(h, c, out, buf, sizeof(buf)) == -1 ||
	    slurp(-1, dir, "dev", buf, sizeof(buf)) <= 0 || cgroup_netdev(buf, out) == -1 ||
	    system_cpu(h, out, buf, sizeof(buf)) == -1) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
