/* config_int.h: private to config.c (file reader) and config_keys.c (keys and values). */
#ifndef DOCKSCALE_CONFIG_INT_H
#define DOCKSCALE_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define KEYS_MAX 48 /* keys in the largest section: sizes pstate.seen */
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* The order of SEC_DAEMON..SEC_SERVICE indexes config.c's section names and
 * config_keys.c's key tables. */
enum section { SEC_NONE, SEC_DAEMON, SEC_DOCKER, SEC_PROM, SEC_NGINX, SEC_SERVICE, SEC_BAD };

/* clang-format off */
enum ktype {
	K_STR, K_IMAGE, K_ABSPATH, K_SOCKET, K_LISTEN, K_URL, K_TOKEN, K_LOGLEVEL, K_DUR,
	K_INT, K_DBL, K_MEMORY, K_BOOL, K_ARGV, K_ENV, K_LIST, K_METRIC, K_POLICY,
	K_HTTPPATH, K_UPNAME, K_NETWORK, K_HOSTS,
};

#define F_OPEN_LO 1u  /* the lower bound is exclusive */
#define F_NONEMPTY 2u /* an argv must have a word */
#define F_EMPTY_OK 4u /* a path may be empty (the feature is off) */
#define F_WHOLE_S 8u  /* a duration in whole seconds */
#define F_PROGRAM 16u /* argv[0] is run by the daemon: resolved in PATH at load */
#define F_ZERO_OK 32u /* a number may be 0 (off) below its lower bound */
#define F_TMP_SIBLING 64u /* a file replaced through a temporary file beside it */
#define F_CTR 128u    /* part of the container definition (ctrdef.c builds it into the
                       * create body) */

struct keydef {
	const char *name;
	size_t off;        /* into struct config or struct svc_conf */
	double lo, hi;     /* numbers, durations in ms; hi of a string: its longest length
	                    * (0 = no bound) */
	enum ktype type;
	unsigned flags;
};
/* clang-format on */

struct pstate {
	const char *path;
	FILE *fp;
	char *buf; /* getline buffer */
	size_t cap;
	int line;       /* line most recently handed to inih */
	bool have_prev; /* inih has a key an indented line would continue */
	bool cont;      /* the current line is such a continuation */
	enum section sec;
	int global_line[4];      /* first line of each global section */
	int seen[KEYS_MAX];      /* per key of this section: first line, negative if bad */
	int listen_line;         /* of [daemon] listen, for the check that needs the token */
	struct svc_conf *cur;    /* the [service] being read */
	struct svc_conf scratch; /* a rejected [service] still gets its keys checked */
	bool in_scratch;
	struct config *cfg;
	struct config_errors *errs;
	size_t errs_base; /* errs->n when we started: we only sort our own */
	int *err_lines;   /* line of each of our messages, for sorting */
	size_t nerr;
	bool oom;
};

/* config.c: error collection, shared so that value and cross-key checks report
 * through the same sorted list as the reader. */
__attribute__((format(printf, 3, 0))) void config_vperr(struct pstate *ps, int line,
                                                        const char *fmt, va_list ap);
/* Record "FILE:LINE: message" (line 0: "FILE: message"). */
__attribute__((format(printf, 3, 4))) void config_perr(struct pstate *ps, int line,
                                                       const char *fmt, ...);

/* config_keys.c */

/* The key name of section sec (SEC_DAEMON..SEC_SERVICE), or NULL if there is none;
 * *idx is its index in the section, which is what pstate.seen is indexed by. */
const struct keydef *config_key_find(enum section sec, const char *name, int *idx);
/* Find a command's program in PATH (a bare name) and store its absolute path in sv; with
 * report, a missing or bad one is an error on the current line. */
bool config_resolve_program(struct pstate *ps, const char *k, struct strv *sv, bool report);
/* Parse v into the field at p. False (after reporting) when v is rejected. */
bool config_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v);
/* Checks across the keys of the [service] just finished (reported on its header line). */
void config_check_service(struct pstate *ps, const struct svc_conf *s);
/* Checks across services, once the whole file has been read. */
void config_check_services(struct pstate *ps, struct config *cfg);
/* Checks across the [daemon] keys, once the whole file has been read. */
void config_check_daemon(struct pstate *ps, const struct config *cfg);

#endif
