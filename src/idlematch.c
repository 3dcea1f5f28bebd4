/* idlematch.c: which requests do not count for idleness: uptime checkers by path or
 * User-Agent (doc/sleeping.md, "Uptime checkers"). */
#define _GNU_SOURCE /* strcasestr */
#include <string.h>

#include "idlematch.h"

static bool
path_matches(const char *pattern, const char *path, size_t len)
{
	size_t pl = strlen(pattern);

	if (pl > 0 && pattern[pl - 1] == '*')
		return len >= pl - 1 && strncmp(pattern, path, pl - 1) == 0;
	return len == pl && strncmp(pattern, path, len) == 0;
}

bool
idlematch_ignored(char *const *paths, size_t npaths, char *const *agents, size_t nagents,
    const char *path, const char *agent)
{
	size_t len = path != NULL ? strcspn(path, "?") : 0;

	for (size_t i = 0; i < npaths && path != NULL; i++)
		if (path_matches(paths[i], path, len))
			return true;
	for (size_t i = 0; i < nagents && agent != NULL; i++)
		if (strcasestr(agent, agents[i]) != NULL)
			return true;
	return false;
}
