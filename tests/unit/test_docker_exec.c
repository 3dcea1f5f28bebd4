/* test_docker_exec.c: the exec API's pure parts: the multiplexed output stream cut
 * anywhere, its bound, and the exec inspect's Running and ExitCode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "docker.h"

/* Two frames (stdout "hello\n", stderr "oops"), as the engine sends them. */
static const char stream[] = "\x01\0\0\0\0\0\0\x06hello\n\x02\0\0\0\0\0\0\x04oops";
#define STREAM_LEN (sizeof(stream) - 1)

/* Every cut of the stream into two chunks, and one byte at a time, gives the same. */
static void
test_demux_cut_anywhere(void **state)
{
	struct docker_exec_out *o = calloc(1, sizeof(*o));

	(void)state;
	assert_non_null(o);
	for (size_t cut = 0; cut <= STREAM_LEN; cut++) {
		memset(o, 0, sizeof(*o));
		docker_exec_demux(o, stream, cut);
		docker_exec_demux(o, stream + cut, STREAM_LEN - cut);
		assert_string_equal(o->buf, "hello\noops");
		assert_int_equal(o->total, 10);
	}
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < STREAM_LEN; i++)
		docker_exec_demux(o, stream + i, 1);
	assert_string_equal(o->buf, "hello\noops");
	free(o);
}

/* More than DOCKER_EXEC_OUT_MAX bytes: the first are kept, all are counted. */
static void
test_demux_bound(void **state)
{
	struct docker_exec_out *o = calloc(1, sizeof(*o));
	size_t n = DOCKER_EXEC_OUT_MAX + 1000;
	char *frame = malloc(8 + n);

	(void)state;
	assert_non_null(o);
	assert_non_null(frame);
	memcpy(frame, "\x01\0\0\0", 4);
	frame[4] = 0;
	frame[5] = 0;
	frame[6] = (char)(n >> 8);
	frame[7] = (char)(n & 0xff);
	memset(frame + 8, 'x', n);
	docker_exec_demux(o, frame, 8 + n);
	docker_exec_demux(o, stream, STREAM_LEN);
	assert_int_equal(o->len, DOCKER_EXEC_OUT_MAX);
	assert_int_equal(o->total, n + 10);
	assert_int_equal(strlen(o->buf), DOCKER_EXEC_OUT_MAX);
	free(frame);
	free(o);
}

static const struct {
	const char *body;
	int rc;
	bool running;
	int code;
} inspects[] = {
	{ "{\"Running\":false,\"ExitCode\":0,\"Pid\":12}", 0, false, 0 },
	{ "{\"Running\":false,\"ExitCode\":137}", 0, false, 137 },
	{ "{\"Running\":true,\"ExitCode\":null}", 0, true, -1 },
	{ "{\"Running\":true}", 0, true, -1 },
	{ "{\"Running\":false}", -1, false, 0 },              /* ended, no code */
	{ "{\"Running\":false,\"ExitCode\":null}", -1, false, 0 },
	{ "{\"Running\":\"no\",\"ExitCode\":0}", -1, false, 0 }, /* wrong types */
	{ "{\"Running\":false,\"ExitCode\":\"0\"}", -1, false, 0 },
	{ "{\"Running\":false,\"ExitCode\":1e300}", -1, false, 0 },
	{ "[]", -1, false, 0 },
	{ "not json", -1, false, 0 },
	{ "{\"Running\":false,\"ExitCode\":0,\"ExitCode\":1}", -1, false, 0 }, /* twice */
};

static void
test_parse_exec_inspect(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inspects) / sizeof(inspects[0]); i++) {
		bool running = false;
		int code = 0;

		print_message("case %zu\n", i);
		assert_int_equal(docker_parse_exec_inspect(inspects[i].body,
		    strlen(inspects[i].body), &running, &code), inspects[i].rc);
		if (inspects[i].rc == 0) {
			assert_int_equal(running, inspects[i].running);
			assert_int_equal(code, inspects[i].code);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux_cut_anywhere),
		cmocka_unit_test(test_demux_bound),
		cmocka_unit_test(test_parse_exec_inspect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
