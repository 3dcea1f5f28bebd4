/* nginx.c: reads which worker processes the nginx master runs, to see a reload land. */
#include "nginx.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small files of decimal pids: read whole, then strtol, which reports bad input. */
static int
read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

pid_t
nginx_master(const char *pidfile)
{
	char buf[32], *end;
	long pid;

	if (pidfile == NULL || pidfile[0] == '\0' || read_small(pidfile, buf, sizeof(buf)) == -1)
		return -1;
	errno = 0;
	pid = strtol(buf, &end, 10);
	/* pid_t is an int: 4294967296 would wrap to 0, and kill(0, 0) always succeeds. */
	if (errno != 0 || end == buf || pid <= 1 || pid > INT_MAX ||
	    (*end != '\n' && *end != '\0'))
		return -1;
	/* kill(pid, 0) fails with ESRCH for a stale pid file. */
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return -1;
	return (pid_t)pid;
}

int
nginx_children(pid_t master, pid_t *out, size_t max)
{
	char path[64], buf[1024], *p, *end;
	int n = 0;

	/* The master is single-threaded: its main task's children are all its children. */
	if (snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)master,
	    (long)master) >= (int)sizeof(path) || read_small(path, buf, sizeof(buf)) == -1)
		return -1;
	for (p = buf; (size_t)n < max; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		out[n++] = (pid_t)pid;
	}
	return n;
}

int
nginx_new_generation(const pid_t *before, size_t nbefore, const pid_t *now, size_t nnow)
{
	for (size_t i = 0; i < nnow; i++) {
		size_t k = 0;

		while (k < nbefore && before[k] != now[i])
			k++;
		if (k == nbefore)
			return 1;
	}
	return 0;
}

int
nginx_old_retired(const pid_t *pids, size_t n)
{
	char path[64], title[128];
	int hidden = 0;

	for (size_t i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pids[i]) >=
		    (int)sizeof(path))
			return 0;
		if (read_small(path, title, sizeof(title)) == -1) {
			/* Gone, or alive but hidden from us (hidepid, ProtectProc=invisible):
			 * only kill() can tell, and hidden must never read as retired. */
			if (kill(pids[i], 0) == -1 && errno == ESRCH)
				continue;
			hidden = 1;
			continue;
		}
		if (strncmp(title, "nginx: worker process", 21) == 0 &&
		    strstr(title, "shutting down") == NULL)
			return 0;
	}
	return hidden ? -1 : 1;
}
