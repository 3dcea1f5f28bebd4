/* sdnotify.h: the systemd notify protocol without libsystemd (SPEC §4.13). */
#ifndef DOCKSCALE_SDNOTIFY_H
#define DOCKSCALE_SDNOTIFY_H

#include <stdint.h>

/* Send one datagram of "KEY=VALUE\n" lines to $NOTIFY_SOCKET. 0 when sent or when
 * there is no socket to send to (not under systemd), -1 on error. */
int sdnotify(const char *state);
int sdnotify_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "RELOADING=1" with MONOTONIC_USEC, as systemd >= 253 wants; older ignores it. */
int sdnotify_reloading(void);
/* Watchdog period from $WATCHDOG_USEC (honouring $WATCHDOG_PID), in ms; 0 = off. */
int64_t sdnotify_watchdog_ms(void);

#endif
