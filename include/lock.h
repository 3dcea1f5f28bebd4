/* lock.h: the per-host flock that keeps two controllers off one service (lock.c). */
#ifndef DOCKSCALE_LOCK_H
#define DOCKSCALE_LOCK_H

/* Take the lock file (its directory made if missing): the fd, held for the daemon's
 * life, or -1 (logged: another daemon holds it, or it cannot be opened). */
int lock_acquire(const char *path);

#endif
