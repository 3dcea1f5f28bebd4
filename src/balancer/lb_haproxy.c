/* lb_haproxy.c: the HAProxy balancer: servers added and deleted through its runtime API. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "events.h"
#include "haproxy.h"
#include "haproxy_config.h"
#include "lb.h"
#include "log.h"
#include "loop.h"

#define POLL_MS 200     /* `show servers conn` while a server drains */
#define ROUNDS_MAX 4    /* read-plan-apply rounds of one sync (a name freed, then added) */
#define CMD_MAX 512
#define WAKE_SUFFIX "-wake"
/* The wake server's sessions are the wake listener's relays of held requests, their
 * answers on their way to clients: a short `drain` (0 s) must not shut them. */
#define WAKE_DRAIN_MIN_MS 10000
/* A server of haproxy.cfg keeps idle connections for reuse (pool-max-conn -1,
 * pool-purge-delay 5s); one added by `add server` gets neither (HAProxy 2.6: 0 and 0,
 * default-server not inherited), so each request that round-robin sends to another
 * server than the last closes its connection and the next opens a new one. Behind
 * Docker's userland proxy each of those is a new connection from the bridge's address
 * to the replica that leaves a TIME_WAIT for 60 s: above ~470 a second to one replica
 * the 28,232 local ports run out and the proxy closes connections unanswered, 502 SH--
 * (doc/balancers.md, "Choosing a balancer"). */
#define SERVER_OPTS "pool-max-conn -1 pool-purge-delay 5s"

struct want {
	char name[HAPROXY_NAME_MAX + 1]; /* the server: the replica's name, retiring mark cut */
	char addr[HAPROXY_ADDR_MAX + 1];
	bool draining;
};

/* One sync's settings and members, copied (lb.h: the caller's may be freed). */
struct req {
	uint64_t gen;
	char socket[108];
	char backend[128];
	int64_t timeout_ms, drain_ms;
	struct want *w;
	size_t n;
	size_t serving;          /* wanted servers that are replicas taking requests */
};

/* The traffic read (lb.h's traffic op): `show stat B 4 -1` on the service's one command
 * channel. It waits for a sync's command on the wire and the sync's next command waits
 * for it, so the read goes between two of a sync's commands (a drain's polls included),
 * never beside one, and never waits for a whole sync (a drain can last `drain`). */
struct tread {
	struct req *members;      /* the last sync's settings and members (no wake server);
	                           * NULL: no sync yet */
	lb_traffic_cb cb;         /* the read asked for; NULL: none */
	void *arg;
	struct haproxy_cmd *cmd;  /* the read on the wire */
	bool pending;             /* asked while a sync's command was on the wire */
	bool answer_ok;           /* the answer ready without a command (rows: none) */
	struct loop_timer report; /* ... given from the loop */
	char held[CMD_MAX];       /* a sync's command waiting for the read ("": none) */
	struct loop_timer resume; /* ... sent from the loop once the read answered */
	bool failing;             /* the last read failed: the next failure is not logged */
};

enum phase { PH_IDLE, PH_READ, PH_CMDS, PH_POLL, PH_REMOVE };

struct hap {
	struct loop *l;
	char service[CONFIG_NAME_MAX + 1];
	lb_cb cb;
	void *arg;
	struct events *ev;
	uint64_t next_gen;
	struct req *queued;      /* the latest request waiting for the running one */
	struct req *run;         /* the sync running */
	enum phase phase;
	int round;
	bool again;              /* a wanted name was held by a stale server: one more round */
	bool changed;            /* this sync added or removed a server */
	struct haproxy_cmd *cmd;
	struct loop_timer timer; /* report from the loop; drain polls */
	struct haproxy_server *srv; /* the backend as last read */
	size_t nsrv;
	char **cmds;             /* commands of this step, run in order */
	size_t ncmds, icmd;
	char drain[32][HAPROXY_NAME_MAX + 1]; /* servers draining in this sync */
	size_t ndrain;
	size_t left;             /* drained servers still holding connections */
	size_t added, removed;   /* by this sync */
	int64_t drain_start, drain_deadline;
	bool forced;             /* the drain ran out: sessions shut down */
	char summary[200];       /* what this sync changed, for the event */
	bool failing;            /* the last sync failed: the next success is an event */
	struct lb_stats st;
	uint64_t changes;        /* syncs that added or removed a server */
	uint64_t commands;       /* runtime API commands sent, each its own connection */
	int64_t last_drain_ms;   /* the last drain: drain state to deletion; -1 none yet */
	struct tread t;
};

