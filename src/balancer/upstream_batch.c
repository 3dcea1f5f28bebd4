/* upstream_batch.c: every service's due upstream file written, then one nginx test and reload for all. */
#include "upstream_batch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "nginx_apply.h"

/* How long the first due member waits for others before the batch starts. The passes of
 * services kicked by one event (a webhook with an alert for each, a SIGHUP, the start)
 * are due in the same millisecond, but a timer armed across a millisecond boundary runs a
 * loop turn later: 5 ms catches those, and costs a reaction through nginx 5 ms (its
 * floor: nginx -t, the reload and the new workers, 20-30 ms on top of the replica's
 * start; doc/balancers.md, "One reload for many services"). Members that come due while
 * an apply runs wait for its end instead, and then go at once. */
#define WINDOW_MS 5

struct upstream_batch {
	struct loop *l;
	int refs;
	struct upstream_batch *next_batch; /* the registry: one per loop */
	struct upstream_member *waiting;   /* due, not written yet (in the order they came) */
	struct upstream_member *taking;    /* the next batch, being written */
	struct upstream_member *running;   /* written, in the apply */
	struct nginx_apply *apply;
	struct loop_timer kick;            /* starts an apply from the loop */
	bool blind_said;
	struct upstream_totals tot;
};

/* One nginx per daemon and one daemon per loop; unit tests run loops of their own. */
static struct upstream_batch *batches;

int
upstream_blame(const char *output, const char *const *paths, size_t n)
{
	int found = -1;

	for (size_t i = 0; output != NULL && i < n; i++) {
		size_t len = paths[i] != NULL ? strlen(paths[i]) : 0;
		bool named = false;

		for (const char *p = output; len > 0 && (p = strstr(p, paths[i])) != NULL; p++)
			if (p[len] == ':' && isdigit((unsigned char)p[len + 1]))
				named = true;
		if (!named)
			continue;
		if (found != -1)
			return -1;
		found = (int)i;
	}
	return found;
}

