/* test_replica.c: the containers runtime (src/runtime/runtime_containers.c) and a replica's life
 * (src/replica.c) against a fake Docker Engine (tests/unit/fake_docker.c), linked with
 * nothing else of the domain: no feature is registered (the core names none), and what
 * the runtime calls beside the replica table is replaced below by recorders (the
 * balancer applies every sync at once, events and samples go nowhere). Nothing is
 * asserted on time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctrdef.h"
#include "docker_int.h"
#include "docker_image.h"
#include "dockscaled.h"
#include "fake_docker.h"
#include "history.h"
#include "lines.h"
#include "log.h"
#include "service.h"
#include "traffic.h"

#define ID(c) c c c c c c c c c c c c c c c c /* 64 hex digits from a 4-digit block */
#define ID_A ID("aaaa")
#define SAFETY_MS 20000 /* only ends a broken run; nothing is asserted on time */

/* ---- what the runtime calls beside the table: recorders ------------------------------ */

static int members_changed, events_said;

/* The balancer: every change is synced and applied at once, so a leaving replica's drain
 * (0 here) starts at the next pass. */
void
traffic_changed(struct svc *s)
{
	(void)s;
	members_changed++;
}

void
traffic_members_changed(struct svc *s)
{
	members_changed++;
	svc_kick(s);
}

void
traffic_ready(struct svc *s)
{
	members_changed++;
	svc_kick_now(s);
}

void
traffic_created(struct replica *r, int64_t trigger_us)
{
	(void)r;
	(void)trigger_us;
}

void
traffic_pass(struct svc *s)
{
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (r->state == REP_DRAINING && !loop_timer_armed(&r->timer))
			loop_timer_start(&s->d->loop, &r->timer, 0);
	}
}

void
metric_ctr_init(struct ctr_sample *c)
{
	c->cpu_pct = -1;
	c->mem_pct = -1;
}

void
metric_ctr_fini(struct ctr_sample *c)
{
	(void)c;
}

void
history_add(struct history *h, int64_t now, int64_t unix_ms, int ready, int desired,
    double metric, int64_t step_ms)
{
	(void)h, (void)now, (void)unix_ms, (void)ready, (void)desired, (void)metric,
	    (void)step_ms;
}

int64_t
history_wall_ms(void)
{
	return 0;
}

uint64_t
events_add(struct events *e, enum event_type t, const char *service, const char *fmt, ...)
{
	(void)e, (void)t, (void)service, (void)fmt;
	return (uint64_t)++events_said;
}

uint64_t
events_log(struct events *e, int prio, enum event_type t, const char *service,
    const char *fmt, ...)
{
	(void)e, (void)prio, (void)t, (void)service, (void)fmt;
	return (uint64_t)++events_said;
}

uint64_t
events_fail(struct events *e, int prio, enum event_type t, const char *service,
    const char *fmt, ...)
{
	(void)e, (void)prio, (void)t, (void)service, (void)fmt;
	return (uint64_t)++events_said;
}

/* The definition: one network (no connect calls), the same body for every replica. */
char *
ctrdef_replica_body(const cJSON *def, const char *service, uint64_t generation,
    uint64_t restart, int target)
{
	(void)def, (void)service, (void)generation, (void)restart, (void)target;
	return strdup("{\"Image\":\"img\"}");
}

const char *
ctrdef_extra_network(const cJSON *def, size_t i)
{
	(void)def, (void)i;
	return NULL;
}

/* The runtime table (src/runtime/runtime.c) with one line: every service here runs containers. */
const struct runtime_ops *
runtime_for(const struct svc_conf *c)
{
	(void)c;
	return &runtime_containers_ops;
}

/* Parts of the Engine client no call here reaches (the event stream, image pulls). */
void
docker_events_init(struct docker *d)
{
	(void)d;
}

void
docker_events_stop(struct docker *d)
{
	(void)d;
}

int
docker_image_data(void *arg, const char *data, size_t len)
{
	(void)arg, (void)data, (void)len;
	fail_msg("no image pull here");
	return -1;
}

void
docker_image_pull_error(struct docker_pull_stream *ps, char *out, size_t outlen)
{
	(void)ps, (void)out, (void)outlen;
	fail_msg("no image pull here");
}