static void step(struct hap *h);

static void
req_free(struct req *r)
{
	if (r != NULL)
		free(r->w);
	free(r);
}

static void
cmds_clear(struct hap *h)
{
	for (size_t i = 0; i < h->ncmds; i++)
		free(h->cmds[i]);
	free(h->cmds);
	h->cmds = NULL;
	h->ncmds = h->icmd = 0;
}

__attribute__((format(printf, 2, 3))) static int
cmd_push(struct hap *h, const char *fmt, ...)
{
	char buf[CMD_MAX], **v;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return -1;
	if ((v = realloc(h->cmds, (h->ncmds + 1) * sizeof(*v))) == NULL)
		return -1;
	h->cmds = v;
	if ((v[h->ncmds] = strdup(buf)) == NULL)
		return -1;
	h->ncmds++;
	return 0;
}

/* A server this daemon manages for the service: <service>-<digits> or <service>-wake.
 * Every other server of the backend is the user's and is never touched. */
static bool
ours(const struct hap *h, const char *name)
{
	size_t n = strlen(h->service);

	if (strncmp(name, h->service, n) != 0 || name[n] != '-')
		return false;
	if (strcmp(name + n, WAKE_SUFFIX) == 0)
		return true;
	return name[n + 1] != '\0' && strspn(name + n + 1, "0123456789") == strlen(name + n + 1);
}

static const struct haproxy_server *
find_srv(const struct hap *h, const char *name)
{
	for (size_t i = 0; i < h->nsrv; i++)
		if (strcmp(h->srv[i].name, name) == 0)
			return &h->srv[i];
	return NULL;
}

static const struct want *
find_want(const struct req *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->w[i].name, name) == 0)
			return &r->w[i];
	return NULL;
}

static void
note(struct hap *h, const char *verb, const char *name)
{
	size_t len = strlen(h->summary);

	h->changed = true;
	snprintf(h->summary + len, sizeof(h->summary) - len, "%s%s %s", len ? "; " : "", verb,
	    name);
}

static void
done(struct hap *h, bool ok, const char *why)
{
	struct req *r = h->run;
	size_t serving = r->serving;

	h->phase = PH_IDLE;
	h->run = NULL;
	cmds_clear(h);
	if (ok) {
		h->st.applied++;
		h->st.serving = serving;
		h->st.servers = h->nsrv + h->added - h->removed;
		if (h->changed) {
			h->changes++;
			if (h->ev != NULL)
				events_log(h->ev, LOG_NOTICE, EV_BALANCER, h->service,
				    "haproxy backend %s: %s (%zu serving)", r->backend, h->summary,
				    serving);
		}
		if (h->failing && h->ev != NULL)
			events_log(h->ev, LOG_NOTICE, EV_BALANCER, h->service,
			    "haproxy backend %s in sync again", r->backend);
		h->failing = false;
	} else {
		h->st.failed++;
		if (!h->failing && h->ev != NULL)
			events_fail(h->ev, LOG_ERR, EV_BALANCER, h->service,
			    "haproxy backend %s: %s", r->backend, why);
		else
			log_err("%s: haproxy backend %s: %s", h->service, r->backend, why);
		h->failing = true;
	}
	h->cb(h->arg, r->gen, ok);
	req_free(r);
	if (h->queued != NULL)
		loop_timer_start(h->l, &h->timer, 0);
}

static void
on_answer(void *arg, bool ok, const char *reply, size_t len);
static void traffic_send(struct hap *h);

