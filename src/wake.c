/* wake.c: a service's wake listener: connections taken within the listeners' shared
 * limits, requests read and held at zero while a replica starts, each handed to
 * wake_relay.c once one is ready (doc/waking.md). */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "accesslog.h"
#include "dockscaled.h"
#include "events.h"
#include "idlematch.h"
#include "log.h"
#include "service.h"
#include "wake.h"
#include "wake_int.h"
#include "wake_share.h"

#define TICK_MS 50
#define ACCEPT_BATCH 64        /* per wake-up of a listener: the loop serves others too */
#define FD_RESERVE 640         /* the API's 512 connections, the engine, the balancers */
#define FDS_RETRY_MS 250       /* out of descriptors: accept again after this */
#define NADDR (2 * WAKE_CONN_LIMIT)
#define STR(x) #x
#define XSTR(x) STR(x)

_Static_assert(CONFIG_WAKE_QUEUE_MAX <= WAKE_CONN_PER_ADDR,
    "a full wake_queue from one balancer must fit the per-address cap");

static void on_client(struct loop *l, struct loop_io *io, uint32_t events);

static struct loop *
lp(const struct svc *s)
{
	return &s->d->loop;
}

static struct wake_pool *
pool_of(const struct svc *s)
{
	return s->d->wake;
}

/* ---- the pool: connections per address, the byte budget, the descriptor cap ---------- */

static size_t
addr_home(const struct wake_pool *p, uint32_t ip)
{
	return (size_t)(((ip ^ p->seed) * 2654435761U) >> 7) % NADDR;
}

/* The slot of ip (a new one when add), or NULL. Never full: a slot is in use only while
 * a connection from its address is open, and there are at most WAKE_CONN_LIMIT. */
static struct wake_addr *
addr_slot(struct wake_pool *p, uint32_t ip, bool add)
{
	for (size_t i = addr_home(p, ip), k = 0; k < NADDR; i = (i + 1) % NADDR, k++) {
		if (p->addrs[i].ip == ip)
			return &p->addrs[i];
		if (p->addrs[i].ip == 0) {
			if (!add)
				return NULL;
			p->addrs[i].ip = ip;
			p->addrs[i].n = 0;
			return &p->addrs[i];
		}
	}
	return NULL;
}

/* Free slot i, moving later entries of its run back (linear probing has no tombstones). */
static void
addr_free(struct wake_pool *p, size_t i)
{
	for (size_t j = (i + 1) % NADDR; p->addrs[j].ip != 0; j = (j + 1) % NADDR) {
		size_t k = addr_home(p, p->addrs[j].ip);

		/* j may fill the hole at i unless its home lies cyclically in (i, j] */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			p->addrs[i] = p->addrs[j];
			i = j;
		}
	}
	p->addrs[i].ip = 0;
	p->addrs[i].n = 0;
}

static void
addr_put(struct wake_pool *p, uint32_t ip)
{
	struct wake_addr *a = addr_slot(p, ip, false);

	if (a != NULL && --a->n == 0)
		addr_free(p, (size_t)(a - p->addrs));
}

size_t
wake_conn_cap(void)
{
	struct rlimit rl;
	rlim_t reserve, n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return WAKE_CONN_LIMIT;
	reserve = rl.rlim_cur / 2 < FD_RESERVE ? rl.rlim_cur / 2 : FD_RESERVE;
	n = (rl.rlim_cur - reserve) / 2; /* a relay holds two descriptors */
	return n < WAKE_CONN_LIMIT ? (size_t)n : WAKE_CONN_LIMIT;
}

int
wake_charge(struct wake_conn *c, long long n)
{
	struct wake_pool *p = pool_of(c->s);

	if (n > 0 && p->mem + (size_t)n > WAKE_MEM_BUDGET)
		return -1;
	p->mem = (size_t)((long long)p->mem + n);
	c->charged = (size_t)((long long)c->charged + n);
	if (p->mem > p->mem_peak)
		p->mem_peak = p->mem;
	return 0;
}

/* Stop (or restart) accepting on every listener. */
static void
listeners_pause(struct dsd *d, bool pause)
{
	for (size_t i = 0; i < d->nsvcs; i++) {
		struct wake *w = wake_of(d->svcs[i]);

		if (w->fd < 0 || w->paused == pause)
			continue;
		if (pause)
			loop_io_stop(&d->loop, &w->io);
		else if (loop_io_start(&d->loop, &w->io, EPOLLIN) == -1)
			continue;
		w->paused = pause;
	}
}

static void
on_fds_retry(struct loop *l, struct loop_timer *t)
{
	struct dsd *d = t->arg;

	(void)l;
	if (d->wake->conns < d->wake->cap)
		listeners_pause(d, false);
}

/* No descriptor for a connection: level-triggered, the listener would wake the loop for
 * nothing until one is free; wait instead, as nginx does. */