int
docker_image_parse_id(const char *body, char *id, size_t idlen)
{
	(void)body, (void)id, (void)idlen;
	fail_msg("no image check here");
	return -1;
}

void
docker_pull_end(struct docker_pull_stream *ps)
{
	(void)ps;
	fail_msg("no image pull here");
}

void
lines_fini(struct lines *l)
{
	(void)l;
}

/* ---- the fixture ----------------------------------------------------------------------- */

struct fx {
	struct dsd d;
	struct svc_conf conf;
	struct fake_docker *fake;
	struct svc *s;
	struct loop_timer check, safety;
	bool (*until)(struct fx *f);
	bool expired;
};

static int
setup(void **state)
{
	static struct fx f;
	struct svc *s;

	memset(&f, 0, sizeof(f));
	members_changed = events_said = 0;
	log_set_level(LOG_ERR);
	assert_int_equal(loop_init(&f.d.loop), 0);
	assert_non_null(f.d.httpc = httpc_new(&f.d.loop));
	assert_non_null(f.fake = fake_docker_start());
	assert_non_null(f.d.docker = docker_new(&f.d.loop, f.d.httpc,
	    fake_docker_socket(f.fake), 5000));
	snprintf(f.conf.name, sizeof(f.conf.name), "web");
	f.conf.port = 8080;
	f.conf.network = "";
	f.conf.health_path = "/health";
	f.conf.readiness = READINESS_HEALTH; /* Docker's healthy decides: no HTTP probe */
	f.conf.dp.min_replicas = 0;
	f.conf.dp.max_replicas = 4;
	f.conf.start_timeout_ms = 20000;
	f.conf.stop_timeout_ms = 2000;
	/* What service.c's svc_new would make, without the parts this test leaves out. */
	assert_non_null(s = calloc(1, sizeof(*s)));
	s->d = &f.d;
	snprintf(s->name, sizeof(s->name), "web");
	s->conf = &f.conf;
	assert_non_null(s->def = cJSON_CreateObject());
	svc_base_init(s);
	f.s = s;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	svc_base_fini(f->s);
	for (size_t i = 0; i < f->s->nreps; i++)
		replica_free(f->s->reps[i]);
	free(f->s->reps);
	cJSON_Delete(f->s->def);
	free(f->s);
	docker_free(f->d.docker);
	httpc_free(f->d.httpc);
	loop_fini(&f->d.loop);
	fake_docker_stop(f->fake);
	return 0;
}

static void
on_check(struct loop *l, struct loop_timer *t)
{
	struct fx *f = t->arg;

	if (f->until(f))
		loop_break(l);
	else
		loop_timer_start(l, t, 5);
}

static void
on_safety(struct loop *l, struct loop_timer *t)
{
	struct fx *f = t->arg;

	f->expired = true;
	loop_break(l);
}

/* Run the loop until cond holds. */
static void
run_until(struct fx *f, bool (*cond)(struct fx *f), const char *what)
{
	f->until = cond;
	f->expired = false;
	loop_timer_init(&f->check, on_check, f);
	loop_timer_init(&f->safety, on_safety, f);
	loop_timer_start(&f->d.loop, &f->check, 0);
	loop_timer_start(&f->d.loop, &f->safety, SAFETY_MS);
	assert_int_equal(loop_run(&f->d.loop), 0);
	loop_timer_stop(&f->d.loop, &f->check);
	loop_timer_stop(&f->d.loop, &f->safety);
	if (f->expired)
		fail_msg("never happened: %s", what);
}

/* A container list for the service, as control.c hands it to its runtime. */
static void
observe(struct fx *f, const struct docker_ctr *ctrs, size_t n)
{
	runtime_containers_ops.observe(f->s, ctrs, n);
}

static struct docker_ctr
ctr(const char *id, const char *name, const char *state)
{
	struct docker_ctr c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.service, sizeof(c.service), "web");
	snprintf(c.state, sizeof(c.state), "%s", state);
	return c;
}

/* A running, healthy container A on host port 40123. */
static void
route_healthy(struct fx *f, const char *name)
{
	char body[1024];

	snprintf(body, sizeof(body),
	    "{\"Id\":\"" ID_A "\",\"Name\":\"/%s\",\"State\":{\"Status\":\"running\","
	    "\"Running\":true,\"ExitCode\":0,\"Health\":{\"Status\":\"healthy\"}},\"Config\":"
	    "{\"Image\":\"img\",\"Healthcheck\":{\"Test\":[\"CMD\",\"/app\",\"--health\"]}},"
	    "\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\","
	    "\"HostPort\":\"40123\"}]}}}", name);
	fake_docker_route(f->fake, "GET", "/v1.41/containers/" ID_A "/json", 200, body);
}

