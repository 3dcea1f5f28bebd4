/* test_service.c: the replica table (src/service.c, src/replica.c) against a fake Docker
 * Engine: restart safety (doc/replicas.md, "Restart safety") and image pulls
 * (doc/registry.md "Images from a registry") without timing. */
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

#include "dockscaled.h"
#include "fake_docker.h"
#include "featureset.h"
#include "log.h"
#include "pull.h"
#include "service.h"

#define ID(c) c c c c c c c c c c c c c c c c /* 64 hex digits from a 4-digit block */
#define ID_A ID("aaaa")
#define ID_B ID("bbbb")
#define SAFETY_MS 20000 /* only ends a broken run; nothing is asserted on time */

static char *argv_true[] = { "/bin/true", NULL };

struct fx {
	struct dsd d;
	struct svc_conf conf;
	struct fake_docker *fake;
	struct svc *s;
	char dir[64], upstream[128];
	struct loop_timer check, safety;
	bool (*until)(struct fx *f);
	bool expired;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	log_set_level(LOG_ERR);
	strcpy(f.dir, "/tmp/test_service.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.upstream, sizeof(f.upstream), "%s/up.conf", f.dir);
	assert_int_equal(featureset_register(&f.d), 0);
	assert_int_equal(loop_init(&f.d.loop), 0);
	events_init(&f.d.events, EVENTS_MAX); /* lifecycle steps are events too */
	assert_non_null(f.d.httpc = httpc_new(&f.d.loop));
	assert_non_null(f.fake = fake_docker_start());
	assert_non_null(f.d.docker = docker_new(&f.d.loop, f.d.httpc,
	    fake_docker_socket(f.fake), 5000));
	f.d.cfg.nginx_test = (struct strv){ argv_true, 1 };
	f.d.cfg.nginx_reload = (struct strv){ argv_true, 1 };
	f.d.cfg.nginx_pid_file = "";
	f.d.cfg.nginx_timeout_ms = 5000;
	snprintf(f.conf.name, sizeof(f.conf.name), "web");
	f.conf.image = "img";
	f.conf.port = 8080;
	f.conf.network = "";
	f.conf.health_path = "/health";
	f.conf.metrics = 0;
	f.conf.dp.min_replicas = 1;
	f.conf.dp.max_replicas = 4;
	f.conf.start_timeout_ms = 20000;
	f.conf.drain_ms = 0;
	f.conf.stop_timeout_ms = 2000;
	f.conf.upstream_file = f.upstream;
	f.conf.upstream_name = "backend";
	/* Every creation checks its image first (doc/registry.md):
	 * present unless a test says otherwise. */
	fake_docker_route(f.fake, "GET", "/v1.41/images/img/json", 200,
	    "{\"Id\":\"sha256:" ID("0abc") "\"}");
	assert_non_null(f.s = svc_new(&f.d, &f.conf));
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	svc_free(f->s);
	docker_free(f->d.docker);
	httpc_free(f->d.httpc);
	loop_fini(&f->d.loop);
	events_fini(&f->d.events);
	fake_docker_stop(f->fake);
	unlink(f->upstream);
	rmdir(f->dir);
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

static void
route_inspect(struct fx *f, const char *id, const char *name, bool running)
{
	char path[128], body[1024];

	snprintf(path, sizeof(path), "/v1.41/containers/%s/json", id);
	snprintf(body, sizeof(body),
	    "{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Status\":\"%s\",\"Running\":%s,"
	    "\"ExitCode\":%d,\"Health\":{\"Status\":\"healthy\"}},\"Config\":{\"Image\":\"img\","
	    "\"Healthcheck\":{\"Test\":[\"CMD\",\"/app\",\"--health\"]}},\"NetworkSettings\":"
	    "{\"Ports\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"%d\"}]}}}",
	    id, name, running ? "running" : "exited", running ? "true" : "false",
	    running ? 0 : 137, 40000 + (int)(strlen(name) % 100));
	fake_docker_route(f->fake, "GET", path, 200, body);
}

static void
route_leaving(struct fx *f, const char *id)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1.41/containers/%s/rename?", id);
	fake_docker_route(f->fake, "POST", path, 204, "");
	snprintf(path, sizeof(path), "/v1.41/containers/%s/stop", id);
	fake_docker_route(f->fake, "POST", path, 204, "");
	snprintf(path, sizeof(path), "/v1.41/containers/%s?", id);
	fake_docker_route(f->fake, "DELETE", path, 204, "");
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

/* A container list for the service, as control.c hands it to its runtime. */
static void
observe(struct fx *f, const struct docker_ctr *ctrs, size_t n)
{
	svc_runtime(f->s)->observe(f->s, ctrs, n);
}

static struct replica *
rep(struct fx *f, const char *id)
{
	for (size_t i = 0; i < f->s->nreps; i++)
		if (strcmp(f->s->reps[i]->id, id) == 0)
			return f->s->reps[i];
	return NULL;
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
b_removed(struct fx *f)
{
	return fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/" ID_B "?") > 0 &&
	    rep(f, ID_B) == NULL;
}

static bool
a_removed(struct fx *f)
{
	return fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/" ID_A "?") > 0;
}

static bool
both_ready(struct fx *f)
{
	return svc_count(f->s, REP_READY) == 2;
}

/* kill -9 during a scale-down's stop, then a start: the marked replica is finished as
 * a removal; it never counts, never fails a start, and is never replaced. */
static void
test_restart_finishes_marked_replica(void **state)
{
	struct fx *f = *state;
	struct docker_ctr ctrs[2] = { ctr(ID_A, "web-1", "running"),
		                      ctr(ID_B, "web-3.retiring-bbbbbbbbbbbb", "running") };
	struct replica *b;

	route_inspect(f, ID_A, "web-1", true);
	route_leaving(f, ID_B);
	observe(f, ctrs, 2);
	b = rep(f, ID_B);
	assert_non_null(b);
	assert_int_equal(b->state, REP_DRAINING);
	assert_true(b->marked);
	assert_int_equal(b->index, 0); /* web-3 is free again */
	assert_int_equal(f->s->desired, 1);
	assert_int_equal(svc_current(f->s), 1);
	run_until(f, b_removed, "the marked replica removed");
	assert_true(req_at(f, "POST /v1.41/containers/" ID_B "/stop") <
	            req_at(f, "DELETE /v1.41/containers/" ID_B "?"));
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/" ID_B "/rename"),
	                 0); /* already marked */
	assert_int_equal(f->s->launch.failed_starts, 0);
	assert_int_equal(f->s->launch.start_failures, 0);
	assert_int_equal(f->s->desired, 1);
}

/* kill -9 mid-rollout with the surge replica running (issue 28, finding 9): the start
 * adopts all four, but desired is the count the rollout kept (its label), not 4. */
static void
test_restart_mid_rollout_keeps_the_rollouts_count(void **state)
{
	struct fx *f = *state;
	struct docker_ctr ctrs[4] = { ctr(ID_A, "web-1", "running"), ctr(ID_B, "web-2", "running"),
		                      ctr(ID("cccc"), "web-3", "running"),
		                      ctr(ID("dddd"), "web-4", "running") };

	for (int i = 0; i < 3; i++) {
		ctrs[i].generation = 0xa;
		ctrs[i].created = 100 + i;
	}
	ctrs[3].generation = 0xb;
	ctrs[3].rollout_target = 3;
	ctrs[3].created = 200;
	observe(f, ctrs, 4);
	assert_int_equal(svc_current(f->s), 4); /* all adopted: the rollout goes on */
	assert_int_equal(f->s->desired, 3);
	/* the same containers without the target label: an older daemon's, what runs */
	svc_free(f->s);
	assert_non_null(f->s = svc_new(&f->d, &f->conf));
	ctrs[3].rollout_target = 0;
	observe(f, ctrs, 4);
	assert_int_equal(f->s->desired, 4);
}

/* A replica found running at start-up and retired before this daemon's first sync was
 * applied may be in what nginx still runs (the last daemon's file): it drains like a
 * member, it is not stopped at once (doc/replicas.md, "Restart safety"). */
static void
test_adopted_replica_retired_before_the_first_sync_drains(void **state)
{
	struct fx *f = *state;
	struct docker_ctr ctrs[2] = { ctr(ID_A, "web-1", "running"), ctr(ID_B, "web-2", "running") };
	struct replica *b;

	route_inspect(f, ID_A, "web-1", true);
	route_inspect(f, ID_B, "web-2", true);
	route_leaving(f, ID_B);
	observe(f, ctrs, 2);
	b = rep(f, ID_B);
	assert_non_null(b);
	assert_int_equal(b->state, REP_STARTING);
	assert_int_equal(f->s->tr.applied, 0);
	replica_retire(b);
	assert_int_equal(b->state, REP_DRAINING);
	run_until(f, b_removed, "the drained replica removed");
	assert_true(f->s->tr.applied > 0); /* stopped only after a sync without it applied */
}

/* A marked container found exited: removed at once, nothing else. */
static void
test_restart_removes_exited_marked_replica(void **state)
{
	struct fx *f = *state;
	struct docker_ctr ctrs[2] = { ctr(ID_A, "web-1", "running"),
		                      ctr(ID_B, "web-2.retiring-bbbbbbbbbbbb", "exited") };

	route_inspect(f, ID_A, "web-1", true);
	route_leaving(f, ID_B);
	observe(f, ctrs, 2);
	assert_int_equal(f->s->desired, 1);
	run_until(f, b_removed, "the exited marked replica removed");
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/" ID_B "/stop"), 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
	assert_int_equal(f->s->launch.failed_starts, 0);
}

/* An adopted replica that exits before this daemon saw it healthy is replaced, not
 * counted as a failed start (an older daemon may have been stopping it). */
static void
test_adopted_exit_is_no_failed_start(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "running");

	/* A backoff far ahead holds the replacement's create: the fake engine would refuse
	 * it, and that refusal is a failed start of its own that must not be counted here. */
	const int64_t hold = INT64_MAX / 2;

	f->s->launch.backoff_until = hold;
	route_inspect(f, ID_A, "web-1", false); /* exited by the time it is inspected */
	route_leaving(f, ID_A);
	observe(f, &c, 1);
	run_until(f, a_removed, "the exited adopted replica removed");
	assert_int_equal(f->s->launch.failed_starts, 0);
	assert_int_equal(f->s->launch.start_failures, 0);
	assert_true(f->s->launch.backoff_until == hold);
	assert_int_equal(f->s->launch.replaced, 1);
}

/* A scale-down renames its victim before it stops it; the name is free at once. */
static void
test_retire_marks_before_the_stop(void **state)
{
	struct fx *f = *state;
	struct docker_ctr ctrs[2] = { ctr(ID_A, "web-1", "running"), ctr(ID_B, "web-2", "running") };
	int renamed, stopped;

	route_inspect(f, ID_A, "web-1", true);
	route_inspect(f, ID_B, "web-2", true);
	route_leaving(f, ID_B);
	observe(f, ctrs, 2);
	assert_int_equal(f->s->desired, 2);
	run_until(f, both_ready, "both adopted replicas ready");
	svc_set_desired(f->s, 1, "test");
	run_until(f, b_removed, "the victim removed");
	renamed = req_at(f, "POST /v1.41/containers/" ID_B "/rename?name=web-2.retiring-bbbbbbbbbbbb");
	stopped = req_at(f, "POST /v1.41/containers/" ID_B "/stop");
	assert_true(renamed >= 0);
	assert_true(stopped > renamed);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/" ID_A), 0);
	assert_int_equal(svc_count(f->s, REP_READY), 1);
}

static bool
a_ready(struct fx *f)
{
	return f->s->nreps > 0 && f->s->reps[0]->state == REP_READY;
}

static bool
a_starting(struct fx *f)
{
	return f->s->nreps > 0 && f->s->reps[0]->state == REP_STARTING && !f->s->reps[0]->busy;
}

/* Docker's on-failure policy restarting A (doc/definition.md, "Restart policy"). */
static void
route_restarting(struct fx *f, bool restarting, int count)
{
	char body[1024];

	snprintf(body, sizeof(body),
	    "{\"Id\":\"%s\",\"Name\":\"/web-1\",\"RestartCount\":%d,\"State\":{\"Status\":"
	    "\"%s\",\"Running\":true,\"Restarting\":%s,\"ExitCode\":137},\"Config\":{\"Image\":"
	    "\"img\",\"Healthcheck\":{\"Test\":[\"CMD\",\"/app\",\"--health\"]}},"
	    "\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":null}}}",
	    ID_A, count, restarting ? "restarting" : "running", restarting ? "true" : "false");
	fake_docker_reroute(f->fake, "GET", "/v1.41/containers/" ID_A "/json", 200, body);
}

