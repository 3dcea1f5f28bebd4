/* config_envfile.c: env_file values: KEY=VALUE files read at load, and so at every
 * reload (README.md "Configuration", env_file). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define ENV_FILE_MAX (1024 * 1024) /* bytes of one env file */

/* One line of an env file: KEY=VALUE, taken literally (no quotes, no expansion). */
static bool
env_line(struct pstate *ps, const char *path, int ln, struct strv *env, char *s)
{
	char *eq = strchr(s, '=');
	size_t kl = eq != NULL ? (size_t)(eq - s) : 0;
	int i;

	for (char *c = s; *c; c++)
		if (iscntrl((unsigned char)*c) && *c != '\t')
			return config_ctr_bad(ps, "env_file %s:%d: control character", path, ln);
	if (kl == 0 || strcspn(s, " \t") < kl)
		/* the value may be a secret: never echoed */
		return config_ctr_bad(ps, "env_file %s:%d: not NAME=value", path, ln);
	if ((i = config_ctr_find_key(env, s, kl, '=')) >= 0) {
		/* a later line (or file) wins, as in docker-compose */
		char *copy = strdup(s);

		if (copy == NULL) {
			ps->oom = true;
			return false;
		}
		free(env->v[i]);
		env->v[i] = copy;
		return true;
	}
	return config_ctr_push(ps, env, s);
}

/* Read an env file now (at load, and so at every reload). */
static bool
read_env_file(struct pstate *ps, struct strv *env, const char *path)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t len;
	int ln = 0;
	bool ok = true;

	if (fp == NULL)
		return config_ctr_bad(ps, "env_file %s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *s = line;

		ln++;
		total += (size_t)len;
		if (total > ENV_FILE_MAX) {
			ok = config_ctr_bad(ps, "env_file %s: longer than %d bytes", path, ENV_FILE_MAX);
			break;
		}
		if (strlen(line) != (size_t)len) {
			ok = config_ctr_bad(ps, "env_file %s:%d: NUL byte", path, ln);
			continue;
		}
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		s += strspn(s, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (!env_line(ps, path, ln, env, s))
			ok = false;
	}
	if (ferror(fp))
		ok = config_ctr_bad(ps, "env_file %s: %s", path, strerror(errno));
	free(line);
	fclose(fp);
	return ok;
}

bool
config_ctr_env_file(struct pstate *ps, const struct keydef *kd, struct strv *files, const char *v)
{
	struct ctr_conf *c = (struct ctr_conf *)((char *)files - offsetof(struct ctr_conf,
	    env_files));

	if (v[0] != '/' || !config_ctr_word(v))
		return config_ctr_bad(ps, "%s: '%s' is not an absolute path", kd->name, v);
	if (strlen(v) > (size_t)kd->hi)
		return config_ctr_bad(ps, "%s: path longer than %.0f bytes", kd->name, kd->hi);
	return read_env_file(ps, &c->file_env, v) && config_ctr_push(ps, files, v);
}

