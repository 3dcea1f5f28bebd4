/* test_dockerimage.c: image references, pull progress streams, and the image calls
 * (src/docker_image.c); its calls are tested in test_docker.c. doc/registry.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "docker_image.h"

/* clang-format off */
static const struct {
	const char *ref, *host, *from, *tag;
} refs[] = {
	{ "app", "docker.io", "app", "latest" },
	{ "app:1.2", "docker.io", "app", "1.2" },
	{ "library/app:1", "docker.io", "library/app", "1" },
	{ "shop/web", "docker.io", "shop/web", "latest" },
	{ "127.0.0.1:5000/shop/web:2.3", "127.0.0.1:5000", "127.0.0.1:5000/shop/web", "2.3" },
	{ "127.0.0.1:5000/shop/web", "127.0.0.1:5000", "127.0.0.1:5000/shop/web", "latest" },
	{ "registry.example/web:v1", "registry.example", "registry.example/web", "v1" },
	{ "localhost/web", "localhost", "localhost/web", "latest" },
	{ "localhost:5000/web:x", "localhost:5000", "localhost:5000/web", "x" },
	{ "web@sha256:0123abcd", "docker.io", "web", "sha256:0123abcd" },
	{ "reg:5000/a/b:1@sha256:ff", "reg:5000", "reg:5000/a/b", "sha256:ff" },
	{ "localhostx/web", "docker.io", "localhostx/web", "latest" },
};
/* clang-format on */

static void
test_ref_split(void **state)
{
	struct docker_ref r;

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		assert_int_equal(docker_ref_split(refs[i].ref, &r), 0);
		assert_string_equal(r.host, refs[i].host);
		assert_string_equal(r.from, refs[i].from);
		assert_string_equal(r.tag, refs[i].tag);
	}
	assert_int_equal(docker_ref_split("", &r), -1);
	assert_int_equal(docker_ref_split("web:", &r), -1);
	assert_int_equal(docker_ref_split("web@", &r), -1);
	assert_int_equal(docker_ref_split(":1", &r), -1);
}

static void
test_pull_line(void **state)
{
	static const struct {
		const char *line;
		int rc;
		const char *err;
	} lines[] = {
		{ "{\"status\":\"Pulling from shop/web\",\"id\":\"1\"}", 0, "" },
		{ "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2},"
		  "\"progress\":\"[=>  ]\",\"id\":\"abc\"}\r", 0, "" },
		{ "", 0, "" },
		{ "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest "
		  "unknown (short)\"}", 1, "manifest unknown" },
		{ "{\"error\":\"unauthorized: authentication required\"}", 1,
		  "unauthorized: authentication required" },
		{ "{\"message\":\"pull access denied\"}", 1, "pull access denied" },
		{ "{\"error\":7}", 1, "pull failed (error without a message)" },
		{ "{\"errorDetail\":{\"message\":\"\"},\"error\":\"from error\"}", 1, "from error" },
		{ "{\"errorDetail\":{},\"error\":\"\"}", 1, "pull failed (error without a message)" },
		{ "{\"message\":\"\"}", 0, "" },
		{ "{\"status\":\"x\",\"message\":\"not an error\"}", 0, "" },
		{ "[1]", -1, "" },
		{ "not json", -1, "" },
	};
	char err[64];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		err[0] = '\0';
		assert_int_equal(docker_pull_line(lines[i].line, strlen(lines[i].line), err,
		    sizeof(err)), lines[i].rc);
		assert_string_equal(err, lines[i].err);
	}
}

/* Every split of a stream into two chunks reads the same: an error line in a stream
 * that began with progress (an HTTP 200) fails the pull. */
static void
test_pull_stream(void **state)
{
	static const char ok[] = "{\"status\":\"Pulling from a\"}\n{\"status\":\"Digest: "
	    "sha256:00\"}\r\n{\"status\":\"Status: Downloaded newer image for a:1\"}\n";
	static const char bad[] = "{\"status\":\"Pulling from a\"}\n{\"errorDetail\":"
	    "{\"message\":\"blob unknown\"},\"error\":\"blob unknown\"}\n"
	    "{\"error\":\"second\"}";

	for (size_t cut = 0; cut <= sizeof(bad) - 1; cut++) {
		struct docker_pull_stream ps;

		memset(&ps, 0, sizeof(ps));
		docker_pull_feed(&ps, bad, cut);
		docker_pull_feed(&ps, bad + cut, sizeof(bad) - 1 - cut);
		docker_pull_end(&ps);
		assert_true(ps.failed);
		assert_string_equal(ps.err, "blob unknown");
		assert_int_equal(ps.lines, 3);
		if (cut <= sizeof(ok) - 1) {
			memset(&ps, 0, sizeof(ps));
			docker_pull_feed(&ps, ok, cut);
			docker_pull_feed(&ps, ok + cut, sizeof(ok) - 1 - cut);
			docker_pull_end(&ps);
			assert_false(ps.failed);
			assert_int_equal(ps.lines, 3);
		}
	}
}

/* Over-long lines are skipped; an over-long error line still fails the pull. */
static void
test_pull_stream_long(void **state)
{
	static char big[3 * DOCKER_PULL_LINE_MAX];
	struct docker_pull_stream ps;
	int n;

	memset(&ps, 0, sizeof(ps));
	n = snprintf(big, sizeof(big), "{\"status\":\"%0*d\"}\n{\"status\":\"done\"}\n",
	    DOCKER_PULL_LINE_MAX, 0);
	docker_pull_feed(&ps, big, (size_t)n);
	docker_pull_end(&ps);
	assert_false(ps.failed);
	assert_int_equal(ps.lines, 2);
	memset(&ps, 0, sizeof(ps));
	n = snprintf(big, sizeof(big), "{\"error\":\"%0*d\"}", DOCKER_PULL_LINE_MAX, 0);
	docker_pull_feed(&ps, big, (size_t)n);
	docker_pull_end(&ps);
	assert_true(ps.failed);
	assert_string_equal(ps.err, "pull failed (error message too long to show)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_split),
		cmocka_unit_test(test_pull_line),
		cmocka_unit_test(test_pull_stream),
		cmocka_unit_test(test_pull_stream_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
