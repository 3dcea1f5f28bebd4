/* cgroup.c: a replica's counters from the kernel's files instead of the stats API
 * (doc/scaling.md, "Counters from the kernel"): what cAdvisor reads, mapped onto the fields
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

/* The whole of a kernel file kept open, read again from its start: one pread (seq_file
 * regenerates it at offset 0). Its length, or -1 (the cgroup was removed: ENODEV). */
static ssize_t
reread(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int
reread_num(int fd, double *out)
{
	char buf[64];

	if (reread(fd, buf, sizeof(buf)) == -1)
		return -1;
	/* v2 writes "max" for no limit. */
	if (strncmp(buf, "max", 3) == 0) {
		*out = -1;
		return 0;
	}
	return number(buf, NULL, out);
}

static int
open_in(const char *dir, const char *name)
{
	char path[CGROUP_PATH_MAX * 2 + 64];
	int w = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (w < 0 || (size_t)w >= sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
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
	h->stat_fd = -1;
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
	} else {
		/* v1: one mount per controller, or cpu and cpuacct mounted together. */
		if (!is_dir(sys, "cpuacct", h->cpuacct) && !is_dir(sys, "cpu,cpuacct", h->cpuacct))
			return -1;
		if (!is_dir(sys, "cpu", h->cpu) && !is_dir(sys, "cpu,cpuacct", h->cpu))
			h->cpu[0] = '\0'; /* throttling counters stay 0 */
		if (!is_dir(sys, "memory", h->memory))
			return -1;
		h->version = 1;
	}
	/* Hidden by ProcSubset=pid: then the clock is the base (cgroup_system). */
	h->stat_fd = open_in(h->proc, "stat");
	return 0;
}

void
cgroup_host_fini(struct cgroup_host *h)
{
	if (h->stat_fd >= 0)
		close(h->stat_fd);
	h->stat_fd = -1;
}

void
cgroup_ctr_free(struct cgroup_ctr *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CG_FILES; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	free(c);
}

/* Open file of the process's cgroup for ctrl (v2: NULL) under mount into c->fd[slot],
 * if that cgroup names the container. */
static int
ctr_open(struct cgroup_ctr *c, const char *cg, const char *mount, const char *ctrl,
    const char *id, int slot, const char *file)
{
	char rel[CGROUP_PATH_MAX], dir[CGROUP_PATH_MAX * 2];
	int w;

	if (mount[0] == '\0' || cgroup_proc_path(cg, ctrl, rel, sizeof(rel)) == -1 ||
	    strstr(rel, id) == NULL)
		return -1;
	w = snprintf(dir, sizeof(dir), "%s%s", mount, rel);
	if (w < 0 || (size_t)w >= sizeof(dir))
		return -1;
	c->fd[slot] = open_in(dir, file);
	return c->fd[slot] >= 0 ? 0 : -1;
}

static bool
same_netns(const struct cgroup_host *h, const char *piddir)
{
	char ns[CGROUP_PATH_MAX + 64];
	struct stat a, b;
	int w = snprintf(ns, sizeof(ns), "%s/ns/net", piddir);

	if (w < 0 || (size_t)w >= sizeof(ns) || stat(ns, &a) == -1)
		return false;
	w = snprintf(ns, sizeof(ns), "%s/self/ns/net", h->proc);
	return w > 0 && (size_t)w < sizeof(ns) && stat(ns, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev;
}

struct cgroup_ctr *
cgroup_ctr_find(const struct cgroup_host *h, int pid, const char *id)
{
	char path[CGROUP_PATH_MAX + 32], cg[SMALL_FILE];
	struct cgroup_ctr *c = NULL;
	int w, fd, bad = 0;
	ssize_t n;

	/* A short id would match too much: the path must name the whole id. */
	if (pid <= 0 || id == NULL || strlen(id) < 32)
		return NULL;
	w = snprintf(path, sizeof(path), "%s/%d", h->proc, pid);
	if (w < 0 || (size_t)w >= sizeof(path) || (fd = open_in(path, "cgroup")) < 0)
		return NULL;
	n = reread(fd, cg, sizeof(cg));
	close(fd);
	if (n <= 0 || (c = malloc(sizeof(*c))) == NULL)
		return NULL;
	c->pid = pid;
	for (int i = 0; i < CG_FILES; i++)
		c->fd[i] = -1;
	if (h->version == 2) {
		bad |= ctr_open(c, cg, h->unified, NULL, id, CG_CPU_STAT, "cpu.stat");
		bad |= ctr_open(c, cg, h->unified, NULL, id, CG_MEM_USAGE, "memory.current");
		bad |= ctr_open(c, cg, h->unified, NULL, id, CG_MEM_LIMIT, "memory.max");
		bad |= ctr_open(c, cg, h->unified, NULL, id, CG_MEM_STAT, "memory.stat");
	} else {
		bad |= ctr_open(c, cg, h->cpuacct, "cpuacct", id, CG_CPU_USAGE, "cpuacct.usage");
		bad |= ctr_open(c, cg, h->cpuacct, "cpuacct", id, CG_CPU_STAT, "cpuacct.stat");
		bad |= ctr_open(c, cg, h->memory, "memory", id, CG_MEM_USAGE, "memory.usage_in_bytes");
		bad |= ctr_open(c, cg, h->memory, "memory", id, CG_MEM_LIMIT, "memory.limit_in_bytes");
		bad |= ctr_open(c, cg, h->memory, "memory", id, CG_MEM_STAT, "memory.stat");
		/* Optional: without them those counters stay 0, as the Engine leaves them. */
		(void)ctr_open(c, cg, h->cpu, "cpu", id, CG_THROTTLE, "cpu.stat");
		(void)ctr_open(c, cg, h->memory, "memory", id, CG_MEM_FAILCNT, "memory.failcnt");
	}
	/* The network counters are the process's namespace's; the open file keeps to that
	 * namespace even if the pid is reused later. In the daemon's own namespace
	 * (network = host) the Engine reports none: neither do we. */
	if (bad != 0 || (!same_netns(h, path) && (c->fd[CG_NETDEV] = open_in(path, "net/dev")) < 0)) {
		cgroup_ctr_free(c);
		return NULL;
	}
	return c;
}

/* memory.stat as the Engine maps it (docker_stats.c: v1's cache / total_rss /
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
		if (reread(c->fd[CG_CPU_STAT], buf, size) == -1 ||
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
		if (reread_num(c->fd[CG_CPU_USAGE], &out->cpu_total_ns) == -1 ||
		    reread(c->fd[CG_CPU_STAT], buf, size) == -1)
			return -1;
		if (cgroup_kv(buf, "user", &v) == 0)
			out->cpu_user_ns = v * h->ns_per_tick;
		if (cgroup_kv(buf, "system", &v) == 0)
			out->cpu_kernel_ns = v * h->ns_per_tick;
		if (c->fd[CG_THROTTLE] < 0)
			return 0;
		if (reread(c->fd[CG_THROTTLE], buf, size) == -1)
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
	if (reread_num(c->fd[CG_MEM_USAGE], &out->mem_usage) == -1 ||
	    reread_num(c->fd[CG_MEM_LIMIT], &out->mem_limit) == -1 ||
	    reread(c->fd[CG_MEM_STAT], buf, size) == -1)
		return -1;
	/* The Engine reports the host's memory when the limit is above it (or "max"). */
	if (h->mem_total > 0 && (out->mem_limit < 0 || out->mem_limit > h->mem_total))
		out->mem_limit = h->mem_total;
	if (c->fd[CG_MEM_FAILCNT] >= 0 && reread_num(c->fd[CG_MEM_FAILCNT], &out->mem_failcnt) == -1)
		out->mem_failcnt = 0;
	memory_stat(buf, out);
	return 0;
}

int
cgroup_system(const struct cgroup_host *h, double *system_ns, int *online)
{
	char buf[STAT_FILE];
	struct timespec ts;
	long n;

	if (h->stat_fd >= 0 && reread(h->stat_fd, buf, sizeof(buf)) > 0 &&
	    cgroup_proc_stat(buf, h->ns_per_tick, system_ns, online) == 0)
		return 0;
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) <= 0 || clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return -1;
	*online = (int)n;
	*system_ns = ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec) * (double)n;
	return 0;
}

int
cgroup_read(const struct cgroup_host *h, const struct cgroup_ctr *c, struct docker_stats *out)
{
	char buf[STAT_FILE];

	memset(out, 0, sizeof(*out));
	if (read_cpu(h, c, out, buf, sizeof(buf)) == -1 ||
	    read_memory(h, c, out, buf, sizeof(buf)) == -1 ||
	    (c->fd[CG_NETDEV] >= 0 && (reread(c->fd[CG_NETDEV], buf, sizeof(buf)) == -1 ||
	                               cgroup_netdev(buf, out) == -1))) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