static void
send_cmd(struct hap *h, const char *cmd)
{
	if (h->t.cmd != NULL) {
		/* the traffic read is on the wire: this command follows its answer */
		if (snprintf(h->t.held, sizeof(h->t.held), "%s", cmd) >= (int)sizeof(h->t.held)) {
			h->t.held[0] = '\0';
			done(h, false, "command too long");
		}
		return;
	}
	if (strncmp(cmd, "show ", 5) != 0)
		log_debug("%s: haproxy: %s", h->service, cmd);
	h->cmd = haproxy_cmd_start(h->l, h->run->socket, cmd, h->run->timeout_ms, on_answer, h);
	h->commands += h->cmd != NULL;
	if (h->cmd == NULL) {
		if (h->t.pending) /* it waited for this command */
			traffic_send(h);
		done(h, false, "out of memory");
	}
}

/* Read the backend, then plan what brings it to the wanted set. */
static int
plan(struct hap *h)
{
	struct req *r = h->run;

	h->again = false;
	for (size_t i = 0; i < h->nsrv; i++) {
		const struct haproxy_server *s = &h->srv[i];
		const struct want *w;

		if (!ours(h, s->name))
			continue;
		w = find_want(r, s->name);
		if (w != NULL && !w->draining && strcmp(w->addr, s->addr) == 0) {
			if ((s->admin & HAPROXY_ADMIN_MAINT) &&
			    cmd_push(h, "enable server %s/%s", r->backend, s->name) == -1)
				return -1;
			if ((s->admin & HAPROXY_ADMIN_DRAIN) &&
			    cmd_push(h, "set server %s/%s state ready", r->backend, s->name) == -1)
				return -1;
			continue;
		}
		/* not wanted, draining, or a stale server holding a wanted name */
		if (w != NULL && !w->draining)
			h->again = true;
		if (h->ndrain < sizeof(h->drain) / sizeof(h->drain[0])) {
			memcpy(h->drain[h->ndrain++], s->name, strlen(s->name) + 1);
			if (!(s->admin & (HAPROXY_ADMIN_DRAIN | HAPROXY_ADMIN_MAINT)) &&
			    cmd_push(h, "set server %s/%s state drain", r->backend, s->name) == -1)
				return -1;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct want *w = &r->w[i];

		if (w->draining || find_srv(h, w->name) != NULL)
			continue;
		/* health checks stay off (doc/balancers.md, "Choosing a balancer"): the daemon's
		 * own health gate decides who is a member */
		if (cmd_push(h, "add server %s/%s %s " SERVER_OPTS, r->backend, w->name,
		        w->addr) == -1 ||
		    cmd_push(h, "enable server %s/%s", r->backend, w->name) == -1)
			return -1;
		note(h, "added", w->name);
		h->added++;
	}
	return 0;
}

static void
start_poll(struct hap *h, int64_t ms)
{
	h->phase = PH_POLL;
	loop_timer_start(h->l, &h->timer, ms);
}

static void
drain_forget(struct hap *h, const char *name)
{
	for (size_t i = 0; i < h->ndrain; i++) {
		if (strcmp(h->drain[i], name) == 0) {
			memmove(h->drain[i], h->drain[h->ndrain - 1], sizeof(h->drain[i]));
			h->ndrain--;
			return;
		}
	}
}

static bool
drains_wake(const struct hap *h)
{
	size_t n = strlen(h->service);

	for (size_t i = 0; i < h->ndrain; i++)
		if (strncmp(h->drain[i], h->service, n) == 0 &&
		    strcmp(h->drain[i] + n, WAKE_SUFFIX) == 0)
			return true;
	return false;
}

/* The drained servers with no connection in use (or all, once the drain ran out):
 * maint, then del. */
static int
plan_remove(struct hap *h)
{
	const struct req *r = h->run;
	bool out = loop_now(h->l) >= h->drain_deadline;

	h->left = 0;
	for (size_t i = 0; i < h->ndrain; i++) {
		const struct haproxy_server *s = find_srv(h, h->drain[i]);

		if (s == NULL)
			continue;
		if (!out && s->cur_conns != 0) {
			h->left++;
			continue;
		}
		if (!(s->admin & HAPROXY_ADMIN_MAINT) &&
		    cmd_push(h, "set server %s/%s state maint", r->backend, s->name) == -1)
			return -1;
		if (out && cmd_push(h, "shutdown sessions server %s/%s", r->backend, s->name) == -1)
			return -1;
		if (cmd_push(h, "del server %s/%s", r->backend, s->name) == -1)
			return -1;
	}
	h->forced |= out;
	return 0;
}

static void
on_answer(void *arg, bool ok, const char *reply, size_t len)
{
	struct hap *h = arg;
	struct req *r = h->run;
	char why[200];

	h->cmd = NULL;
	/* a traffic read asked meanwhile goes before the sync's next command */
	if (h->t.pending)
		traffic_send(h);
	if (!ok) {
		snprintf(why, sizeof(why), "%s: %.*s", r->socket, (int)len, reply);
		done(h, false, why);
		return;
	}
	switch (h->phase) {
	case PH_READ:
		free(h->srv);
		h->srv = NULL;
		cmds_clear(h);
		if (haproxy_parse_state(reply, len, r->backend, &h->srv, &h->nsrv, why,
		        sizeof(why)) == -1) {
			done(h, false, why);
			return;
		}
		if (plan(h) == -1) {
			done(h, false, "out of memory");
			return;
		}
		if (h->ndrain > 0 && h->drain_start == 0) {
			h->drain_start = loop_now(h->l);
			h->drain_deadline = h->drain_start + (drains_wake(h) &&
			    r->drain_ms < WAKE_DRAIN_MIN_MS ? WAKE_DRAIN_MIN_MS : r->drain_ms);
		}
		h->phase = PH_CMDS;
		break;
	case PH_CMDS:
	case PH_REMOVE: {
		const char *cmd = h->cmds[h->icmd - 1];

		if (!haproxy_reply_ok(reply, len, why, sizeof(why))) {
			/* a server still busy is waited for, until the drain runs out */
			if (h->phase == PH_REMOVE && strncmp(cmd, "del server", 10) == 0 &&
			    !h->forced) {
				cmds_clear(h);
				start_poll(h, POLL_MS);
				return;
			}
			char msg[CMD_MAX + 256];
			snprintf(msg, sizeof(msg), "`%s`: %s", cmd, why);
			done(h, false, msg);
			return;
		}
		if (strncmp(cmd, "del server", 10) == 0) {
			note(h, "removed", strchr(cmd, '/') + 1);
			drain_forget(h, strchr(cmd, '/') + 1);
			h->removed++;
			h->last_drain_ms = loop_now(h->l) - h->drain_start;
		}
		break;
	}
	case PH_POLL:
		if (haproxy_parse_conn(reply, len, r->backend, h->srv, h->nsrv, why,
		        sizeof(why)) == -1) {
			done(h, false, why);
			return;
		}
		cmds_clear(h);
		if (plan_remove(h) == -1) {
			done(h, false, "out of memory");
			return;
		}
		if (h->ncmds == 0) {
			loop_timer_start(h->l, &h->timer, POLL_MS);
			return;
		}
		h->phase = PH_REMOVE;
		break;
	default:
		return;
	}
	step(h);
}

/* Run the next command of this step, or move on to the next step. */
static void
step(struct hap *h)
{
	struct req *r = h->run;

	if (h->phase == PH_READ) {
		char cmd[CMD_MAX];

		if (h->round == 0) {
			h->changed = false;
			h->summary[0] = '\0';
			h->drain_start = 0;
			h->forced = false;
		}
		h->ndrain = 0;
		h->added = h->removed = 0;
		h->round++;
		snprintf(cmd, sizeof(cmd), "show servers state %s", r->backend);
		send_cmd(h, cmd);
		return;
	}
	if (h->icmd < h->ncmds) {
		send_cmd(h, h->cmds[h->icmd++]);
		return;
	}
	if ((h->phase == PH_CMDS && h->ndrain > 0) || (h->phase == PH_REMOVE && h->left > 0)) {
		/* the drained servers still holding connections are polled again */
		cmds_clear(h);
		start_poll(h, h->phase == PH_CMDS ? 0 : POLL_MS);
		return;
	}
	if (h->again && h->round < ROUNDS_MAX) {
		h->phase = PH_READ;
		step(h);
		return;
	}
	done(h, true, NULL);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct hap *h = t->arg;
	char cmd[CMD_MAX];

	(void)l;
	if (h->phase == PH_POLL) {
		snprintf(cmd, sizeof(cmd), "show servers conn %s", h->run->backend);
		send_cmd(h, cmd);
	} else if (h->phase == PH_IDLE && h->queued != NULL) {
		h->run = h->queued;
		h->queued = NULL;
		h->phase = PH_READ;
		h->round = 0;
		step(h);
	}
}

/* ---- the traffic read (struct tread) ---- */

/* Keep r's settings and members (its first r->n wants, before any wake server) as the
 * ones a traffic read reports. */
static int
members_keep(struct hap *h, const struct req *r)
{
	struct req *m = malloc(sizeof(*m));

	if (m == NULL)
		return -1;
	*m = *r;
	if ((m->w = calloc(r->n + 1, sizeof(*m->w))) == NULL) {
		free(m);
		return -1;
	}
	memcpy(m->w, r->w, r->n * sizeof(*m->w));
	req_free(h->t.members);
	h->t.members = m;
	return 0;
}

static uint64_t
counter(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0; /* -1: HAProxy has none (a tcp backend) */
}

/* The rows of the members whose server the answer has: found by the server name the
 * member was added as (a name is unique in a backend; an address is not: a user's own
 * server may point where a replica listens), and that server's address must be the
 * member's (else it is a stale server still holding the name, as plan() sees it; an
 * empty address, a CLI below level oper, is taken on the name). The user's own servers
 * and the wake server are no member's. */
static size_t
traffic_rows(const struct req *m, const struct haproxy_stat *st, size_t nst,
    struct lb_traffic *out)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct want *w = &m->w[i];
		const struct haproxy_stat *s = NULL;
		struct lb_traffic *t = &out[n];

		for (size_t j = 0; j < nst && s == NULL; j++)
			if (strcmp(st[j].name, w->name) == 0)
				s = &st[j];
		if (s == NULL || (s->addr[0] != '\0' && strcmp(s->addr, w->addr) != 0))
			continue;
		memset(t, 0, sizeof(*t));
		if (snprintf(t->addr, sizeof(t->addr), "%s", w->addr) >= (int)sizeof(t->addr))
			continue;
		t->requests = counter(s->stot);
		for (size_t k = 0; k < 6; k++)
			t->responses[k] = counter(s->hrsp[k]);
		t->queued = (double)counter(s->qcur);
		t->in_flight = (double)counter(s->scur) + t->queued;
		/* HAProxy shows 0 before its first sample, and 0 in a tcp backend */
		t->rtime_ms = s->rtime >= 0 && s->req_tot > 0 ? (double)s->rtime : -1;
		n++;
	}
	return n;
}

