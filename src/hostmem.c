/* hostmem.c: the host's available memory (/proc/meminfo) and online CPUs (doc/headroom.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "hostmem.h"

/* The kB value of "key:" at the start of a line of text; -1 when absent or malformed. */
static int
meminfo_kb(const char *text, const char *key, int64_t *out)
{
	size_t kl = strlen(key);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char *end;
		long long v;

		if (strncmp(p, key, kl) != 0 || p[kl] != ':')
			continue;
		p += kl + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || v < 0 || v > INT64_MAX / 1024)
			return -1;
		while (*end == ' ' || *end == '\t')
			end++;
		/* The kernel writes every size line of meminfo in kB; anything else is not it. */
		if (strncmp(end, "kB", 2) != 0 || (end[2] != '\n' && end[2] != '\0'))
			return -1;
		*out = (int64_t)v * 1024;
		return 0;
	}
	return -1;
}

int
hostmem_parse(const char *text, struct hostmem *out)
{
	struct hostmem m = { 0 };

	if (meminfo_kb(text, "MemTotal", &m.total) == -1 ||
	    meminfo_kb(text, "MemAvailable", &m.available) == -1)
		return -1;
	*out = m;
	return 0;
}

int
hostmem_read(const char *proc, struct hostmem *out)
{
	char path[256], buf[8192];
	struct sysinfo si;
	ssize_t n = -1;
	int fd, w;

	w = snprintf(path, sizeof(path), "%s/meminfo", proc);
	if (w > 0 && (size_t)w < sizeof(path) && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		/* MemTotal and MemAvailable are its first three lines: one read is enough. */
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		if (hostmem_parse(buf, out) == 0) {
			out->estimated = false;
			return 0;
		}
	}
	if (sysinfo(&si) != 0)
		return -1;
	out->total = (int64_t)si.totalram * si.mem_unit;
	out->available = ((int64_t)si.freeram + (int64_t)si.bufferram) * si.mem_unit;
	out->estimated = true;
	return 0;
}

int
hostmem_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n >= 1 ? (int)n : 1;
}
