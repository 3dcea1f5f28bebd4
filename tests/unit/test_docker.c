/* test_docker.c: the Docker Engine calls (src/docker.c) against a fake engine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "docker.h"
#include "docker_image.h"
#include "fake_docker.h"
#include "httpc.h"
#include "log.h"
#include "loop.h"

/* A loop, a client, the fake engine, and what the last callback said. */
struct fx {
	struct loop l;
	struct httpc *hc;
	struct docker *d;
	struct fake_docker *fake;
	int calls;
	struct docker_reply rep;
	char image_id[80];
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	log_set_level(LOG_ERR); /* the refusals under test log warnings */
	assert_int_equal(loop_init(&f.l), 0);
	assert_non_null(f.hc = httpc_new(&f.l));
	assert_non_null(f.fake = fake_docker_start());
	assert_non_null(f.d = docker_new(&f.l, f.hc, fake_docker_socket(f.fake), 5000));
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	docker_free(f->d);
	httpc_free(f->hc);
	loop_fini(&f->l);
	fake_docker_stop(f->fake);
	return 0;
}

static void
on_reply(void *arg, const struct docker_reply *r)
{
	struct fx *f = arg;

	f->calls++;
	f->rep = *r;
	loop_break(&f->l);
}

/* Runs the loop until the one call in flight answers (the fake answers at once; the
 * client's own timeout bounds a broken run). */
static void
wait_reply(struct fx *f)
{
	int before = f->calls;

	while (f->calls == before)
		assert_int_equal(loop_run(&f->l), 0);
	assert_int_equal(f->calls, before + 1);
}

static void
test_rename_ok(void **state)
{
	struct fx *f = *state;
	char req[300];

	fake_docker_route(f->fake, "POST", "/v1.41/containers/abc123/rename?", 204, "");
	assert_int_equal(docker_rename(f->d, "abc123", "web-3.retiring-abc123", on_reply, f), 0);
	wait_reply(f);
	assert_true(f->rep.ok);
	assert_int_equal(f->rep.status, 204);
	fake_docker_request(f->fake, 0, req, sizeof(req));
	assert_string_equal(req, "POST /v1.41/containers/abc123/rename?name=web-3.retiring-abc123");
}

static void
test_rename_conflict_and_missing(void **state)
{
	struct fx *f = *state;

	fake_docker_route(f->fake, "POST", "/v1.41/containers/taken/rename?", 409,
	    "{\"message\":\"Conflict. The container name is already in use\"}");
	assert_int_equal(docker_rename(f->d, "taken", "web-1.retiring-x", on_reply, f), 0);
	wait_reply(f);
	assert_false(f->rep.ok);
	assert_int_equal(f->rep.status, 409);
	assert_non_null(strstr(f->rep.error, "already in use"));
	/* No route: the fake answers 404 like an engine without that container. */
	assert_int_equal(docker_rename(f->d, "gone", "web-1.retiring-y", on_reply, f), 0);
	wait_reply(f);
	assert_false(f->rep.ok);
	assert_int_equal(f->rep.status, 404);
}

static void
test_rename_refuses_bad_names(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "", ".hidden", "-x", "a b", "a/b", "a?b=c", "a&b",
		                           "web-1%00", "\xc3\xa9" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(docker_rename(f->d, "abc", bad[i], on_reply, f), -1);
	assert_int_equal(docker_rename(f->d, "../etc", "ok-name", on_reply, f), -1);
	assert_int_equal(docker_rename(f->d, "abc", "ok-name", NULL, f), -1);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/"), 0); /* nothing was sent */
	assert_int_equal(f->calls, 0);
}

