/* netconn.h: a container's open TCP connections, from the kernel's table in its network
 * namespace (/proc/PID/net/tcp and tcp6): what is in flight at a replica when the
 * balancer's log only speaks at a request's end (doc/sleeping.md). */
#ifndef DOCKSCALE_NETCONN_H
#define DOCKSCALE_NETCONN_H

#include <stddef.h>

/* Established connections to local port in one table's text (the format of
 * /proc/net/tcp or tcp6: a header line, then one socket a line). Pure. -1 when a line is
 * malformed. */
int netconn_parse(const char *text, size_t len, int port, unsigned *out);
/* The same for the network namespace of process pid (both tables): 0 with *out, or -1
 * with errno (the process is gone, the table unreadable or malformed). proc: the procfs
 * mount ("/proc"). */
int netconn_count(const char *proc, int pid, int port, unsigned *out);

#endif