static void
route_leaving(struct fx *f)
{
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/rename?", 204, "");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/stop", 204, "");
	fake_docker_route(f->fake, "DELETE", "/v1.41/containers/" ID_A "?", 204, "");
}

/* Position of the first request starting with "METHOD prefix", or -1. */
static int
req_at(struct fx *f, const char *want)
{
	char buf[300];

	for (int i = 0;; i++) {
		fake_docker_request(f->fake, i, buf, sizeof(buf));
		if (buf[0] == '\0')
			return -1;
		if (strncmp(buf, want, strlen(want)) == 0)
			return i;
	}
}

static bool
one_ready(struct fx *f)
{
	return f->s->nreps == 1 && f->s->reps[0]->state == REP_READY;
}

static bool
table_empty(struct fx *f)
{
	return f->s->nreps == 0;
}

static bool
create_seen(struct fx *f)
{
	return fake_docker_seen(f->fake, "POST", "/v1.41/containers/create") > 0;
}

static bool
start_failed(struct fx *f)
{
	return f->s->launch.start_failures > 0;
}

/* ---- a replica's moves (doc/balancers.md, "Scale-down order") ---------------------- */

/* What stderr got while fn(arg) ran, into buf. */
static void
captured(void (*fn)(void *), void *arg, char *buf, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

struct move {
	struct replica *r;
	enum replica_state to;
	int rc;
};

static void
do_move(void *arg)
{
	struct move *m = arg;

	m->rc = replica_set_state(m->r, m->to, "test");
}

/* Every move the table allows, and every other pair refused (logged, state kept). The
 * list is written out here, apart from replica.c's table, so that a change to either
 * is seen. */
static void
test_replica_moves(void **state)
{
	static const struct {
		enum replica_state from, to;
	} legal[] = {
		{ REP_CREATING, REP_STARTING }, { REP_CREATING, REP_DRAINING },
		{ REP_CREATING, REP_STOPPING }, { REP_CREATING, REP_GONE },
		{ REP_STARTING, REP_READY }, { REP_STARTING, REP_DRAINING },
		{ REP_STARTING, REP_STOPPING }, { REP_STARTING, REP_GONE },
		{ REP_READY, REP_STARTING }, { REP_READY, REP_DRAINING },
		{ REP_READY, REP_STOPPING }, { REP_READY, REP_GONE },
		{ REP_DRAINING, REP_STOPPING }, { REP_DRAINING, REP_GONE },
		{ REP_STOPPING, REP_GONE },
		/* sleep = pause (doc/waking.md, "Sleeping: stop or pause") */
		{ REP_CREATING, REP_PAUSED }, { REP_DRAINING, REP_PAUSING },
		{ REP_PAUSING, REP_PAUSED }, { REP_PAUSING, REP_STOPPING },
		{ REP_PAUSING, REP_GONE }, { REP_PAUSED, REP_UNPAUSING },
		{ REP_PAUSED, REP_STOPPING }, { REP_PAUSED, REP_GONE },
		{ REP_UNPAUSING, REP_STARTING }, { REP_UNPAUSING, REP_STOPPING },
		{ REP_UNPAUSING, REP_GONE },
	};
	struct fx *f = *state;
	struct replica r;
	char err[512];
	int refused = 0;

	for (int from = 0; from < REP_STATES; from++)
		for (int to = 0; to < REP_STATES; to++) {
			bool ok = from == to;
			struct move m = { .r = &r, .to = (enum replica_state)to };

			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				ok = ok || (legal[i].from == (enum replica_state)from &&
				    legal[i].to == (enum replica_state)to);
			assert_int_equal(replica_may_move((enum replica_state)from,
			    (enum replica_state)to), ok);
			memset(&r, 0, sizeof(r));
			r.svc = f->s;
			snprintf(r.name, sizeof(r.name), "web-9");
			r.state = (enum replica_state)from;
			captured(do_move, &m, err, sizeof(err));
			if (ok) {
				assert_int_equal(m.rc, 0);
				assert_int_equal(r.state, to);
				assert_string_equal(err, "");
				continue;
			}
			refused++;
			assert_int_equal(m.rc, -1);
			assert_int_equal(r.state, from);
			assert_non_null(strstr(err, "web-9"));
			assert_non_null(strstr(err, "refused"));
		}
	/* e.g. gone -> ready, stopping -> starting, draining -> ready, creating -> ready */
	assert_int_equal(refused, REP_STATES * REP_STATES - REP_STATES -
	    (int)(sizeof(legal) / sizeof(legal[0])));
	assert_false(replica_may_move(REP_GONE, REP_READY));
	assert_false(replica_may_move(REP_STOPPING, REP_STARTING));
	assert_false(replica_may_move(REP_DRAINING, REP_READY));
	assert_false(replica_may_move(REP_CREATING, REP_READY));
	/* asleep: never straight back into the upstream, never paused while serving */
	assert_false(replica_may_move(REP_PAUSED, REP_READY));
	assert_false(replica_may_move(REP_UNPAUSING, REP_READY));
	assert_false(replica_may_move(REP_READY, REP_PAUSING));
	assert_false(replica_may_move(REP_READY, REP_PAUSED));
	assert_string_equal(replica_state_name(REP_PAUSED), "paused");
	assert_string_equal(replica_state_name(REP_UNPAUSING), "unpausing");
}

static int readied;
static struct replica *readied_r;

static void
count_ready(struct replica *r)
{
	readied++;
	readied_r = r;
	assert_int_equal(r->state, REP_READY); /* the hook sees the replica READY already */
}

static const struct svc_feature ready_watch = {
	.name = "ready_watch",
	.replica_ready = count_ready,
};

/* The replica_ready hook runs once on each move into READY, whichever way it comes,
 * and on no other move (READY -> READY included). */
static void
test_replica_ready_hook(void **state)
{
	struct fx *f = *state;
	struct replica r;
	struct move m = { .r = &r };
	char err[512];

	assert_int_equal(svc_feature_add(&f->d, &ready_watch), 0);
	for (int from = 0; from < REP_STATES; from++)
		for (int to = 0; to < REP_STATES; to++) {
			int want;

			memset(&r, 0, sizeof(r));
			r.svc = f->s;
			snprintf(r.name, sizeof(r.name), "web-9");
			r.state = (enum replica_state)from;
			readied = 0;
			readied_r = NULL;
			want = to == REP_READY && from != REP_READY &&
			    replica_may_move((enum replica_state)from, REP_READY);
			m.to = (enum replica_state)to;
			captured(do_move, &m, err, sizeof(err)); /* the refused moves' lines */
			assert_int_equal(readied, want);
			if (want)
				assert_ptr_equal(readied_r, &r);
		}
}

/* ---- the runtime's way in and out ---------------------------------------------------- */

/* A scale-up creates web-1, starts it, and lets it join only once Docker says healthy. */
static void
test_scale_up_creates_starts_and_gates(void **state)
{
	struct fx *f = *state;

	fake_docker_route(f->fake, "POST", "/v1.41/containers/create", 201,
	    "{\"Id\":\"" ID_A "\",\"Warnings\":[]}");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/start", 204, "");
	route_healthy(f, "web-1");
	observe(f, NULL, 0); /* nothing runs: desired is min_replicas, 0 */
	assert_int_equal(f->s->desired, 0);
	svc_set_desired(f->s, 1, "test");
	run_until(f, one_ready, "web-1 ready");
	assert_true(req_at(f, "POST /v1.41/containers/create?name=web-1") >= 0);
	assert_true(req_at(f, "POST /v1.41/containers/create") <
	    req_at(f, "POST /v1.41/containers/" ID_A "/start"));
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/start") <
	    req_at(f, "GET /v1.41/containers/" ID_A "/json"));
	assert_string_equal(f->s->reps[0]->addr, "127.0.0.1:40123");
	assert_int_equal(f->s->reps[0]->ready_by, READY_BY_HEALTH);
	assert_int_equal(svc_count(f->s, REP_READY), 1);
	assert_int_equal(f->s->launch.creating, 0);
	assert_int_equal(f->s->launch.start_failures, 0);
	assert_true(members_changed > 0); /* it joined the balancer */
}