/* Give the read's answer: the asker may ask again, or destroy the balancer, from cb, so
 * nothing of h is touched after it. */
static void
traffic_done(struct hap *h, bool ok, const struct lb_traffic *rows, size_t n, const char *why)
{
	lb_traffic_cb cb = h->t.cb;
	void *arg = h->t.arg;

	h->t.cb = NULL;
	if (!ok && !h->t.failing)
		log_warning("%s: haproxy: traffic read: %s", h->service, why);
	else if (!ok)
		log_debug("%s: haproxy: traffic read: %s", h->service, why);
	h->t.failing = !ok;
	cb(arg, ok, rows, n);
}

static void
on_traffic(void *arg, bool ok, const char *reply, size_t len)
{
	struct hap *h = arg;
	const struct req *m = h->t.members;
	struct haproxy_stat *st = NULL;
	struct lb_traffic *rows = NULL;
	size_t nst = 0, n = 0;
	char why[200];

	h->t.cmd = NULL;
	if (h->t.held[0] != '\0')
		loop_timer_start(h->l, &h->t.resume, 0);
	if (!ok) {
		snprintf(why, sizeof(why), "%s: %.*s", m->socket, (int)len, reply);
	} else if (haproxy_parse_stat(reply, len, m->backend, &st, &nst, why, sizeof(why)) == -1) {
		ok = false;
	} else if ((rows = calloc(m->n + 1, sizeof(*rows))) == NULL) {
		snprintf(why, sizeof(why), "out of memory");
		ok = false;
	} else {
		n = traffic_rows(m, st, nst, rows);
	}
	free(st);
	traffic_done(h, ok, rows, n, why);
	free(rows);
}