/* A ready replica Docker restarts leaves the upstream and is health-gated again; it is
 * never counted as failed or replaced, and nothing else is created for it. */
static void
test_docker_restart_is_no_failure(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "running");

	route_inspect(f, ID_A, "web-1", true);
	observe(f, &c, 1);
	run_until(f, a_ready, "A ready");
	route_restarting(f, true, 1);
	replica_refresh(f->s->reps[0]);
	run_until(f, a_starting, "A health-gated again");
	assert_string_equal(f->s->reps[0]->addr, ""); /* its port may change */
	assert_int_equal(f->s->reps[0]->restart_count, 1);
	/* back up, not healthy yet (still no port): stays starting */
	route_restarting(f, false, 1);
	replica_refresh(f->s->reps[0]);
	run_until(f, a_starting, "A inspected again");
	fake_docker_reroute(f->fake, "GET", "/v1.41/containers/" ID_A "/json", 200,
	    "{\"Id\":\"" ID_A "\",\"Name\":\"/web-1\",\"RestartCount\":1,\"State\":"
	    "{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Health\":{\"Status\":"
	    "\"healthy\"}},\"Config\":{\"Image\":\"img\",\"Healthcheck\":{\"Test\":[\"CMD\"]}},"
	    "\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\","
	    "\"HostPort\":\"40123\"}]}}}");
	replica_refresh(f->s->reps[0]);
	run_until(f, a_ready, "A ready again");
	assert_string_equal(f->s->reps[0]->addr, "127.0.0.1:40123");
	assert_int_equal(f->s->launch.failed_starts, 0);
	assert_int_equal(f->s->launch.start_failures, 0);
	assert_int_equal(f->s->launch.replaced, 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
	assert_int_equal(fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/"), 0);
}

/* A container Docker is restarting when the daemon starts is adopted, not removed. */
static void
test_restarting_container_is_adopted(void **state)
{
	struct fx *f = *state;
	struct docker_ctr c = ctr(ID_A, "web-1", "restarting");

	route_restarting(f, true, 2);
	observe(f, &c, 1);
	run_until(f, a_starting, "A adopted and inspected");
	assert_int_equal(f->s->nreps, 1);
	assert_int_equal(f->s->launch.failed_starts, 0);
	assert_int_equal(fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/"), 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/"), 0);
}