/* A scale-down drains, marks (renames), stops and removes, then forgets the record. */
static void
test_scale_down_marks_stops_removes(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "running");

	route_healthy(f, "web-1");
	route_leaving(f);
	observe(f, &c, 1); /* adopted */
	run_until(f, one_ready, "web-1 adopted and ready");
	assert_int_equal(f->s->desired, 1);
	svc_set_desired(f->s, 0, "test");
	run_until(f, table_empty, "web-1 removed and forgotten");
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/rename?name=web-1.retiring-"
	    "aaaaaaaaaaaa") >= 0);
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/rename") <
	    req_at(f, "POST /v1.41/containers/" ID_A "/stop"));
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/stop") <
	    req_at(f, "DELETE /v1.41/containers/" ID_A "?"));
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
	assert_int_equal(svc_current(f->s), 0);
}

/* ---- lifecycle hooks (doc/replicas.md, "Lifecycle hooks") --------------------------- */

#define EXEC_ID ID("eeee")

/* The exec API for container A: the command's stream (empty), then its inspect. */
static void
route_exec(struct fx *f, const char *inspect)
{
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/exec", 201,
	    "{\"Id\":\"" EXEC_ID "\"}");
	fake_docker_route(f->fake, "POST", "/v1.41/exec/" EXEC_ID "/start", 200, "");
	fake_docker_route(f->fake, "GET", "/v1.41/exec/" EXEC_ID "/json", 200, inspect);
}

