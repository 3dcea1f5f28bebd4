/* lock.c: the per-host flock that keeps two controllers off one service (SPEC §4.9). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

/* Create the lock's directory (one level, like systemd's RuntimeDirectory=). */
static void
lock_mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int n = snprintf(dir, sizeof(dir), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		log_debug("lock: mkdir %s: %s", dir, strerror(errno));
}

/* Returns the locked fd (kept open for the life of the process) or -1. */
int
lock_acquire(const char *path)
{
	char pidbuf[32];
	ssize_t n;
	int fd, len;

	lock_mkdir_parent(path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		log_err("lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, pidbuf, sizeof(pidbuf) - 1, 0);
			pidbuf[n > 0 ? n : 0] = '\0';
			pidbuf[strcspn(pidbuf, "\n")] = '\0';
			log_err("another dockscaled (pid %s) holds %s; exiting",
			    pidbuf[0] != '\0' ? pidbuf : "unknown", path);
		} else {
			log_err("lock %s: %s", path, strerror(errno));
		}
		close(fd);
		return -1;
	}
	len = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pidbuf, (size_t)len, 0) != len)
		log_warning("lock %s: cannot record pid: %s", path, strerror(errno));
	return fd;
}