static void
traffic_send(struct hap *h)
{
	const struct req *m = h->t.members;
	char cmd[CMD_MAX];

	h->t.pending = false;
	/* 4: servers only; -1: all of them */
	if (snprintf(cmd, sizeof(cmd), "show stat %s 4 -1", m->backend) < (int)sizeof(cmd))
		h->t.cmd = haproxy_cmd_start(h->l, m->socket, cmd, m->timeout_ms, on_traffic, h);
	h->commands += h->t.cmd != NULL;
	if (h->t.cmd == NULL) {
		h->t.answer_ok = false;
		loop_timer_start(h->l, &h->t.report, 0);
	}
}

static void
on_traffic_report(struct loop *l, struct loop_timer *t)
{
	struct hap *h = t->arg;

	(void)l;
	traffic_done(h, h->t.answer_ok, NULL, 0, "could not start `show stat`");
}

static void
on_traffic_resume(struct loop *l, struct loop_timer *t)
{
	struct hap *h = t->arg;
	char cmd[CMD_MAX];

	(void)l;
	memcpy(cmd, h->t.held, sizeof(cmd));
	h->t.held[0] = '\0';
	send_cmd(h, cmd);
}

static int
hap_traffic(void *impl, lb_traffic_cb cb, void *arg)
{
	struct hap *h = impl;

	if (h->t.cb != NULL)
		return -1;
	h->t.cb = cb;
	h->t.arg = arg;
	if (h->t.members == NULL || h->t.members->n == 0) {
		/* no member yet: nothing to ask HAProxy */
		h->t.answer_ok = true;
		loop_timer_start(h->l, &h->t.report, 0);
	} else if (h->cmd != NULL || h->t.held[0] != '\0') {
		h->t.pending = true; /* after the sync's command on the wire, or the one held */
	} else {
		traffic_send(h);
	}
	return 0;
}

