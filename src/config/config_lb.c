/* config_lb.c: the balancer-side keys of [service] every balancer kind shares: waking
 * from zero (wake_listen, wake_queue, wake_timeout, wake_replicas, wake_page;
 * doc/waking.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "docker.h"

#define WAKE_TIMEOUT_MAX_MS (3600.0 * 1000)

/* clang-format off */
#define KEY(n, t, o, lo, hi, f) { n, o, lo, hi, t, f }
#define S(f) offsetof(struct svc_conf, f)

static const struct keydef lb_svc_keys[] = {
	KEY("wake_listen", K_WAKELISTEN, S(wake_listen), 0, 0, F_ROUTE),
	KEY("wake_queue", K_INT, S(wake_queue), 1, CONFIG_WAKE_QUEUE_MAX, F_ROUTE),
	KEY("wake_timeout", K_DUR, S(wake_timeout_ms), 0, WAKE_TIMEOUT_MAX_MS,
	    F_OPEN_LO | F_ROUTE),
	KEY("wake_replicas", K_INT, S(wake_replicas), 1, REPLICAS_MAX, F_ROUTE),
	KEY("wake_page", K_WAKEPAGE, S(wake_page), 0, 0, F_ROUTE),
};
_Static_assert(NKEYS(lb_svc_keys) <= LB_KEYS_MAX, "LB_KEYS_MAX too small");
/* clang-format on */

const struct keydef *
config_lb_keys(size_t *n)
{
	*n = NKEYS(lb_svc_keys);
	return lb_svc_keys;
}

/* IPv4:PORT, port 1..65535: every balancer takes it as is (nginx's `server A:P;`, a
 * runtime API's `add server B/S A:P`), and the daemon binds it. */
static bool
valid_wake_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[16], *end;
	struct in_addr a;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(host) || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	return errno == 0 && port >= 1 && port <= 65535 && inet_pton(AF_INET, host, &a) == 1;
}

/* Read the page now, like token_file: a missing or oversized file is an error at load,
 * and a reload that fails keeps the page in force. */
static bool
read_page(struct pstate *ps, const char *k, struct config_page *pg, const char *path)
{
	char *buf = malloc(CONFIG_WAKE_PAGE_MAX + 1);
	size_t n = 0;
	int fd;

	if (buf == NULL) {
		ps->oom = true;
		return false;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		free(buf);
		return config_ctr_bad(ps, "%s %s: %s", k, path, strerror(errno));
	}
	while (n < CONFIG_WAKE_PAGE_MAX + 1) {
		ssize_t r = read(fd, buf + n, CONFIG_WAKE_PAGE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(buf);
			return config_ctr_bad(ps, "%s %s: %s", k, path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > CONFIG_WAKE_PAGE_MAX || n == 0) {
		free(buf);
		return n == 0 ? config_ctr_bad(ps, "%s %s: the file is empty", k, path)
		    : config_ctr_bad(ps, "%s %s: larger than %d KiB", k, path,
		    CONFIG_WAKE_PAGE_MAX / 1024);
	}
	if (!config_ctr_set_str(ps, &pg->path, path)) {
		free(buf);
		return false;
	}
	free(pg->html);
	pg->html = buf;
	pg->len = n;
	return true;
}

bool
config_lb_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	switch (kd->type) {
	case K_WAKELISTEN:
		if (*v != '\0' && !valid_wake_listen(v))
			return config_ctr_bad(ps, "%s: '%s' is not IPV4:PORT (port 1..65535)", k, v);
		return config_ctr_set_str(ps, p, v);
	case K_WAKEPAGE: {
		struct config_page *pg = p;

		if (*v == '\0') {
			free(pg->html);
			pg->html = NULL;
			pg->len = 0;
			return config_ctr_set_str(ps, &pg->path, v);
		}
		if (v[0] != '/' || strlen(v) >= PATH_MAX)
			return config_ctr_bad(ps, "%s: '%s' is not an absolute path", k, v);
		return read_page(ps, k, pg, v);
	}
	default:
		return config_ctr_bad(ps, "%s: internal error: unknown value type", k);
	}
}

void
config_lb_check(struct pstate *ps, const struct svc_conf *s)
{
	int lw = config_key_line(ps, "wake_listen", false);
	int lr = config_key_line(ps, "wake_replicas", false);
	int lm = config_key_line(ps, "max_replicas", true);
	const struct config_kind *kind = config_kind_find(CONFIG_BALANCER, s->balancer);
	char names[64];

	/* a bad max_replicas was said already: nothing to compare with */
	if (lr > 0 && s->wake_replicas > s->dp.max_replicas &&
	    (lm == 0 || config_key_line(ps, "max_replicas", false) > 0))
		config_perr(ps, lr, "service %s: wake_replicas (%d) is greater than max_replicas "
		    "(%d)", s->name, s->wake_replicas, s->dp.max_replicas);
	/* set to something but the default, with wake_listen off (not bad: said already) */
	if (s->wake_listen[0] == '\0' && (config_key_line(ps, "wake_listen", true) == 0 ||
	    config_key_line(ps, "wake_listen", false) > 0)) {
		int l;

		if (lr > 0 && s->wake_replicas > 1)
			config_pwarn(ps, lr, "service %s: wake_replicas has no effect without "
			    "wake_listen", s->name);
		if ((l = config_key_line(ps, "wake_page", false)) > 0 && s->wake_page.len > 0)
			config_pwarn(ps, l, "service %s: wake_page has no effect without wake_listen",
			    s->name);
	}
	if (s->wake_listen[0] == '\0' || lw == 0)
		return;
	/* doc/waking.md: the balancer sends requests there at zero. */
	config_kind_names(CONFIG_BALANCER, true, " or ", names, sizeof(names));
	if (kind != NULL && !kind->routes)
		config_perr(ps, lw, "service %s: wake_listen needs a balancer (%s) to send "
		    "requests to it", s->name, names);
	if (s->dp.min_replicas > 0)
		config_perr(ps, lw, "service %s: wake_listen needs min_replicas = 0 (the service "
		    "never sleeps otherwise)", s->name);
}

void
config_lb_check_services(struct pstate *ps, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *s = &cfg->svcs[i];

		if (s->wake_listen[0] == '\0')
			continue;
		if (cfg->listen != NULL && strcmp(s->wake_listen, cfg->listen) == 0)
			config_perr(ps, s->line, "service %s: wake_listen %s is the API's listen "
			    "address", s->name, s->wake_listen);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(s->wake_listen, cfg->svcs[j].wake_listen) == 0) {
				config_perr(ps, s->line, "service %s: wake_listen %s is also used by "
				    "service %s; each service needs its own", s->name, s->wake_listen,
				    cfg->svcs[j].name);
				break;
			}
		}
	}
}