/* A kick runs the pass soon even while the same timer waits for a planner's wake far
 * ahead (a rollout step after rollout_min_healthy, a backoff's end): a member that left
 * must leave the balancer now (issue 28, finding 10). Nothing is timed: the timer's due
 * time is compared with the clock timers count from, read after the call. */
static void
test_kick_brings_a_far_wake_forward(void **state)
{
	struct fx *f = *state;
	struct loop *l = &f->d.loop;

	loop_timer_start(l, &f->s->kick, 8000);
	svc_kick(f->s);
	assert_true(loop_timer_armed(&f->s->kick));
	assert_true(f->s->kick.when <= loop_clock_ms() + 20);
	/* a kick never pushes an earlier pass back */
	loop_timer_start(l, &f->s->kick, 0);
	svc_kick(f->s);
	assert_true(f->s->kick.when <= loop_clock_ms());
	/* a membership change is a kick of its own */
	loop_timer_start(l, &f->s->kick, 8000);
	traffic_members_changed(f->s);
	assert_true(f->s->tr.changed);
	assert_true(f->s->kick.when <= loop_clock_ms() + 20);
}

/* ---- scheduled bounds (doc/scaling.md, "Scheduled bounds") -------------------- */

/* A window in force replaces the bounds of desired's clamp (the bounds hook, run by
 * svc_bounds); entering it raises desired at once; leaving it (here: a reload without
 * it) gives a metric-less service back its min. */