static void
out_of_fds(struct svc *s, int err)
{
	struct wake_pool *p = pool_of(s);

	if (!p->out_of_fds)
		log_warning("wake: cannot accept a connection (%s); accepting again in %dms, "
		    "%zu wake connection(s) open", strerror(err), FDS_RETRY_MS, p->conns);
	p->out_of_fds = true;
	p->paused_total++;
	listeners_pause(s->d, true);
	loop_timer_start(lp(s), &p->retry, FDS_RETRY_MS);
}

int
wake_pool_init(struct dsd *d)
{
	struct wake_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	d->wake = p;
	if (getrandom(&p->seed, sizeof(p->seed), GRND_NONBLOCK) != (ssize_t)sizeof(p->seed))
		p->seed = (uint32_t)loop_clock_us();
	p->cap = wake_conn_cap();
	loop_timer_init(&p->retry, on_fds_retry, d);
	return 0;
}

void
wake_pool_fini(struct dsd *d)
{
	if (d->wake == NULL)
		return;
	loop_timer_stop(&d->loop, &d->wake->retry);
	free(d->wake);
	d->wake = NULL;
}

/* ---- connections ------------------------------------------------------------------- */

static void
count(struct wake_conn *c, int by)
{
	struct wake *w = wake_of(c->s);

	if (c->st == W_HELD)
		w->held = (size_t)((long long)w->held + by);
	else if (c->st == W_CONNECT || c->st == W_RELAY)
		w->relaying = (size_t)((long long)w->relaying + by);
}

void
wake_enter(struct wake_conn *c, enum wstate st, int64_t ms)
{
	count(c, -1);
	c->st = st;
	count(c, 1);
	c->deadline = loop_now(lp(c->s)) + ms;
}