static bool
argv_equal(const char *const *a, const char *const *b)
{
	size_t i = 0;

	for (; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return a[i] == NULL && b[i] == NULL;
}

static bool
str_equal(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* One apply serves members that ask for the same test, reload, pid file and container.
 * [nginx] is daemon-wide, so all of them do, but a member queued before a configuration
 * reload may still carry the previous settings: it goes in an apply of its own. */
static bool
same_apply(const struct upstream_member *a, const struct upstream_member *b)
{
	return argv_equal(a->test, b->test) && argv_equal(a->reload, b->reload) &&
	    str_equal(a->pid_file, b->pid_file) && a->timeout_ms == b->timeout_ms &&
	    str_equal(a->container, b->container) && a->docker == b->docker;
}

static void
push_back(struct upstream_member **list, struct upstream_member *m)
{
	while (*list != NULL)
		list = &(*list)->next;
	m->next = NULL;
	*list = m;
}

static bool
unlink_from(struct upstream_member **list, struct upstream_member *m)
{
	for (; *list != NULL; list = &(*list)->next)
		if (*list == m) {
			*list = m->next;
			m->next = NULL;
			return true;
		}
	return false;
}

static void
rearm(struct upstream_batch *b, int64_t ms)
{
	if (b->waiting != NULL && b->apply == NULL && !loop_timer_armed(&b->kick) &&
	    loop_timer_start(b->l, &b->kick, ms) == -1)
		log_err("nginx: upstream batch not started");
}

/* Each member of the running list gets v; it leaves the list first (its verdict may
 * free it, which calls upstream_batch_leave). */
static void
verdict_all(struct upstream_batch *b, enum upstream_verdict v)
{
	struct upstream_member *m;

	while ((m = b->running) != NULL) {
		b->running = m->next;
		m->next = NULL;
		m->queued = false;
		m->alone = false;
		if (v == UPSTREAM_APPLIED)
			b->tot.members++;
		m->verdict(m, v);
	}
}

static void start_apply(struct upstream_batch *b);

static void
on_applied(void *arg, enum nginx_apply_result res, const char *output)
{
	struct upstream_batch *b = arg;
	const char *paths[64];
	size_t n = 0;
	int k;

	b->apply = NULL;
	if (res == NGINX_APPLIED) {
		b->tot.reloads_ok++;
		verdict_all(b, UPSTREAM_APPLIED);
	} else if (res != NGINX_TEST_FAILED) {
		b->tot.reloads_failed++;
		verdict_all(b, UPSTREAM_FAILED);
	} else {
		b->tot.tests_failed++;
		for (struct upstream_member *m = b->running; m != NULL && n < 64; m = m->next)
			paths[n++] = m->path;
		k = n == 1 ? 0 : upstream_blame(output, paths, n);
		if (k >= 0) {
			/* its file out, the others tested again as they are */
			struct upstream_member *m = b->running;

			/* k < n: the blamed one is in the list */
			for (int i = 0; i < k && m->next != NULL; i++)
				m = m->next;
			unlink_from(&b->running, m);
			m->queued = false;
			m->alone = false;
			if (b->running != NULL)
				log_warning("nginx: the test refused service %s's %s; testing the "
				    "others' files again without it", m->service, m->path);
			m->restore(m);
			m->verdict(m, UPSTREAM_REJECTED);
			if (b->running != NULL) {
				start_apply(b);
				return;
			}
		} else {
			/* Nobody named: every file goes back to what nginx ran, and each service
			 * is tried alone, first in line. */
			struct upstream_member *m, *back = NULL;

			log_warning("nginx: the test refused the files of %zu services and named "
			    "none of them; each is tried alone", n);
			while ((m = b->running) != NULL) {
				b->running = m->next;
				m->restore(m);
				m->alone = true;
				push_back(&back, m);
			}
			if (back != NULL) {
				for (m = back; m->next != NULL; m = m->next)
					;
				m->next = b->waiting;
				b->waiting = back;
			}
		}
	}
	rearm(b, 0);
}

/* The running members' files are written: one test and one reload for all of them. */
static void
start_apply(struct upstream_batch *b)
{
	const struct upstream_member *first = b->running;
	struct nginx_apply_conf c = {
		.test = first->test, .reload = first->reload, .pid_file = first->pid_file,
		.timeout_ms = first->timeout_ms, .container = first->container,
		.docker = first->docker,
	};
	struct buf who;

	buf_init(&who);
	buf_printf(&who, "service%s", first->next != NULL ? "s" : "");
	for (const struct upstream_member *m = first; m != NULL; m = m->next)
		buf_printf(&who, "%s %s", m == first ? "" : ",", m->service);
	c.who = who.p != NULL && !who.oom ? who.p : "nginx";
	b->tot.applies++;
	b->apply = nginx_apply_start(b->l, &c, &b->blind_said, on_applied, b);
	buf_free(&who);
	if (b->apply == NULL) {
		b->tot.reloads_failed++;
		verdict_all(b, UPSTREAM_FAILED);
		rearm(b, 0);
	}
}

/* The next batch: the first waiting member and every other one that asks for the same
 * apply (a member tried alone goes by itself), each written now. */
static void
on_kick(struct loop *l, struct loop_timer *t)
{
	struct upstream_batch *b = t->arg;
	struct upstream_member *head = b->waiting, *m, **pp;

	(void)l;
	if (b->apply != NULL || head == NULL)
		return;
	/* taken out first, then prepared: a prepare may finish its member, and its owner
	 * may then free it (upstream_batch_leave finds it in b->taking) */
	b->waiting = head->next;
	push_back(&b->taking, head);
	for (pp = &b->waiting; !head->alone && (m = *pp) != NULL;) {
		if (m->alone || !same_apply(head, m)) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		push_back(&b->taking, m);
	}
	while ((m = b->taking) != NULL) {
		b->taking = m->next;
		m->next = NULL;
		m->queued = false;
		if (m->prepare(m) == 1) {
			m->queued = true;
			push_back(&b->running, m);
		}
	}
	if (b->running != NULL)
		start_apply(b);
	else
		rearm(b, 0);
}

struct upstream_batch *
upstream_batch_get(struct loop *l)
{
	struct upstream_batch *b;

	for (b = batches; b != NULL; b = b->next_batch)
		if (b->l == l) {
			b->refs++;
			return b;
		}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_err("nginx: upstream batch: out of memory");
		return NULL;
	}
	b->l = l;
	b->refs = 1;
	loop_timer_init(&b->kick, on_kick, b);
	b->next_batch = batches;
	batches = b;
	return b;
}

void
upstream_batch_put(struct upstream_batch *b)
{
	struct upstream_batch **pp;

	if (b == NULL || --b->refs > 0)
		return;
	for (pp = &batches; *pp != NULL; pp = &(*pp)->next_batch)
		if (*pp == b) {
			*pp = b->next_batch;
			break;
		}
	loop_timer_stop(b->l, &b->kick);
	nginx_apply_cancel(b->apply);
	free(b);
}

void
upstream_batch_join(struct upstream_batch *b, struct upstream_member *m)
{
	if (m->queued)
		return;
	m->queued = true;
	m->alone = false;
	push_back(&b->waiting, m);
	rearm(b, WINDOW_MS);
}

void
upstream_batch_leave(struct upstream_batch *b, struct upstream_member *m)
{
	if (b == NULL || m == NULL || !m->queued)
		return;
	m->queued = false;
	if (unlink_from(&b->waiting, m) || unlink_from(&b->taking, m))
		return;
	(void)unlink_from(&b->running, m);
	/* The apply goes on for the others; with none left it has nobody to tell. */
	if (b->running == NULL && b->apply != NULL) {
		nginx_apply_cancel(b->apply);
		b->apply = NULL;
		rearm(b, 0);
	}
}

void
upstream_batch_totals(const struct loop *l, struct upstream_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (const struct upstream_batch *b = batches; b != NULL; b = b->next_batch)
		if (b->l == l)
			*out = b->tot;
}
