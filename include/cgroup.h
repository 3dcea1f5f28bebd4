/* cgroup.h: a replica's counters read from the kernel (cgroup v1 or v2 files, the
 * init process's /proc/PID/net/dev) into the struct docker_stats the stats API fills
 * (doc/scaling.md, "Counters from the kernel"). */
#ifndef DOCKSCALE_CGROUP_H
#define DOCKSCALE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "docker.h"

#define CGROUP_PATH_MAX 512

/* The host's cgroup layout, found once at start-up. */
struct cgroup_host {
	int version;                      /* 1 or 2 */
	char proc[CGROUP_PATH_MAX];       /* "/proc" */
	char unified[CGROUP_PATH_MAX];    /* v2: the cgroup2 mount */
	char cpu[CGROUP_PATH_MAX];        /* v1: the mounts of cpu, cpuacct, memory */
	char cpuacct[CGROUP_PATH_MAX];
	char memory[CGROUP_PATH_MAX];
	double mem_total;                 /* MemTotal, bytes: Docker's limit when none is set */
	double ns_per_tick;               /* 1e9 / USER_HZ, for /proc/stat and cpuacct.stat */
	int stat_fd;                      /* /proc/stat kept open; -1 when hidden */
};

/* One container's counter files, kept open and re-read with one pread each: a pass
 * over 100 replicas is 100 x 5 (v2) or 8 (v1) system calls (doc/benchmarks.md). */
enum cgroup_file {
	CG_CPU_USAGE,    /* v1 cpuacct.usage */
	CG_CPU_STAT,     /* v1 cpuacct.stat, v2 cpu.stat */
	CG_THROTTLE,     /* v1 cpu.stat (optional) */
	CG_MEM_USAGE,    /* v1 memory.usage_in_bytes, v2 memory.current */
	CG_MEM_LIMIT,    /* v1 memory.limit_in_bytes, v2 memory.max */
	CG_MEM_STAT,     /* memory.stat */
	CG_MEM_FAILCNT,  /* v1 memory.failcnt (optional) */
	CG_NETDEV,       /* /proc/PID/net/dev */
	CG_FILES,
};

struct cgroup_ctr {
	int pid;
	int fd[CG_FILES];                 /* -1: not used by this cgroup version */
};

/* ---- pure parsing (unit-tested) ---------------------------------------------------- */

/* The value of `key` in "key value" lines (cpu.stat, memory.stat, cpuacct.stat,
 * memory.events); -1 when absent or not a number. */
int cgroup_kv(const char *text, const char *key, double *out);
/* The path of controller ctrl (v2: NULL, the "0::" line) in a /proc/PID/cgroup text,
 * copied into out. -1 when absent or too long. */
int cgroup_proc_path(const char *text, const char *ctrl, char *out, size_t outlen);
/* Every interface but lo of a /proc/PID/net/dev text into out->net (at most
 * DOCKER_NETIFS, in file order). -1 when it is not such a text. */
int cgroup_netdev(const char *text, struct docker_stats *out);
/* Docker's system_cpu_usage (the first seven fields of the "cpu" line, in ns) and its
 * online_cpus (the "cpuN" lines) from a /proc/stat text. -1 when malformed. */
int cgroup_proc_stat(const char *text, double ns_per_tick, double *system_ns, int *online);

/* ---- the files ----------------------------------------------------------------------- */

/* Find the layout under sys ("/sys/fs/cgroup") and proc ("/proc"). -1 (nothing logged)
 * when neither a cgroup2 mount nor the v1 cpuacct and memory controllers are there. */
int cgroup_host_init(struct cgroup_host *h, const char *sys, const char *proc);
void cgroup_host_fini(struct cgroup_host *h);
/* The cgroup of container id from its init process pid: NULL (nothing logged) when the
 * process is not visible, its cgroup does not name the id (another host's engine, a
 * runtime we do not know) or the directories cannot be read. Free with cgroup_ctr_free. */
struct cgroup_ctr *cgroup_ctr_find(const struct cgroup_host *h, int pid, const char *id);
void cgroup_ctr_free(struct cgroup_ctr *c);
/* One sample of c into out (all but system_ns and online_cpus). 0, or -1 when a file
 * could not be read (the container stopped: its cgroup is gone). */
int cgroup_read(const struct cgroup_host *h, const struct cgroup_ctr *c,
    struct docker_stats *out);
/* The Engine's base for CPU shares, once per round: /proc/stat's (moby's
 * getSystemCPUUsage); where /proc/stat is hidden (the unit's ProcSubset=pid), the
 * monotonic clock times the online CPUs, which is what that sum grows by (less steal). */
int cgroup_system(const struct cgroup_host *h, double *system_ns, int *online);

/* `[docker] stats_source` values (dockscale.conf(5)). */
int cgroup_source_parse(const char *s, enum stats_source *out);
const char *cgroup_source_name(enum stats_source s);

#endif