static void
test_schedule_window_bounds_desired(void **state)
{
	struct fx *f = *state;
	struct sched_window w;
	char err[128];
	cJSON *o, *sch;
	int lo, hi;

	assert_int_equal(sched_parse("daily 00:00-24:00 min=3", &w, err, sizeof err), 0);
	svc_set_desired(f->s, 1, NULL);
	assert_int_equal(f->s->desired, 1);
	f->conf.schedule = (struct svc_schedule){ &w, 1 };
	f->conf.timezone = "UTC";
	svc_set_conf(f->s, &f->conf);
	svc_bounds(f->s, &lo, &hi);
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 4); /* max= not given: the service's */
	assert_int_equal(f->s->desired, 3);
	svc_set_desired(f->s, 2, "test");
	assert_int_equal(f->s->desired, 3);
	svc_set_desired(f->s, 9, "test");
	assert_int_equal(f->s->desired, 4);
	assert_non_null(o = cJSON_CreateObject());
	svc_status_hooks(f->s, o, 0);
	assert_non_null(sch = cJSON_GetObjectItem(o, "schedule"));
	assert_string_equal(cJSON_GetObjectItem(sch, "active")->valuestring,
	    "daily 00:00-24:00 min=3");
	assert_int_equal(cJSON_GetObjectItem(sch, "min")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(sch, "timezone")->valuestring, "UTC");
	/* next midnight UTC, where the next day's window begins */
	assert_int_equal((int64_t)cJSON_GetObjectItem(sch, "next_change_unix_ms")->valuedouble %
	    86400000, 0);
	cJSON_Delete(o);
	svc_set_desired(f->s, 3, "test");
	f->conf.schedule = (struct svc_schedule){ NULL, 0 };
	svc_set_conf(f->s, &f->conf);
	svc_bounds(f->s, &lo, &hi);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 4);
	assert_int_equal(f->s->desired, 1);
	assert_non_null(o = cJSON_CreateObject());
	svc_status_hooks(f->s, o, 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "schedule")));
	cJSON_Delete(o);
}

