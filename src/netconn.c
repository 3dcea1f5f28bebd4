/* netconn.c: counts a container's established TCP connections to a port from the kernel's
 * table in its network namespace (doc/sleeping.md, "What keeps a service awake"). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netconn.h"

#define TCP_ESTABLISHED 0x01
#define TABLE_MAX (4u << 20) /* a table this large is a host's, not a replica's */

/* One socket line: "  sl: LOCAL:PORT REMOTE:PORT ST ...", addresses in hex. */
static int
parse_line(const char *p, const char *end, int port, unsigned *n)
{
	const char *colon;
	char *e;
	unsigned long lport, st;

	while (p < end && *p == ' ')
		p++;
	if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
		return -1;
	p = colon + 1; /* the slot's colon */
	while (p < end && *p == ' ')
		p++;
	/* the local address: hex, a colon, the port in hex */
	while (p < end && *p != ':' && *p != ' ')
		p++;
	if (p >= end || *p != ':')
		return -1;
	errno = 0;
	lport = strtoul(p + 1, &e, 16);
	if (errno != 0 || e == p + 1 || e >= end || *e != ' ')
		return -1;
	p = e;
	while (p < end && *p == ' ')
		p++;
	while (p < end && *p != ' ') /* the remote address */
		p++;
	while (p < end && *p == ' ')
		p++;
	st = strtoul(p, &e, 16);
	if (e == p || e > end)
		return -1;
	if (st == TCP_ESTABLISHED && lport == (unsigned long)port)
		(*n)++;
	return 0;
}

int
netconn_parse(const char *text, size_t len, int port, unsigned *out)
{
	const char *p = text, *end = text + len, *nl;
	unsigned n = 0;
	bool header = true;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (header) {
			header = false;
			continue;
		}
		if (nl > p && parse_line(p, nl, port, &n) == -1)
			return -1;
		if (nl == end)
			break;
	}
	*out = n;
	return 0;
}

static int
count_table(const char *path, int port, unsigned *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1, err = 0;
	size_t cap = 16384, len = 0;
	char *buf = NULL;
	ssize_t r;

	if (fd == -1)
		return -1;
	if ((buf = malloc(cap)) == NULL) {
		err = ENOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if ((cap *= 2) > TABLE_MAX) {
				err = EFBIG;
				goto out;
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				err = ENOMEM;
				goto out;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + len, cap - len)) < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (netconn_parse(buf, len, port, out) == -1)
		err = EPROTO;
	else
		rc = 0;
out:
	free(buf);
	close(fd);
	if (rc == -1 && err != 0)
		errno = err;
	return rc;
}

int
netconn_count(const char *proc, int pid, int port, unsigned *out)
{
	static const char *const tables[] = { "tcp", "tcp6" };
	unsigned total = 0;
	char path[256];

	if (pid <= 0 || port <= 0 || port > 65535) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		unsigned n = 0;
		int w = snprintf(path, sizeof(path), "%s/%d/net/%s", proc, pid, tables[i]);

		if (w < 0 || (size_t)w >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		/* A namespace without IPv6 has no tcp6 table: none there. */
		if (count_table(path, port, &n) == -1 && !(i == 1 && errno == ENOENT))
			return -1;
		total += n;
	}
	*out = total;
	return 0;
}
