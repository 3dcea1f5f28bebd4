/* config_ctr_proc.c: the container keys about the replica's process: user,
 * capabilities, security options, ulimits, stop signal (dockscale.conf(5)). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* clang-format off */
/* Linux capabilities Docker 20.10 knows, without CAP_ (dockscale.conf(5), cap_add). */
static const char *const cap_names[] = {
	"ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
	"CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
	"MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW",
	"PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT",
	"SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
};
static const char *const ulimit_names[] = {
	"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
	"nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
};
static const char *const signal_names[] = {
	"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
	"USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
	"TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};
static const char *const secopt_keys[] = {
	"no-new-privileges", "seccomp", "apparmor", "label", "systempaths",
};
/* clang-format on */

/* NAME[:GROUP], each a user/group name or id. */
bool
config_ctr_user_ok(const char *v)
{
	const char *colon = strchr(v, ':');
	char name[CTR_USER_MAX + 1];
	size_t n = colon != NULL ? (size_t)(colon - v) : strlen(v);

	if (n == 0 || n > CTR_USER_MAX)
		return false;
	memcpy(name, v, n);
	name[n] = '\0';
	return config_valid_chars(name, "_.-") &&
	    (colon == NULL || config_valid_chars(colon + 1, "_.-"));
}

/* A list of capabilities (comma or space separated), upper-cased, CAP_ dropped. */
bool
config_ctr_caps(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	bool ok = copy != NULL;

	ps->oom |= copy == NULL;
	for (char *t = copy != NULL ? strtok_r(copy, ", \t", &save) : NULL; t != NULL && ok;
	     t = strtok_r(NULL, ", \t", &save)) {
		for (char *c = t; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		if (strncmp(t, "CAP_", 4) == 0)
			t += 4;
		if (config_ctr_find_name(cap_names, NKEYS(cap_names), t, false) < 0)
			ok = config_ctr_bad(ps, "%s: '%s' is not a Linux capability (e.g. NET_ADMIN, ALL)",
			    k, t);
		else if (config_ctr_find_name((const char *const *)sv->v, sv->n, t, false) >= 0)
			ok = config_ctr_bad(ps, "%s: %s is listed twice", k, t);
		else
			ok = config_ctr_push(ps, sv, t);
	}
	free(copy);
	return ok && copy != NULL;
}

bool
config_ctr_secopt(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	size_t kl = strcspn(v, "=:");
	char key[32];

	if (!config_ctr_word(v) || kl >= sizeof(key))
		return config_ctr_bad(ps, "%s: '%s' is not KEY=VALUE or no-new-privileges", k, v);
	memcpy(key, v, kl);
	key[kl] = '\0';
	if (config_ctr_find_name(secopt_keys, NKEYS(secopt_keys), key, false) < 0)
		return config_ctr_bad(ps, "%s: '%s' is not one of no-new-privileges, seccomp, apparmor, "
		    "label, systempaths", k, key);
	/* The CLI reads a seccomp profile from a file and sends its JSON: not ours to do. */
	if (strcmp(key, "seccomp") == 0 && strcmp(v + kl, "=unconfined") != 0 &&
	    strcmp(v + kl, ":unconfined") != 0)
		return config_ctr_bad(ps, "%s: only seccomp=unconfined (a profile file is the CLI's job)", k);
	if (v[kl] == '\0' && strcmp(key, "no-new-privileges") != 0)
		return config_ctr_bad(ps, "%s: %s needs a value (%s=...)", k, key, key);
	return config_ctr_push(ps, sv, v);
}

/* -1 (unlimited) or a non-negative integer. */
static bool
limit_num(const char *s, long long *out)
{
	char *end;

	if (strcmp(s, "-1") != 0 && !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

bool
config_ctr_ulimit(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	const char *eq = strchr(v, '=');
	char name[16], nums[64], out[128], *colon;
	long long soft, hard;
	size_t nl = eq != NULL ? (size_t)(eq - v) : 0;

	if (nl == 0 || nl >= sizeof(name) || strlen(eq + 1) >= sizeof(nums))
		return config_ctr_bad(ps, "%s: '%s' is not NAME=SOFT[:HARD]", k, v);
	memcpy(name, v, nl);
	name[nl] = '\0';
	if (config_ctr_find_name(ulimit_names, NKEYS(ulimit_names), name, false) < 0)
		return config_ctr_bad(ps, "%s: '%s' is not a ulimit (e.g. nofile, nproc, core)", k, name);
	memcpy(nums, eq + 1, strlen(eq + 1) + 1);
	if ((colon = strchr(nums, ':')) != NULL)
		*colon++ = '\0';
	if (!limit_num(nums, &soft) || !limit_num(colon != NULL ? colon : nums, &hard))
		return config_ctr_bad(ps, "%s: %s: limits are integers (-1 = unlimited)", k, name);
	if (hard != -1 && (soft == -1 || soft > hard))
		return config_ctr_bad(ps, "%s: %s: soft limit above the hard limit", k, name);
	if (config_ctr_find_key(sv, name, nl, '=') >= 0)
		return config_ctr_bad(ps, "%s: %s is set twice", k, name);
	snprintf(out, sizeof(out), "%s=%lld:%lld", name, soft, hard);
	return config_ctr_push(ps, sv, out);
}

bool
config_ctr_signal(struct pstate *ps, const char *k, char **dst, const char *v)
{
	const char *n = strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v;
	char out[16];
	char *end;
	int i;

	if (isdigit((unsigned char)v[0])) {
		long x = strtol(v, &end, 10);
		if (*end != '\0' || x < 1 || x > 64)
			return config_ctr_bad(ps, "%s: '%s' is not a signal number in 1..64", k, v);
		return config_ctr_set_str(ps, dst, v);
	}
	if ((i = config_ctr_find_name(signal_names, NKEYS(signal_names), n, true)) < 0)
		return config_ctr_bad(ps, "%s: '%s' is not a signal (e.g. SIGTERM, SIGQUIT, 15)", k, v);
	snprintf(out, sizeof(out), "SIG%s", signal_names[i]);
	return config_ctr_set_str(ps, dst, out);
}