static void *
hap_create(struct loop *l, struct docker *docker, const char *service, lb_cb cb,
    void *arg)
{
	struct hap *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		log_err("service %s: balancer: out of memory", service);
		return NULL;
	}
	h->l = l;
	snprintf(h->service, sizeof(h->service), "%s", service);
	h->cb = cb;
	h->arg = arg;
	h->last_drain_ms = -1;
	loop_timer_init(&h->timer, on_timer, h);
	loop_timer_init(&h->t.report, on_traffic_report, h);
	loop_timer_init(&h->t.resume, on_traffic_resume, h);
	return h;
}

static void
hap_destroy(void *impl)
{
	struct hap *h = impl;

	if (h == NULL)
		return;
	haproxy_cmd_cancel(h->cmd);
	haproxy_cmd_cancel(h->t.cmd);
	loop_timer_stop(h->l, &h->timer);
	loop_timer_stop(h->l, &h->t.report);
	loop_timer_stop(h->l, &h->t.resume);
	req_free(h->run);
	req_free(h->queued);
	req_free(h->t.members);
	cmds_clear(h);
	free(h->srv);
	free(h);
}

/* The server name of a member: its stable id (the replica's name without the retiring
 * mark), so the server added as web-3 is the one drained once the replica is renamed. */
static int
server_name(const struct lb_member *member, char *out, size_t len)
{
	size_t n = member->id_len;

	if (n >= len)
		return -1;
	memcpy(out, member->name, n);
	out[n] = '\0';
	return 0;
}