static void
test_stop_rounds_up_and_remove_tolerates_404(void **state)
{
	struct fx *f = *state;
	char req[300];

	fake_docker_route(f->fake, "POST", "/v1.41/containers/abc/stop", 304, "");
	assert_int_equal(docker_stop(f->d, "abc", 1500, on_reply, f), 0);
	wait_reply(f);
	assert_true(f->rep.ok); /* 304: already stopped */
	fake_docker_request(f->fake, 0, req, sizeof(req));
	assert_string_equal(req, "POST /v1.41/containers/abc/stop?t=2");
	assert_int_equal(docker_remove(f->d, "abc", on_reply, f), 0);
	wait_reply(f);
	assert_true(f->rep.ok); /* 404: already gone */
	assert_int_equal(fake_docker_seen(f->fake, "DELETE", "/v1.41/containers/abc?force=1"), 1);
}

/* doc/registry.md: inspect, and pulls whose stream says how they
 * ended. */
static void
on_image(void *arg, const struct docker_reply *r, const char *id)
{
	struct fx *f = arg;

	snprintf(f->image_id, sizeof(f->image_id), "%s", id != NULL ? id : "");
	on_reply(arg, r);
}

#define ID "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_image_calls(void **state)
{
	struct fx *f = *state;
	char req[300];

	fake_docker_route(f->fake, "GET", "/v1.41/images/reg:5000/shop/web:1/json", 200,
	    "{\"Id\":\"" ID "\"}");
	fake_docker_route(f->fake, "GET", "/v1.41/images/", 404,
	    "{\"message\":\"No such image: x\"}");
	fake_docker_route(f->fake, "POST", "/v1.41/images/create?fromImage=reg%3A5000%2Fshop%2Fweb"
	    "&tag=bad", 200, "{\"status\":\"Pulling from shop/web\"}\n{\"errorDetail\":"
	    "{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n");
	fake_docker_route(f->fake, "POST", "/v1.41/images/create?fromImage=reg%3A5000%2Fshop%2Fweb"
	    "&tag=1", 200, "{\"status\":\"Pulling from shop/web\"}\n{\"status\":\"Status: "
	    "Downloaded newer image for reg:5000/shop/web:1\"}\n");
	fake_docker_route(f->fake, "POST", "/v1.41/images/create", 404,
	    "{\"message\":\"pull access denied for nope\"}");

	assert_int_equal(docker_image_inspect(f->d, "reg:5000/shop/web:1", on_image, f), 0);
	wait_reply(f);
	assert_true(f->rep.ok);
	assert_string_equal(f->image_id, ID);
	assert_int_equal(docker_image_inspect(f->d, "other:1", on_image, f), 0);
	wait_reply(f);
	assert_false(f->rep.ok);
	assert_int_equal(f->rep.status, 404);

	/* 200 with an error line: failed, with the registry's message */
	assert_int_equal(docker_image_pull(f->d, "reg:5000/shop/web:bad", "e30=", 5000,
	    on_reply, f), 0);
	wait_reply(f);
	assert_false(f->rep.ok);
	assert_int_equal(f->rep.status, 200);
	assert_string_equal(f->rep.error, "manifest unknown");
	fake_docker_request(f->fake, 2, req, sizeof(req));
	assert_string_equal(req, "POST /v1.41/images/create?fromImage=reg%3A5000%2Fshop%2Fweb&tag=bad");

	assert_int_equal(docker_image_pull(f->d, "reg:5000/shop/web:1", NULL, 5000, on_reply, f),
	    0);
	wait_reply(f);
	assert_true(f->rep.ok);

	/* an error status: the body's message */
	assert_int_equal(docker_image_pull(f->d, "nope", NULL, 5000, on_reply, f), 0);
	wait_reply(f);
	assert_false(f->rep.ok);
	assert_int_equal(f->rep.status, 404);
	assert_string_equal(f->rep.error, "pull access denied for nope");

	/* refused before anything is sent */
	assert_int_equal(docker_image_pull(f->d, "a b", NULL, 5000, on_reply, f), -1);
	assert_int_equal(docker_image_inspect(f->d, "../x", on_image, f), -1);
	assert_int_equal(fake_docker_seen(f->fake, "POST", "/v1.41/images/create"), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rename_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_conflict_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_refuses_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_rounds_up_and_remove_tolerates_404, setup,
		                                teardown),
	};

	return cmocka_run_group_tests_name("docker", tests, NULL, NULL);
}