static char *hook_argv[] = { "/app", "--hook" };

/* Never READY on the way: a post_start that fails gates the join to the end. */
static bool
failed_never_ready(struct fx *f)
{
	for (size_t i = 0; i < f->s->nreps; i++)
		if (f->s->reps[i]->state == REP_READY)
			fail_msg("%s became ready before its post_start passed", f->s->reps[i]->name);
	return start_failed(f) && fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/") > 0;
}

/* post_start exits 1: Docker says healthy at once, yet the replica never joins; it is a
 * failed start, removed (with force: it never served) and backed off. */
static void
test_failing_post_start_is_a_failed_start(void **state)
{
	struct fx *f = *state;

	f->conf.post_start = (struct strv){ hook_argv, 2 };
	f->conf.post_start_timeout_ms = 5000;
	fake_docker_route(f->fake, "POST", "/v1.41/containers/create", 201,
	    "{\"Id\":\"" ID_A "\",\"Warnings\":[]}");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/start", 204, "");
	route_healthy(f, "web-1");
	route_leaving(f);
	route_exec(f, "{\"Running\":false,\"ExitCode\":1}");
	observe(f, NULL, 0);
	svc_set_desired(f->s, 1, "test");
	run_until(f, failed_never_ready, "the failed post_start, removed");
	assert_int_equal(f->s->launch.failed_starts, 1);
	assert_string_equal(f->s->launch.last_start_error, "post_start failed");
	assert_int_equal(f->s->hooks.runs[HOOK_POST_START - 1][HOOK_FAILED], 1);
	/* never READY, so never a member: failed_never_ready checked it all along */
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/start") <
	    req_at(f, "POST /v1.41/containers/" ID_A "/exec"));
	assert_true(req_at(f, "GET /v1.41/exec/" EXEC_ID "/json") <
	    req_at(f, "DELETE /v1.41/containers/" ID_A "?"));
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/" ID_A "/stop"),
	    0);
}

/* post_start exits 0: the replica joins once readiness says so too. */
static void
test_passing_post_start_joins(void **state)
{
	struct fx *f = *state;

	f->conf.post_start = (struct strv){ hook_argv, 2 };
	f->conf.post_start_timeout_ms = 5000;
	fake_docker_route(f->fake, "POST", "/v1.41/containers/create", 201,
	    "{\"Id\":\"" ID_A "\",\"Warnings\":[]}");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/start", 204, "");
	route_healthy(f, "web-1");
	route_exec(f, "{\"Running\":false,\"ExitCode\":0}");
	observe(f, NULL, 0);
	svc_set_desired(f->s, 1, "test");
	run_until(f, one_ready, "web-1 ready");
	assert_int_equal(f->s->hooks.runs[HOOK_POST_START - 1][HOOK_OK], 1);
	assert_int_equal(hook_running(f->s->reps[0]), HOOK_NONE);
	assert_int_equal(f->s->launch.failed_starts, 0);
	assert_true(members_changed > 0);
}