/* ---- images (doc/registry.md) ---------------------------------- */

#define IMG_CHECK "/v1.41/images/img/json"
#define IMG_PULL "/v1.41/images/create?fromImage=img&tag=latest"

static bool
create_tried(struct fx *f)
{
	return fake_docker_seen(f->fake, "POST", "/v1.41/containers/create") > 0;
}

static bool
start_failed(struct fx *f)
{
	return f->s->launch.start_failures > 0;
}

/* missing: the engine is asked, the image pulled, and only then is a replica created. */
static void
test_missing_image_checked_pulled_then_created(void **state)
{
	struct fx *f = *state;

	fake_docker_reroute(f->fake, "GET", IMG_CHECK, 404, "{\"message\":\"No such image: img\"}");
	fake_docker_route(f->fake, "POST", IMG_PULL, 200, "{\"status\":\"Pulling from img\"}\n"
	    "{\"status\":\"Status: Downloaded newer image for img:latest\"}\n");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/create", 500,
	    "{\"message\":\"enough\"}");
	observe(f, NULL, 0);
	run_until(f, create_tried, "a create after the pull");
	assert_true(req_at(f, "GET " IMG_CHECK) < req_at(f, "POST " IMG_PULL));
	assert_true(req_at(f, "POST " IMG_PULL) < req_at(f, "POST /v1.41/containers/create"));
	assert_int_equal(pull_of(f->s)->ok_total, 1);
	assert_true(pull_of(f->s)->present);
	assert_int_equal(pull_of(f->s)->phase, PULL_IDLE);
	/* asked first by the pass for the rollout generation (doc/rollouts.md, "Rolling
	 * updates"), then before the create, and again after the pull, for the id (this
	 * fake still says 404: no second pull, the id stays unknown) */
	assert_int_equal(fake_docker_seen(f->fake, "GET", IMG_CHECK), 3);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/images/create"), 1);
	assert_string_equal(pull_image_id(f->s), "");
}

