/* hostmem.h: the host's available memory and online CPUs, for the headroom check
 * (doc/headroom.md). */
#ifndef DOCKSCALE_HOSTMEM_H
#define DOCKSCALE_HOSTMEM_H

#include <stdbool.h>
#include <stdint.h>

struct hostmem {
	int64_t total;      /* MemTotal, bytes */
	int64_t available;  /* MemAvailable, bytes */
	bool estimated;     /* /proc/meminfo hidden: sysinfo(2)'s free + buffers, a lower
	                     * bound (no page cache) */
};

/* MemTotal and MemAvailable of a /proc/meminfo text ("Key:   N kB" lines). -1 when
 * either is missing or malformed. Pure. */
int hostmem_parse(const char *text, struct hostmem *out);
/* Read PROC/meminfo ("/proc"); where it is hidden (the shipped unit's ProcSubset=pid)
 * fall back to sysinfo(2) with out->estimated set. -1 when neither answers. */
int hostmem_read(const char *proc, struct hostmem *out);
/* The host's online CPUs (at least 1). */
int hostmem_online_cpus(void);

#endif
