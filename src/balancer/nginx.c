/* nginx.c: reads which worker processes the nginx master runs, to see a reload land: from
 * /proc on this host, or from a container's process list (parsed here, fetched elsewhere). */
#include "nginx.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"

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

/* The column titled one of names, or -1. */
static int
column(const cJSON *titles, const char *a, const char *b)
{
	int i = 0;
	const cJSON *t;

	cJSON_ArrayForEach(t, titles) {
		if (cJSON_IsString(t) && (strcmp(t->valuestring, a) == 0 ||
		    (b != NULL && strcmp(t->valuestring, b) == 0)))
			return i;
		i++;
	}
	return -1;
}

int
nginx_top_workers(const char *body, size_t len, pid_t *out, size_t max)
{
	cJSON *o = json_parse_whole(body, len);
	const cJSON *titles = json_get(o, "Titles"), *procs = json_get(o, "Processes"), *row;
	int ipid = -1, icmd = -1, n = -1;

	if (!cJSON_IsArray(titles) || !cJSON_IsArray(procs))
		goto out;
	ipid = column(titles, "PID", NULL);
	icmd = column(titles, "CMD", "COMMAND");
	if (ipid < 0 || icmd < 0)
		goto out;
	n = 0;
	cJSON_ArrayForEach(row, procs) {
		const cJSON *p = cJSON_GetArrayItem(row, ipid), *c = cJSON_GetArrayItem(row, icmd);
		char *end;
		long pid;

		if (!cJSON_IsArray(row) || !cJSON_IsString(p) || !cJSON_IsString(c)) {
			n = -1;
			goto out;
		}
		errno = 0;
		pid = strtol(p->valuestring, &end, 10);
		if (errno != 0 || end == p->valuestring || *end != '\0' || pid <= 0 ||
		    pid > INT_MAX) {
			n = -1;
			goto out;
		}
		if (strncmp(c->valuestring, "nginx: worker process", 21) == 0 &&
		    strstr(c->valuestring, "shutting down") == NULL && (size_t)n < max)
			out[n++] = (pid_t)pid;
	}
out:
	cJSON_Delete(o);
	return n;
}

int
nginx_top_landed(const pid_t *before, size_t nbefore, const pid_t *now, size_t nnow)
{
	if (!nginx_new_generation(before, nbefore, now, nnow))
		return 0;
	/* every worker of before is gone or shutting down: none is among now's serving */
	for (size_t i = 0; i < nbefore; i++)
		for (size_t k = 0; k < nnow; k++)
			if (before[i] == now[k])
				return 0;
	return 1;
}