/* An error line in a 200 stream: a failed start with the registry's words, no create. */
static void
test_error_line_in_pull_stream_is_a_failed_start(void **state)
{
	struct fx *f = *state;

	fake_docker_reroute(f->fake, "GET", IMG_CHECK, 404, "{\"message\":\"No such image: img\"}");
	fake_docker_route(f->fake, "POST", IMG_PULL, 200, "{\"status\":\"Pulling from img\"}\n"
	    "{\"errorDetail\":{\"message\":\"unauthorized: authentication required\"},"
	    "\"error\":\"unauthorized: authentication required\"}\n");
	observe(f, NULL, 0);
	run_until(f, start_failed, "the failed pull");
	assert_string_equal(f->s->launch.last_start_error,
	    "pull of img failed: unauthorized: authentication required");
	assert_string_equal(pull_of(f->s)->last_error, "unauthorized: authentication required");
	assert_int_equal(pull_of(f->s)->failed_total, 1);
	assert_false(pull_of(f->s)->present);
	assert_true(f->s->launch.backoff_until > 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
}

/* never: a missing image is a failed start, and nothing is pulled. */
static void
test_pull_never_pulls_nothing(void **state)
{
	struct fx *f = *state;

	f->conf.pull = PULL_NEVER;
	fake_docker_reroute(f->fake, "GET", IMG_CHECK, 404, "{\"message\":\"No such image: img\"}");
	observe(f, NULL, 0);
	run_until(f, start_failed, "the failed start");
	assert_string_equal(f->s->launch.last_start_error,
	    "image img is not on the engine and pull = never");
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/images/create"), 0);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/containers/create"), 0);
}

/* A create that answers "No such image" (removed since the check) makes the next
 * creation check again. */
static void
test_create_404_forgets_the_image(void **state)
{
	struct fx *f = *state;

	fake_docker_reroute(f->fake, "GET", IMG_CHECK, 200, "{\"Id\":\"sha256:" ID("0123") "\"}");
	fake_docker_route(f->fake, "POST", "/v1.41/containers/create", 404,
	    "{\"message\":\"No such image: img\"}");
	observe(f, NULL, 0);
	run_until(f, start_failed, "the failed create");
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/images/create"), 0);
	assert_false(pull_of(f->s)->present);
	assert_string_equal(pull_image_id(f->s), "sha256:" ID("0123"));
	assert_string_equal(f->s->launch.last_start_error, "No such image: img");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restart_finishes_marked_replica, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_restart_removes_exited_marked_replica, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_restart_mid_rollout_keeps_the_rollouts_count,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_adopted_replica_retired_before_the_first_sync_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopted_exit_is_no_failed_start, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_retire_marks_before_the_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker_restart_is_no_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restarting_container_is_adopted, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_schedule_window_bounds_desired, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kick_brings_a_far_wake_forward, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_missing_image_checked_pulled_then_created,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_line_in_pull_stream_is_a_failed_start,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_never_pulls_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_404_forgets_the_image, setup, teardown),
	};

	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