static int64_t stop_seen_ms;

static bool
stop_seen(struct fx *f)
{
	if (fake_docker_seen(f->fake, "POST", "/v1.41/containers/" ID_A "/stop") == 0)
		return false;
	stop_seen_ms = loop_now(&f->d.loop);
	return true;
}

/* A pre_stop that never ends (its exec still running): the stop comes at
 * pre_stop_timeout, counted as a timeout, and not before it. */
static void
test_hung_pre_stop_holds_the_stop_until_its_timeout(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "running");
	int64_t t0;

	f->conf.pre_stop = (struct strv){ hook_argv, 2 };
	f->conf.pre_stop_timeout_ms = 300;
	route_healthy(f, "web-1");
	route_leaving(f);
	route_exec(f, "{\"Running\":true,\"ExitCode\":null}");
	observe(f, &c, 1); /* adopted: no post_start */
	run_until(f, one_ready, "web-1 adopted and ready");
	t0 = loop_now(&f->d.loop);
	svc_set_desired(f->s, 0, "test");
	run_until(f, stop_seen, "the stop");
	assert_true(stop_seen_ms - t0 >= 300);
	assert_int_equal(f->s->hooks.runs[HOOK_PRE_STOP - 1][HOOK_TIMEOUT], 1);
	assert_true(fake_docker_seen(f->fake, "GET", "/v1.41/exec/" EXEC_ID "/json") >= 2);
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/exec") <
	    req_at(f, "POST /v1.41/containers/" ID_A "/stop"));
}

/* A create the engine refuses is a failed start: counted, its reason kept, the next
 * creation backed off; the record goes with the next pass. */
static void
test_refused_create_backs_off(void **state)
{
	struct fx *f = *state;

	fake_docker_route(f->fake, "POST", "/v1.41/containers/create", 500,
	    "{\"message\":\"no space left\"}");
	observe(f, NULL, 0);
	svc_set_desired(f->s, 1, "test");
	run_until(f, start_failed, "the failed create");
	assert_int_equal(f->s->launch.failed_starts, 1);
	assert_string_equal(f->s->launch.last_start_error, "no space left");
	assert_true(f->s->launch.backoff_until > 0);
	assert_int_equal(f->s->launch.creating, 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/" ID_A), 0);
	svc_reconcile(f->s); /* a pass: the gone record is swept, none is created */
	assert_int_equal(f->s->nreps, 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 1);
}

/* A replica whose container vanishes from the engine's list is gone and forgotten at
 * the next pass, which creates its replacement (removing nothing). */
static void
test_vanished_container_is_replaced(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "running");

	route_healthy(f, "web-1");
	observe(f, &c, 1);
	run_until(f, one_ready, "web-1 adopted and ready");
	members_changed = 0;
	observe(f, NULL, 0);
	assert_int_equal(f->s->reps[0]->state, REP_GONE);
	assert_true(members_changed > 0); /* it leaves the balancer */
	svc_reconcile(f->s);
	assert_int_equal(f->s->nreps, 1);
	assert_int_equal(f->s->reps[0]->state, REP_CREATING);
	assert_string_equal(f->s->reps[0]->id, ""); /* a new record: its create is out */
	run_until(f, create_seen, "the replacement's create call");
	assert_int_equal(fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/"), 0);
}

/* ---- sleep = pause (doc/waking.md, "Sleeping: stop or pause") ----------------------- */

static void
route_sleep(struct fx *f)
{
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/pause", 204, "");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/" ID_A "/unpause", 204, "");
}

static bool
one_paused(struct fx *f)
{
	return f->s->nreps == 1 && f->s->reps[0]->state == REP_PAUSED && !f->s->reps[0]->busy;
}

static bool
one_starting(struct fx *f)
{
	return f->s->nreps == 1 && f->s->reps[0]->state == REP_STARTING;
}

static int inspects_before;

/* Two inspects since the unpause answered: Docker's (stale) healthy was read. */
static bool
inspected_twice(struct fx *f)
{
	if (!f->s->reps[0]->busy && f->s->reps[0]->state == REP_STARTING &&
	    fake_docker_seen(f->fake, "GET", "/v1.41/containers/" ID_A "/json") >=
	    inspects_before + 2)
		return true;
	svc_reconcile(f->s); /* a pass: the ready check and an inspect */
	replica_refresh(f->s->reps[0]);
	return false;
}

