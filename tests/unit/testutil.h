/* testutil.h: small helpers the unit tests' fake servers share. */
#ifndef DOCKSCALE_TESTUTIL_H
#define DOCKSCALE_TESTUTIL_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Write all of p to a connected socket; a peer that went away ends it quietly (a fake
 * server thread must not die of SIGPIPE, nor assert: cmocka's asserts longjmp). */
static inline void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

#endif
