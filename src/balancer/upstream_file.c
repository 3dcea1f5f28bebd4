/* upstream_file.c: the upstream file on disk: read only a regular file, write atomically. */
#include "upstream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* A file bigger than this is not one of ours: refuse to replace what we could not restore. */
#define UPSTREAM_FILE_MAX (4 * 1024 * 1024)

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w == -1 && errno != EINTR)
			return -1;
		if (w > 0) {
			data += w;
			len -= (size_t)w;
		}
	}
	return 0;
}

int
upstream_write_file(const char *path, const char *data, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = path ? strrchr(path, '/') : NULL;
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0; /* the directory, with its '/' */
	int fd = -1, dfd = -1, ret = -1, n, m;
	bool created = false, bad;

	if (path == NULL || data == NULL || path[dl] == '\0') {
		log_err("upstream_write_file: bad path %s", path ? path : "(null)");
		return -1;
	}
	n = snprintf(dir, sizeof(dir), "%.*s", (int)dl, path);
	m = snprintf(tmp, sizeof(tmp), "%s.%s.dockscale.tmp", dir, path + dl);
	if (n < 0 || (size_t)n >= sizeof(dir) || m < 0 || (size_t)m >= sizeof(tmp)) {
		log_err("upstream file %s: path too long", path);
		return -1;
	}
	/* Opened first: a directory we cannot sync fails before anything changes. */
	dfd = open(dl > 0 ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1) {
		log_err("upstream file %s: directory: %s", path, strerror(errno));
		goto out;
	}
	/* A temp file left by a crash would make O_EXCL fail forever. */
	if (unlink(tmp) == -1 && errno != ENOENT)
		log_warning("upstream file %s: removing stale %s: %s", path, tmp, strerror(errno));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("upstream file %s: creating %s: %s", path, tmp, strerror(errno));
		goto out;
	}
	created = true;
	/* 0644 whatever the umask: nginx workers may run as another user. */
	bad = fchmod(fd, 0644) == -1 || write_all(fd, data, len) == -1 || fsync(fd) == -1;
	if (close(fd) == -1)
		bad = true;
	fd = -1;
	if (bad) {
		log_err("upstream file %s: writing %s: %s", path, tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) == -1) {
		log_err("upstream file %s: rename: %s", path, strerror(errno));
		goto out;
	}
	created = false;
	ret = 0;
	/* The new file is in place; only its durability across a crash is in doubt. */
	if (fsync(dfd) == -1)
		log_warning("upstream file %s: fsync of its directory: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (created)
		(void)unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int
upstream_read_file(const char *path, char **data, size_t *len)
{
	char chunk[8192];
	struct buf b;
	struct stat st;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), ret = -1;

	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		log_err("upstream file %s: %s", path, errno == ELOOP ?
		    "is a symbolic link; refusing to use it (point upstream_file at the real "
		    "file)" : strerror(errno));
		return -1;
	}
	buf_init(&b);
	if (fstat(fd, &st) == -1) {
		log_err("upstream file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("upstream file %s: not a regular file; refusing to use it", path);
		goto out;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || b.len + (size_t)r > UPSTREAM_FILE_MAX) {
			log_err("upstream file %s: %s", path, r == -1 ? strerror(errno)
			    : "too big to be ours, not replacing it");
			goto out;
		}
		buf_append(&b, chunk, (size_t)r);
	}
	if ((*data = buf_steal(&b, len)) == NULL)
		log_err("upstream file %s: out of memory", path);
	ret = *data ? 1 : -1;
out:
	close(fd);
	buf_free(&b);
	return ret;
}
