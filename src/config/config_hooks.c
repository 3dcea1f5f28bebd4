/* config_hooks.c: the lifecycle hooks' checks across keys (post_start, pre_stop,
 * pre_stop_http and their timeouts; doc/replicas.md, "Lifecycle hooks"). */
#include "config_int.h"

void
config_hooks_check(struct pstate *ps, const struct svc_conf *s)
{
	int lc = config_key_line(ps, "pre_stop", false);
	int lh = config_key_line(ps, "pre_stop_http", false);
	int l;

	/* One way to tell a replica it goes: which of the two would be a guess. */
	if (lc > 0 && lh > 0)
		config_perr(ps, lc > lh ? lc : lh, "service %s: pre_stop and pre_stop_http are "
		    "both set (one pre-stop hook per service)", s->name);
	if (s->post_start.n == 0 && (l = config_key_line(ps, "post_start_timeout", false)) > 0)
		config_pwarn(ps, l, "service %s: post_start_timeout has no effect without "
		    "post_start", s->name);
	else if (s->post_start.n > 0 && s->post_start_timeout_ms >= s->start_timeout_ms &&
	    (l = config_key_line(ps, "post_start_timeout", false)) > 0)
		config_pwarn(ps, l, "service %s: post_start_timeout has no effect beyond "
		    "start_timeout (%llds): a start that long has failed already", s->name,
		    (long long)s->start_timeout_ms / 1000);
	if (s->pre_stop.n == 0 && s->pre_stop_http[0] == '\0' &&
	    (l = config_key_line(ps, "pre_stop_timeout", false)) > 0)
		config_pwarn(ps, l, "service %s: pre_stop_timeout has no effect without pre_stop "
		    "or pre_stop_http", s->name);
}
