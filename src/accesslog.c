/* accesslog.c: the unix datagram socket nginx sends its access log lines to, read in the
 * loop, each valid line handed to a callback. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "accesslog.h"
#include "log.h"
#include "text.h"

struct accesslog {
	struct loop *l;
	struct loop_io io;
	accesslog_cb cb;
	void *arg;
	struct accesslog_stats st;
	bool err_logged;
	/* the socket file bound, so that close removes it only while it is still ours */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	char buf[ACCESSLOG_DGRAM_MAX];
};

static struct accesslog *
fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A message too long for err is still worth having: text_vformat cuts it with "...". */
static struct accesslog *
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		text_vformat(err, errlen, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

/* At most ACCESSLOG_BATCH datagrams a wakeup: epoll is level-triggered, so what is left
 * comes at the loop's next turn, after the other watchers and the timers have had
 * theirs; a flood of lines never starves the loop. */
static void
on_readable(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct accesslog *a = io->arg;

	for (int k = 0; k < ACCESSLOG_BATCH; k++) {
		/* MSG_TRUNC: the datagram's whole size, even when the buffer took only part */
		ssize_t n = recv(io->fd, a->buf, sizeof(a->buf), MSG_TRUNC | MSG_DONTWAIT);
		struct accesslog_line line;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			a->st.errors++;
			if (!a->err_logged) {
				log_warning("access log %s: recv: %s (counted from now on, not logged)",
				    a->path, strerror(errno));
				a->err_logged = true;
			}
			return;
		}
		a->st.bytes += (uint64_t)n;
		if (n == 0 || (size_t)n > sizeof(a->buf) ||
		    accesslog_parse(a->buf, (size_t)n, &line) == -1) {
			a->st.bad++;
			continue;
		}
		a->st.lines++;
		a->cb(a->arg, &line);
	}
}

struct accesslog *
accesslog_open(struct loop *l, const char *path, accesslog_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	struct accesslog *a;
	struct stat st;
	int fd;

	if (plen == 0 || plen >= sizeof(sa.sun_path))
		return fail(err, errlen, "access log socket: the path must be 1 to %zu bytes",
		    sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, plen + 1);
	/* A socket left by an earlier run is replaced; any other file is someone's. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(err, errlen, "access log socket %s: exists and is not a socket",
			    path);
		if (unlink(path) == -1 && errno != ENOENT)
			return fail(err, errlen, "access log socket %s: unlink: %s", path,
			    strerror(errno));
	} else if (errno != ENOENT) {
		return fail(err, errlen, "access log socket %s: %s", path, strerror(errno));
	}
	/* No SO_RCVBUF: Linux bounds a unix datagram socket's queue by a count of datagrams
	 * (net.unix.max_dgram_qlen, read when the socket is made: 10 in a fresh network
	 * namespace, 512 where systemd sets it) and charges each datagram's memory to its
	 * sender, so the receive buffer bounds nothing here. When the queue is full, nginx's
	 * non-blocking send fails and the line is lost (its error log says "send() to
	 * syslog failed"). */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return fail(err, errlen, "access log socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;

		close(fd);
		return fail(err, errlen, "access log socket %s: bind: %s", path, strerror(e));
	}
	/* nginx's workers run as another user (www-data, nobody), so any local user may send
	 * lines: a line only ever changes request counts (which a policy may scale on, within
	 * the service's bounds), nothing else. */
	if (chmod(path, 0666) == -1 || lstat(path, &st) == -1 ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		int e = errno;

		close(fd);
		unlink(path);
		return fail(err, errlen, "access log socket %s: %s", path, strerror(e));
	}
	a->l = l;
	a->cb = cb;
	a->arg = arg;
	memcpy(a->path, path, plen + 1);
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	loop_io_init(&a->io, fd, on_readable, a);
	if (loop_io_start(l, &a->io, EPOLLIN) == -1) {
		accesslog_close(a); /* loop_io_start logged why */
		return fail(err, errlen, "access log socket %s: cannot watch it", path);
	}
	return a;
}

void
accesslog_close(struct accesslog *a)
{
	struct stat st;

	if (a == NULL)
		return;
	if (a->io.active)
		loop_io_stop(a->l, &a->io);
	close(a->io.fd);
	/* Another socket bound at the path since (a new instance opened before this one
	 * closed) is not ours to remove. */
	if (lstat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
		unlink(a->path);
	free(a);
}

void
accesslog_stats(const struct accesslog *a, struct accesslog_stats *out)
{
	*out = a->st;
}
