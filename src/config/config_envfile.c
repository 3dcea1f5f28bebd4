/* config_envfile.c: env_file values: KEY=VALUE files read at load, and so at every
 * reload (dockscale.conf(5), env_file). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The whole file into a malloc'd, NUL-terminated buffer of *len bytes. Only a regular
 * file of at most ENV_FILE_MAX bytes: a FIFO or a device (/dev/zero) must not hang or
 * fill the loader. */
static char *
slurp(struct pstate *ps, const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	size_t n = 0;

	if (fd < 0) {
		config_ctr_bad(ps, "env_file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		config_ctr_bad(ps, "env_file %s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > ENV_FILE_MAX) {
		config_ctr_bad(ps, "env_file %s: longer than %d bytes", path, ENV_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		ps->oom = true;
		goto fail;
	}
	while (n < (size_t)st.st_size) { /* a file that grows meanwhile is read to its size */
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			config_ctr_bad(ps, "env_file %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Read an env file now (at load, and so at every reload). */
static bool
read_env_file(struct pstate *ps, struct strv *env, const char *path)
{
	size_t len, off = 0;
	char *buf = slurp(ps, path, &len);
	int ln = 0;
	bool ok = buf != NULL;

	while (buf != NULL && off < len) {
		char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - off;

		off += n + 1;
		ln++;
		s[n] = '\0';
		if (strlen(s) != n) {
			ok = config_ctr_bad(ps, "env_file %s:%d: NUL byte", path, ln);
			continue;
		}
		while (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		s += strspn(s, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (!env_line(ps, path, ln, env, s))
			ok = false;
	}
	free(buf);
	return ok;
}

bool
config_ctr_env_file(struct pstate *ps, const struct keydef *kd, struct strv *files,
                    const char *v)
{
	struct ctr_conf *c = (struct ctr_conf *)((char *)files - offsetof(struct ctr_conf,
	    env_files));

	if (v[0] != '/' || !config_ctr_word(v))
		return config_ctr_bad(ps, "%s: '%s' is not an absolute path", kd->name, v);
	if (strlen(v) > (size_t)kd->hi)
		return config_ctr_bad(ps, "%s: path longer than %.0f bytes", kd->name, kd->hi);
	return read_env_file(ps, &c->file_env, v) && config_ctr_push(ps, files, v);
}