/* To zero a ready replica is drained and paused: no mark, stop or removal, not counted.
 * The rise unpauses it (no create), and Docker's healthy from before the pause does not
 * make it ready: the probe must (it fails here: nothing listens on its port). */
static void
test_sleep_pauses_and_wakes_by_unpausing(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "running");

	route_healthy(f, "web-1");
	route_leaving(f);
	route_sleep(f);
	/* Adopted under sleep = stop: Docker's healthy makes it ready (under pause, an
	 * adopted running replica waits for the probe, which nothing answers here). */
	observe(f, &c, 1);
	run_until(f, one_ready, "web-1 adopted and ready");
	f->conf.sleep = SLEEP_PAUSE;
	svc_set_desired(f->s, 0, "test");
	run_until(f, one_paused, "web-1 paused");
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/pause") >= 0);
	assert_int_equal(req_at(f, "POST /v1.41/containers/" ID_A "/rename"), -1);
	assert_int_equal(req_at(f, "POST /v1.41/containers/" ID_A "/stop"), -1);
	assert_int_equal(req_at(f, "DELETE /v1.41/containers/"), -1);
	assert_int_equal(svc_current(f->s), 0);
	assert_int_equal(svc_count(f->s, REP_READY), 0);
	assert_int_equal(svc_count(f->s, REP_PAUSED), 1);
	assert_string_equal(f->s->reps[0]->name, "web-1"); /* never marked */
	svc_reconcile(f->s); /* asleep: a pass holds */
	assert_int_equal(req_at(f, "POST /v1.41/containers/" ID_A "/unpause"), -1);

	svc_set_desired(f->s, 1, "test");
	run_until(f, one_starting, "web-1 unpaused");
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/unpause") >
	    req_at(f, "POST /v1.41/containers/" ID_A "/pause"));
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
	assert_true(f->s->reps[0]->woken);
	assert_int_equal(svc_current(f->s), 1);
	inspects_before = fake_docker_seen(f->fake, "GET", "/v1.41/containers/" ID_A "/json");
	run_until(f, inspected_twice, "inspects after the unpause");
	assert_int_equal(f->s->reps[0]->state, REP_STARTING); /* not ready by Docker's word */
	assert_int_equal(f->s->reps[0]->ready_by, READY_BY_NONE);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
}

/* Listed paused after a restart: adopted paused, not counted; the rise unpauses it
 * before anything is created. */
static void
test_adopted_paused_is_not_counted_and_unpaused_first(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "paused");

	f->conf.sleep = SLEEP_PAUSE;
	route_healthy(f, "web-1");
	route_sleep(f);
	observe(f, &c, 1);
	assert_int_equal(f->s->reps[0]->state, REP_PAUSED);
	assert_int_equal(f->s->desired, 0); /* what runs: nothing */
	assert_int_equal(svc_current(f->s), 0);
	run_until(f, one_paused, "its inspect");
	svc_set_desired(f->s, 1, "test");
	run_until(f, one_starting, "web-1 unpaused");
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/unpause") >= 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
}

/* Under sleep = stop (a reload) a paused replica is removed: marked, stopped, removed,
 * never unpaused. */
static void
test_paused_under_stop_is_removed(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "paused");

	f->conf.sleep = SLEEP_STOP;
	route_healthy(f, "web-1");
	route_leaving(f);
	route_sleep(f);
	observe(f, &c, 1);
	run_until(f, table_empty, "the paused replica removed");
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/rename") <
	    req_at(f, "POST /v1.41/containers/" ID_A "/stop"));
	assert_true(req_at(f, "POST /v1.41/containers/" ID_A "/stop") <
	    req_at(f, "DELETE /v1.41/containers/" ID_A "?"));
	assert_int_equal(req_at(f, "POST /v1.41/containers/" ID_A "/unpause"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replica_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replica_ready_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale_up_creates_starts_and_gates, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_scale_down_marks_stops_removes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_refused_create_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_container_is_replaced, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_sleep_pauses_and_wakes_by_unpausing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_adopted_paused_is_not_counted_and_unpaused_first,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_under_stop_is_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_post_start_is_a_failed_start, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_passing_post_start_joins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hung_pre_stop_holds_the_stop_until_its_timeout,
		                                setup, teardown),
	};

	return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