static uint64_t
hap_sync(void *impl, const struct config *cfg, const struct svc_conf *sc,
    const struct lb_member *m, size_t n)
{
	struct hap *h = impl;
	struct req *r = calloc(1, sizeof(*r));
	const struct haproxy_conf *hc = config_ext(cfg->kinds, "haproxy");
	const struct haproxy_svc_conf *hs = config_ext(sc->kinds, "haproxy");
	size_t serving = 0;

	if (r == NULL || (r->w = calloc(n + 1, sizeof(*r->w))) == NULL)
		goto oom;
	/* haproxy_config.c's keys; a configuration made by hand has none: the defaults */
	snprintf(r->socket, sizeof(r->socket), "%s", hc != NULL ? hc->socket :
	    HAPROXY_SOCKET_DEFAULT);
	snprintf(r->backend, sizeof(r->backend), "%s", hs != NULL ? hs->backend : "");
	r->timeout_ms = hc != NULL ? hc->timeout_ms : HAPROXY_TIMEOUT_DEFAULT_MS;
	r->drain_ms = sc->drain_ms;
	for (size_t i = 0; i < n; i++) {
		struct want *w = &r->w[r->n];

		if (server_name(&m[i], w->name, sizeof(w->name)) == -1 ||
		    snprintf(w->addr, sizeof(w->addr), "%s", m[i].addr) >= (int)sizeof(w->addr)) {
			log_warning("%s: replica %s: name or address too long for HAProxy; left out",
			    sc->name, m[i].name);
			continue;
		}
		w->draining = m[i].draining;
		serving += !w->draining;
		r->serving += !w->draining;
		r->n++;
	}
	if (members_keep(h, r) == -1)
		goto oom;
	/* doc/waking.md: with no replica serving, the daemon takes the
	 * requests */
	if (serving == 0 && sc->wake_listen != NULL && sc->wake_listen[0] != '\0') {
		struct want *w = &r->w[r->n++];

		snprintf(w->name, sizeof(w->name), "%s" WAKE_SUFFIX, sc->name);
		snprintf(w->addr, sizeof(w->addr), "%s", sc->wake_listen);
	}
	r->gen = ++h->next_gen;
	req_free(h->queued);
	h->queued = r;
	if (h->phase == PH_IDLE)
		loop_timer_start(h->l, &h->timer, 0);
	return r->gen;
oom:
	req_free(r);
	log_err("service %s: balancer: out of memory", sc->name);
	return 0;
}

static bool
hap_busy(const void *impl)
{
	const struct hap *h = impl;

	return h->phase != PH_IDLE || h->queued != NULL;
}

static void
hap_stats(const void *impl, struct lb_stats *out)
{
	*out = ((const struct hap *)impl)->st;
}

static void
hap_set_events(void *impl, struct events *ev)
{
	((struct hap *)impl)->ev = ev;
}

/* doc/balancers.md, "Choosing a balancer" */
static const struct lb_row hap_rows[] = {
	{ "changes_total", "balancer_changes_total", "counter",
	  "Balancer syncs that added or removed a server (HAProxy).", LB_ROW_COUNT, false },
	{ "last_drain_ms", "balancer_drain_seconds_last", "gauge",
	  "The last drain: drain state to deletion, observed (HAProxy).", LB_ROW_MS, true },
	{ "commands_total", "balancer_commands_total", "counter",
	  "Runtime API commands sent, each on its own connection: syncs, every pass's `show "
	  "servers state`, drain polls, traffic reads (HAProxy).", LB_ROW_COUNT, true },
};

static bool
hap_row(const void *impl, size_t i, double *v)
{
	const struct hap *h = impl;

	if (i == 2) {
		*v = (double)h->commands;
		return true;
	}
	*v = i == 0 ? (double)h->changes : (double)h->last_drain_ms;
	return i == 0 || h->last_drain_ms >= 0;
}

const struct lb_ops lb_haproxy_ops = {
	.kind = "haproxy",
	.create = hap_create,
	.destroy = hap_destroy,
	.sync = hap_sync,
	.busy = hap_busy,
	.stats = hap_stats,
	.drains = true,
	.every_pass = true,
	.set_events = hap_set_events,
	.rows = hap_rows,
	.nrows = sizeof(hap_rows) / sizeof(hap_rows[0]),
	.row = hap_row,
	.traffic = hap_traffic,
};