/* Free c and what it holds; its slot counts no more. */
static void
release(struct wake_conn *c, bool gone)
{
	struct svc *s = c->s;
	struct wake *w = wake_of(s);
	struct wake_pool *p = pool_of(s);

	if (gone)
		w->refused[WAKE_R_GONE]++;
	count(c, -1);
	wake_relay_drop(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	if (c->io.active)
		loop_io_stop(lp(s), &c->io);
	close(c->io.fd);
	free(c->in);
	free(c->out);
	free(c->ans);
	p->mem -= c->charged;
	addr_put(p, c->ip);
	p->conns--;
	free(c);
}

void
wake_close(struct wake_conn *c, bool gone)
{
	struct dsd *d = c->s->d;

	release(c, gone);
	if (d->wake->conns < d->wake->cap && !loop_timer_armed(&d->wake->retry))
		listeners_pause(d, false);
}

int
wake_drain_client(struct wake_conn *c)
{
	char drop[4096];

	/* A bounded gulp: a client that sends without pause must not hold the loop; what
	 * is left wakes it again (level-triggered). */
	for (int k = 0; k < 16; k++) {
		ssize_t n = read(c->io.fd, drop, sizeof(drop));

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1; /* the end, or an error */
	}
	return 0;
}

/* Send what is left of our own answer; then finish. */
static void
flush_reply(struct wake_conn *c)
{
	while (c->ansoff < c->anslen) {
		ssize_t n = send(c->io.fd, c->ans + c->ansoff, c->anslen - c->ansoff,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* only its writability matters now; a hang-up still shows as EPOLLHUP */
			(void)loop_io_modify(lp(c->s), &c->io, EPOLLOUT);
			return;
		}
		if (n < 0) {
			wake_close(c, false);
			return;
		}
		c->ansoff += (size_t)n;
		c->deadline = loop_now(lp(c->s)) + WAKE_SEND_MS;
	}
	wake_finish(c);
}

void
wake_finish(struct wake_conn *c)
{
	(void)shutdown(c->io.fd, SHUT_WR);
	/* A request read whole left nothing unread worth waiting for; one cut short would
	 * make our close a reset, which can destroy the answer before the client read it. */
	if (c->whole && wake_drain_client(c) == 0) {
		wake_close(c, false);
		return;
	}
	free(c->in);
	free(c->out);
	free(c->ans);
	c->in = c->out = c->ans = NULL;
	c->inlen = c->incap = c->outlen = c->anslen = c->anscap = 0;
	(void)wake_charge(c, -(long long)(c->charged - sizeof(*c)));
	wake_enter(c, W_LINGER, WAKE_LINGER_MS);
	if (loop_io_modify(lp(c->s), &c->io, EPOLLIN | EPOLLRDHUP) == -1)
		wake_close(c, false);
}

void
wake_reply(struct wake_conn *c, int code, const char *why, enum wake_refusal r)
{
	static const struct {
		int code;
		const char *reason;
	} reasons[] = {
		{ 400, "Bad Request" }, { 408, "Request Timeout" }, { 411, "Length Required" },
		{ 413, "Content Too Large" }, { 417, "Expectation Failed" },
		{ 431, "Request Header Fields Too Large" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	const char *reason = "Error";
	char body[256];
	int bl, n;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			reason = reasons[i].reason;
	wake_of(c->s)->refused[r]++;
	wake_relay_drop(c);
	bl = snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", why);
	if (bl < 0 || (size_t)bl >= sizeof(body))
		bl = snprintf(body, sizeof(body), "{\"error\": \"refused\"}\n");
	free(c->ans);
	c->anscap = 512 + (size_t)bl;
	c->ans = malloc(c->anscap);
	n = c->ans == NULL ? -1 : snprintf(c->ans, c->anscap, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\n%sConnection: close\r\n"
	    "\r\n%s", code, reason, bl, code == 503 ? "Retry-After: "
	    XSTR(WAKE_RETRY_AFTER_S) "\r\n" : "", body);
	if (n < 0 || (size_t)n >= c->anscap) {
		wake_close(c, false);
		return;
	}
	c->anslen = (size_t)n;
	c->ansoff = 0;
	wake_enter(c, W_REPLY, WAKE_SEND_MS);
	flush_reply(c);
}

/* A replica takes requests: READY with an address. */
static bool
takes(const struct replica *r)
{
	return r->state == REP_READY && r->addr[0] != '\0';
}

/* Does any replica take requests? */
static bool
serving(const struct svc *s)
{
	for (size_t i = 0; i < s->nreps; i++)
		if (takes(s->reps[i]))
			return true;
	return false;
}

/* Round robin over the replicas that take requests. */
static const struct replica *
pick(struct svc *s)
{
	size_t n = 0, k;

	for (size_t i = 0; i < s->nreps; i++)
		n += takes(s->reps[i]);
	if (n == 0)
		return NULL;
	k = wake_of(s)->rr++ % n;
	for (size_t i = 0; i < s->nreps; i++)
		if (takes(s->reps[i]) && k-- == 0)
			return s->reps[i];
	return NULL;
}

/* Replicas on their way: creating, starting, and those desired but not created yet
 * while creations are not backing off after a failed start. */
static int
coming(const struct svc *s)
{
	int n = 0, current = 0;

	for (size_t i = 0; i < s->nreps; i++) {
		enum replica_state st = s->reps[i]->state;

		n += st == REP_CREATING || st == REP_STARTING;
		current += st == REP_CREATING || st == REP_STARTING || st == REP_READY;
	}
	if (s->launch.start_failures == 0 && s->desired > current)
		n += s->desired - current;
	return n;
}

static int
wake_replicas(const struct svc *s)
{
	return s->conf != NULL && s->conf->wake_replicas > 0 ? s->conf->wake_replicas : 1;
}

/* The count of this wake's requests handed to replica id (a new one at 0 when absent);
 * NULL when out of memory. */
static struct wake_share_ent *
share_of(struct wake *w, const char *id)
{
	struct wake_share_ent *e;

	for (size_t i = 0; i < w->nshare; i++)
		if (strcmp(w->share[i].id, id) == 0)
			return &w->share[i];
	if (w->nshare == w->capshare) {
		size_t cap = w->capshare == 0 ? 4 : w->capshare * 2;

		if ((e = realloc(w->share, cap * sizeof(*e))) == NULL)
			return NULL;
		w->share = e;
		w->capshare = cap;
	}
	e = &w->share[w->nshare++];
	if (snprintf(e->id, sizeof(e->id), "%s", id) >= (int)sizeof(e->id))
		e->id[sizeof(e->id) - 1] = '\0'; /* an id is at most DOCKER_ID_MAX: never */
	e->n = 0;
	return e;
}

/* While a wake's requests spread: the replica the next one goes to under
 * wake_share.c's rule (NULL: hold it; every ready one has its share while others are
 * still on their way). Else round robin. */
static const struct replica *
dispatch(struct svc *s)
{
	struct wake *w = wake_of(s);
	const struct replica **cand;
	struct wake_share_ent *e;
	size_t *handed, n = 0, cap;
	const struct replica *r = NULL;
	int i;

	if (!w->spreading)
		return pick(s);
	for (size_t k = 0; k < s->nreps; k++)
		n += takes(s->reps[k]);
	if (n == 0)
		return NULL;
	cand = calloc(n, sizeof(*cand));
	handed = calloc(n, sizeof(*handed));
	if (cand == NULL || handed == NULL) {
		free(cand);
		free(handed);
		return pick(s); /* out of memory: as before the rule, round robin */
	}
	n = 0;
	for (size_t k = 0; k < s->nreps; k++) {
		if (!takes(s->reps[k]))
			continue;
		cand[n] = s->reps[k];
		for (size_t j = 0; j < w->nshare; j++)
			if (strcmp(w->share[j].id, s->reps[k]->id) == 0)
				handed[n] = w->share[j].n;
		n++;
	}
	cap = wake_share_cap(w->wake_requests, wake_replicas(s), (int)n, coming(s));
	if ((i = wake_share_pick(handed, n, cap, w->rr++)) >= 0) {
		r = cand[i];
		if ((e = share_of(w, r->id)) != NULL)
			e->n++;
	}
	free(cand);
	free(handed);
	return r;
}

/* Held requests go, oldest first, while dispatch finds them a replica; the spread ends
 * once none is held. */
static void
release_held(struct svc *s)
{
	struct wake *w = wake_of(s);
	struct wake_conn *c, *prev;
	const struct replica *r;

	if (w->held > 0) {
		for (c = w->conns; c != NULL && c->next != NULL; c = c->next)
			;
		for (; c != NULL && w->held > 0; c = prev) {
			prev = c->prev; /* wake_relay_start may close c, never another */
			if (c->st != W_HELD)
				continue;
			if ((r = dispatch(s)) == NULL)
				break;
			wake_relay_start(c, r);
		}
	}
	if (w->held == 0)
		w->spreading = false;
}

/* A wake's first request: its requests are counted and spread from now (those still
 * held from a wake whose replicas left are this one's too). */
static void
spread_begin(struct wake *w)
{
	w->spreading = true;
	w->wake_requests = w->held;
	w->nshare = 0;
}

/* len bytes from the client for a message, into dst (n bytes): log_escape's rule
 * (control bytes and invalid UTF-8 as \\xNN, cut with "..."). */
static void
clean(char *dst, size_t n, const char *src, size_t len)
{
	char raw[4 * WAKE_WHO_MAX + 8];

	/* what fits in dst and one byte more, for log_escape to see it must cut */
	if (len > sizeof(raw) - 1)
		len = sizeof(raw) - 1;
	if (len > n)
		len = n;
	memcpy(raw, src, len);
	raw[len] = '\0';
	(void)log_escape(dst, n, raw);
}

/* Who sent c, into w->who (doc/waking.md, "Who woke it"). */
static void
who_from(struct wake_who *who, const struct wake_conn *c)
{
	const char *m, *t, *v;
	size_t ml, tl, vl;
	struct timespec ts;
	struct in_addr a = { .s_addr = c->ip };
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	who->at_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	wake_http_start(&c->q, c->in, &m, &ml, &t, &tl);
	clean(who->method, sizeof(who->method), m, ml);
	clean(who->path, sizeof(who->path), t, tl);
	v = wake_http_field(&c->q, c->in, "User-Agent", &vl);
	clean(who->user_agent, sizeof(who->user_agent), v != NULL ? v : "", vl);
	v = wake_http_field(&c->q, c->in, "X-Forwarded-For", &vl);
	clean(who->forwarded_for, sizeof(who->forwarded_for), v != NULL ? v : "", vl);
	v = wake_http_field(&c->q, c->in, "X-Real-IP", &vl);
	clean(who->real_ip, sizeof(who->real_ip), v != NULL ? v : "", vl);
	if (c->ip == 0 || inet_ntop(AF_INET, &a, who->peer, sizeof(who->peer)) == NULL)
		snprintf(who->peer, sizeof(who->peer), "?");
	n = snprintf(who->client, sizeof(who->client), "%s%s%s%s%s%s%s", who->peer,
	    who->forwarded_for[0] != '\0' || who->real_ip[0] != '\0' ? " (" : "",
	    who->forwarded_for[0] != '\0' ? "X-Forwarded-For: " : "", who->forwarded_for,
	    who->forwarded_for[0] != '\0' && who->real_ip[0] != '\0' ? ", " : "",
	    who->real_ip[0] != '\0' ? "X-Real-IP: " : "", who->real_ip);
	/* sized for both parts whole; should it ever not hold them, what fits is kept */
	if (n >= 0 && (size_t)n < sizeof(who->client) - 1 &&
	    (who->forwarded_for[0] != '\0' || who->real_ip[0] != '\0'))
		memcpy(who->client + n, ")", 2);
}

/* A request at zero (c): raise desired to wake_replicas, once a wake, and say who. */
static void
wake_up(struct svc *s, const struct wake_conn *c)
{
	struct wake *w = wake_of(s);
	int n = wake_replicas(s);
	const struct wake_who *who = &w->who;
	char what[32];

	if (w->woken)
		return;
	w->woken = true;
	w->woke_us = loop_clock_us();
	w->wakes++;
	who_from(&w->who, c);
	if (n == 1)
		snprintf(what, sizeof(what), "a replica");
	else
		snprintf(what, sizeof(what), "%d replicas", n);
	/* the event's text is at most EVENT_MSG_MAX: each part shortened to fit */
	events_log(&s->d->events, LOG_NOTICE, EV_WAKE, s->name, "a request at zero: starting "
	    "%s (%zu held): %s %.60s from %.60s%s%.40s%s", what, w->held, who->method,
	    who->path, who->client, who->user_agent[0] != '\0' ? " (" : "", who->user_agent,
	    who->user_agent[0] != '\0' ? ")" : "");
	svc_set_desired(s, s->desired > n ? s->desired : n, "wake: a request at zero");
}

static int64_t
wake_timeout_ms(const struct svc *s)
{
	return s->conf != NULL ? s->conf->wake_timeout_ms : 60000;
}

/* A browser's GET or HEAD while nothing serves: wake_page, if there is one. */
static bool
wants_page(const struct wake_conn *c)
{
	const struct svc_conf *sc = c->s->conf;
	const char *m, *t;
	size_t ml, tl;

	if (sc == NULL || sc->wake_page.html == NULL)
		return false;
	wake_http_start(&c->q, c->in, &m, &ml, &t, &tl);
	if (!(ml == 3 && memcmp(m, "GET", 3) == 0) && !(ml == 4 && memcmp(m, "HEAD", 4) == 0))
		return false;
	return wake_http_field_has(&c->q, c->in, "Accept", "text/html");
}

/* Our own answer with a body (HEAD: none): code and reason, more header lines (each
 * ending in CRLF), the content type. */
static void
reply_body(struct wake_conn *c, const char *status, const char *more, const char *ctype,
    const char *body, size_t len)
{
	const char *m, *t;
	size_t ml, tl, cap;
	bool head;
	int n;

	wake_http_start(&c->q, c->in, &m, &ml, &t, &tl);
	head = ml == 4 && memcmp(m, "HEAD", 4) == 0;
	cap = 512 + strlen(more) + (head ? 0 : len);
	if (wake_charge(c, (long long)cap) == -1) {
		wake_reply(c, 503, "the wake listeners' memory budget is spent", WAKE_R_MEMORY);
		return;
	}
	wake_relay_drop(c);
	free(c->ans);
	if ((c->ans = malloc(cap)) == NULL) {
		wake_close(c, false);
		return;
	}
	c->anscap = cap;
	n = snprintf(c->ans, cap, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%sCache-Control: no-store\r\nConnection: close\r\n\r\n", status, ctype, len, more);
	if (n < 0 || (size_t)n + (head ? 0 : len) > cap) {
		wake_close(c, false);
		return;
	}
	if (!head)
		memcpy(c->ans + n, body, len);
	c->anslen = (size_t)n + (head ? 0 : len);
	c->ansoff = 0;
	wake_enter(c, W_REPLY, WAKE_SEND_MS);
	flush_reply(c);
}

/* Answer wake_page at once (doc/waking.md, "A page for browsers"), as Sablier's dynamic
 * strategy does: 503 with Retry-After and Refresh, never cached. */
static void
reply_page(struct wake_conn *c)
{
	const struct config_page *pg = &c->s->conf->wake_page;

	if (pg->len > CONFIG_WAKE_PAGE_MAX) { /* config_lb.c read at most that */
		wake_close(c, false);
		return;
	}
	wake_of(c->s)->paged++;
	reply_body(c, "503 Service Unavailable", "Retry-After: " XSTR(WAKE_PAGE_RETRY_S)
	    "\r\nRefresh: " XSTR(WAKE_PAGE_RETRY_S) "\r\n", "text/html; charset=utf-8",
	    pg->html, pg->len);
}

/* A request idle_ignore_path or idle_ignore_user_agent leaves out (an uptime checker)?
 * At zero it is answered here and does not wake the service (doc/sleeping.md, "Uptime
 * checkers"). */
static bool
ignored(const struct wake_conn *c)
{
	const struct svc_conf *sc = c->s->conf;
	const char *m, *t, *ua;
	size_t ml, tl, ul = 0;
	char path[ACCESSLOG_URI_MAX], agent[ACCESSLOG_AGENT_MAX];

	if (sc == NULL || sc->idle_after_ms == 0 ||
	    (sc->idle_ignore_paths.n == 0 && sc->idle_ignore_agents.n == 0))
		return false;
	wake_http_start(&c->q, c->in, &m, &ml, &t, &tl);
	ua = wake_http_field(&c->q, c->in, "User-Agent", &ul);
	/* longer than the access log keeps: the entries were bounded to that at load */
	(void)snprintf(path, sizeof(path), "%.*s", (int)(tl < sizeof(path) ? tl :
	    sizeof(path) - 1), t);
	(void)snprintf(agent, sizeof(agent), "%.*s", (int)(ua == NULL ? 0 : ul < sizeof(agent) ?
	    ul : sizeof(agent) - 1), ua != NULL ? ua : "");
	return idlematch_ignored(sc->idle_ignore_paths.v, sc->idle_ignore_paths.n,
	    sc->idle_ignore_agents.v, sc->idle_ignore_agents.n, path, agent);
}

static void
reply_asleep(struct wake_conn *c)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "{\"service\": \"%s\", \"asleep\": true}\n",
	    c->s->name);

	wake_of(c->s)->ignored++;
	reply_body(c, "200 OK", "", "application/json", body,
	    n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}

/* A request is whole: relay it now, or hold it while a replica starts (doc/waking.md). */
static void
on_request(struct wake_conn *c)
{
	struct svc *s = c->s;
	struct wake *w = wake_of(s);
	const struct replica *r;
	bool at_zero = !serving(s);
	int queue = s->conf != NULL ? s->conf->wake_queue : 100;

	c->whole = true;
	if (at_zero && !w->woken && ignored(c)) {
		reply_asleep(c);
		return;
	}
	if (at_zero && wants_page(c)) {
		wake_up(s, c);
		reply_page(c);
		return;
	}
	if (at_zero && (!w->spreading || !w->woken))
		spread_begin(w); /* a new wake (the page's does not spread: nothing held) */
	if (w->spreading) {
		w->wake_requests++;
		/* the room this one makes under the cap is the oldest held one's first */
		if (w->held > 0)
			release_held(s);
	}
	if ((w->held == 0 || !w->spreading) && (r = dispatch(s)) != NULL) {
		wake_relay_start(c, r);
		return;
	}
	if (w->held >= (size_t)queue) {
		if (w->spreading && w->wake_requests > 0)
			w->wake_requests--; /* refused: not one of the wake's */
		wake_reply(c, 503, "wake_queue is full", WAKE_R_QUEUE);
		return;
	}
	wake_enter(c, W_HELD, c->arrived_ms + wake_timeout_ms(s) - loop_now(lp(s)));
	c->woke = true;
	if (at_zero)
		wake_up(s, c);
}

/* Room for the next read: the head grows up to WAKE_HEADERS_MAX, then the buffer to
 * exactly the whole request, each step within the byte budget. 1 when there is room, 0
 * when an answer was given, -1 on no memory. */
static int
make_room(struct wake_conn *c)
{
	size_t want, limit = c->q.hdr_len == 0 ? WAKE_HEADERS_MAX : wake_http_total(&c->q);
	char *p;

	if (c->inlen < c->incap)
		return 1;
	want = c->incap == 0 ? 4096 : c->incap * 2;
	if (want > limit)
		want = limit;
	if (want <= c->incap) {
		/* full: a head that has not ended within WAKE_HEADERS_MAX (a whole request
		 * never gets here, its read stops at its end) */
		wake_reply(c, 431, "the request head is over 64 KiB or 100 fields",
		    WAKE_R_TOO_LARGE);
		return 0;
	}
	if (wake_charge(c, (long long)(want - c->incap)) == -1) {
		wake_reply(c, 503, "the wake listeners' memory budget is spent", WAKE_R_MEMORY);
		return 0;
	}
	if ((p = realloc(c->in, want)) == NULL) {
		(void)wake_charge(c, -(long long)(want - c->incap));
		return -1;
	}
	c->in = p;
	c->incap = want;
	return 1;
}

/* The head has just ended: the body has its own deadline, and a client that waits for
 * "100 Continue" before sending it gets it now. */
static void
head_ended(struct wake_conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	wake_enter(c, W_READ, WAKE_BODY_MS);
	if (c->q.expect_continue && c->inlen < wake_http_total(&c->q)) {
		c->continued = true;
		(void)send(c->io.fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL);
	}
}

static void
read_request(struct wake_conn *c)
{
	for (;;) {
		bool had_head = c->q.hdr_len != 0;
		size_t room;
		enum wake_parse p;
		ssize_t n;
		int ok = make_room(c);

		if (ok <= 0) {
			if (ok < 0)
				wake_close(c, false);
			return;
		}
		room = c->incap - c->inlen;
		if (had_head && wake_http_total(&c->q) - c->inlen < room)
			room = wake_http_total(&c->q) - c->inlen; /* never past the request */
		n = read(c->io.fd, c->in + c->inlen, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			wake_close(c, true);
			return;
		}
		c->inlen += (size_t)n;
		p = wake_http_feed(&c->q, c->in, c->inlen);
		if (!had_head && c->q.hdr_len != 0 && p <= WAKE_COMPLETE)
			head_ended(c);
		switch (p) {
		case WAKE_MORE:
			continue;
		case WAKE_COMPLETE:
			on_request(c);
			return;
		case WAKE_TOO_LARGE:
			wake_reply(c, 413, "a held request body is at most 1 MiB", WAKE_R_TOO_LARGE);
			return;
		case WAKE_HEADERS_LARGE:
			wake_reply(c, 431, "the request head is over 64 KiB or 100 fields",
			    WAKE_R_TOO_LARGE);
			return;
		case WAKE_NEED_LENGTH:
			wake_reply(c, 411, "a held request needs Content-Length, not "
			    "Transfer-Encoding", WAKE_R_LENGTH);
			return;
		case WAKE_EXPECTATION:
			wake_reply(c, 417, "only Expect: 100-continue is understood", WAKE_R_BAD);
			return;
		case WAKE_VERSION:
			wake_reply(c, 505, "HTTP/1.0 and HTTP/1.1 only", WAKE_R_BAD);
			return;
		default:
			wake_reply(c, 400, "not a well-formed HTTP/1.1 request", WAKE_R_BAD);
			return;
		}
	}
}

static void
on_client(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct wake_conn *c = io->arg;

	(void)l;
	switch (c->st) {
	case W_READ:
		read_request(c);
		break;
	case W_HELD:
		/* Nothing more is taken from a client that waits; its leaving is noticed. */
		if ((events & (EPOLLHUP | EPOLLERR)) || wake_drain_client(c) == -1)
			wake_close(c, true);
		break;
	case W_CONNECT:
	case W_RELAY:
		wake_relay_client(c, events);
		break;
	case W_REPLY:
		if (events & (EPOLLHUP | EPOLLERR))
			wake_close(c, false);
		else
			flush_reply(c);
		break;
	case W_LINGER:
		if ((events & (EPOLLHUP | EPOLLERR)) || wake_drain_client(c) == -1)
			wake_close(c, false);
		break;
	}
}

/* A state's deadline has passed. */
static void
expire(struct wake_conn *c)
{
	switch (c->st) {
	case W_READ:
		wake_reply(c, 408, "the request did not arrive in time", WAKE_R_SLOW);
		break;
	case W_HELD:
		wake_reply(c, 503, "no replica became ready within wake_timeout", WAKE_R_TIMEOUT);
		break;
	case W_CONNECT:
		wake_reply(c, 504, "the replica did not take the request in time",
		    WAKE_R_UPSTREAM);
		break;
	case W_RELAY:
		if (!c->answered) {
			wake_reply(c, 504, "the replica did not answer in time", WAKE_R_UPSTREAM);
			break;
		}
		/* Part of the answer went out: nothing to say but to close. */
		wake_of(c->s)->refused[c->ansoff < c->anslen ? WAKE_R_SEND : WAKE_R_UPSTREAM]++;
		wake_close(c, false);
		break;
	case W_REPLY:
		wake_of(c->s)->refused[WAKE_R_SEND]++;
		wake_close(c, false);
		break;
	case W_LINGER:
		wake_close(c, false);
		break;
	}
}

/* Each tick while connections are open: deadlines, and held requests to a replica that
 * can take them now. */
static void
on_tick(struct loop *l, struct loop_timer *t)
{
	struct svc *s = t->arg;
	struct wake *w = wake_of(s);
	int64_t now = loop_now(l);
	struct wake_conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (now >= c->deadline)
			expire(c);
	}
	/* the replica_ready hook released them as replicas turned ready; here what a
	 * replica that failed or left lets go (the cap lifts when none is coming) */
	release_held(s);
	/* every held request timed out or left, and nothing is starting: the next one wakes
	 * again (a browser's page refreshes while a replica starts are one wake) */
	if (w->held == 0 && w->relaying == 0 && w->woken && !serving(s) && coming(s) == 0) {
		w->woken = false;
		w->woke_us = 0;
	}
	if (w->conns != NULL)
		loop_timer_start(l, t, TICK_MS);
}

static void
refuse_at_accept(struct svc *s, int fd)
{
	static const char body[] = "{\"error\": \"too many connections from this address\"}\n";
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\nRetry-After: "
	    XSTR(WAKE_RETRY_AFTER_S) "\r\nConnection: close\r\n\r\n%s", sizeof(body) - 1, body);

	if (n > 0 && (size_t)n < sizeof(msg))
		(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	wake_of(s)->refused[WAKE_R_ADDRESS]++;
}

/* A new client: counted, its address counted, its request read under WAKE_HEAD_MS. */
static void
conn_new(struct svc *s, int fd, uint32_t ip)
{
	struct wake_pool *p = pool_of(s);
	struct wake *w = wake_of(s);
	struct wake_addr *a = addr_slot(p, ip, true);
	struct wake_conn *c;

	if (a == NULL || a->n >= WAKE_CONN_PER_ADDR) {
		refuse_at_accept(s, fd);
		return;
	}
	if (p->mem + sizeof(*c) > WAKE_MEM_BUDGET || (c = calloc(1, sizeof(*c))) == NULL) {
		w->refused[WAKE_R_MEMORY]++;
		if (a->n == 0)
			addr_free(p, (size_t)(a - p->addrs));
		close(fd);
		return;
	}
	a->n++;
	p->conns++;
	c->s = s;
	c->ip = ip;
	c->arrived_ms = loop_now(lp(s));
	(void)wake_charge(c, (long long)sizeof(*c));
	wake_http_init(&c->q);
	loop_io_init(&c->io, fd, on_client, c);
	loop_io_init(&c->up, -1, NULL, c);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	wake_enter(c, W_READ, WAKE_HEAD_MS);
	if (loop_io_start(lp(s), &c->io, EPOLLIN | EPOLLRDHUP) == -1) {
		wake_close(c, false);
		return;
	}
	if (!loop_timer_armed(&w->tick))
		loop_timer_start(lp(s), &w->tick, TICK_MS);
}

static void
on_accept(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct svc *s = io->arg;
	struct wake_pool *p = pool_of(s);

	(void)l;
	(void)events;
	p->cap = wake_conn_cap();
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		struct sockaddr_in sa = { 0 };
		socklen_t sl = sizeof(sa);
		int fd;

		if (p->conns >= p->cap) {
			/* The kernel's backlog holds the next ones until a connection ends. */
			p->paused_total++;
			listeners_pause(s->d, true);
			return;
		}
		fd = accept4(io->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				out_of_fds(s, errno);
			return;
		}
		if (p->out_of_fds) {
			p->out_of_fds = false;
			log_notice("wake: accepting connections again (%zu open)", p->conns);
		}
		conn_new(s, fd, sa.sin_family == AF_INET && sl >= sizeof(sa) ?
		    sa.sin_addr.s_addr : 0);
	}
}

int
wake_parse_addr(const char *addr, struct sockaddr_in *sa)
{
	const char *colon = strrchr(addr, ':');
	char host[INET_ADDRSTRLEN], *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void
stop_listening(struct svc *s)
{
	struct wake *w = wake_of(s);

	if (w->fd < 0)
		return;
	if (w->io.active)
		loop_io_stop(lp(s), &w->io);
	close(w->fd);
	w->fd = -1;
	w->paused = false;
	w->addr[0] = '\0';
}

static void *
init(struct svc *s)
{
	struct wake *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->fd = -1;
	w->last_latency_ms = -1;
	loop_timer_init(&w->tick, on_tick, s);
	return w;
}

static void
fini(struct svc *s, void *state)
{
	struct wake_conn *c, *next;

	/* release, not wake_close: the service table may hold services already freed
	 * (control_stop), so no listener is touched from here */
	for (c = wake_of(s)->conns; c != NULL; c = next) {
		next = c->next;
		release(c, false);
	}
	loop_timer_stop(lp(s), &wake_of(s)->tick);
	stop_listening(s);
	free(wake_of(s)->share);
	free(state);
}

/* Start-up and reload: listen on the service's wake_listen (or stop listening). */
static void
wake_conf(struct svc *s, bool first)
{
	struct wake *w = wake_of(s);
	const char *want = s->conf != NULL ? s->conf->wake_listen : "";
	struct sockaddr_in sa;
	int one = 1, fd;

	if (want == NULL || strcmp(want, w->addr) == 0)
		return;
	stop_listening(s);
	if (want[0] == '\0' || wake_parse_addr(want, &sa) == -1)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 511) == -1) {
		events_log(&s->d->events, LOG_ERR, EV_WAKE, s->name,
		    "wake_listen %s: %s; the service cannot be woken by a request", want,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	w->fd = fd;
	loop_io_init(&w->io, fd, on_accept, s);
	if (loop_io_start(lp(s), &w->io, EPOLLIN) == -1) {
		close(fd);
		w->fd = -1;
		return;
	}
	snprintf(w->addr, sizeof(w->addr), "%s", want);
	log_info("%s: waking from zero on %s (at most %zu wake connections, %zu from one "
	    "address)", s->name, want, wake_conn_cap(), (size_t)WAKE_CONN_PER_ADDR);
}

/* r has just turned READY: the held requests go now, not at the next tick, under the
 * spread's rule (doc/waking.md, "Spreading a wake's requests"). */
static void
replica_ready(struct replica *r)
{
	struct wake *w = wake_of(r->svc);

	if (w == NULL)
		return;
	w->woken = false; /* a replica serves: a request at zero later is a new wake */
	if (w->held > 0)
		release_held(r->svc);
}

const struct wake_who *
wake_last(const struct svc *s)
{
	const struct wake *w = wake_of(s);

	return w != NULL ? &w->who : NULL;
}

size_t
wake_in_flight(const struct svc *s)
{
	const struct wake *w = wake_of(s);

	return w != NULL ? w->held + w->relaying : 0;
}

static void
status(const struct svc *s, cJSON *o, int64_t now)
{
	(void)now;
	cJSON_AddItemToObject(o, "wake", wake_status(s));
}

const struct svc_feature wake_feature = {
	.name = "wake",
	.init = init,
	.fini = fini,
	.conf = wake_conf,
	.replica_ready = replica_ready,
	.status = status,
};
