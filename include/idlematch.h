/* idlematch.h: which requests do not count for idleness (idle_ignore_path,
 * idle_ignore_user_agent; doc/sleeping.md, "Uptime checkers"). Pure. */
#ifndef DOCKSCALE_IDLEMATCH_H
#define DOCKSCALE_IDLEMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Is a request for path (its query ignored) with this User-Agent left out: path equals
 * one of paths (or starts with one ending in '*', without the '*'), or agent contains one
 * of agents (any case)? NULL path or agent: not matched on it. */
bool idlematch_ignored(char *const *paths, size_t npaths, char *const *agents,
    size_t nagents, const char *path, const char *agent);

#endif
