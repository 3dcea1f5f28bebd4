/* fuzz_pull.c: libFuzzer target for what a registry pull brings in: the progress stream
 * (docker_image.c), image references, and the registry auth file (regauth.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker_image.h"
#include "regauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		__builtin_trap();
}

/* However the stream is cut into chunks, it reads the same. */
static void
fuzz_stream(const char *s, size_t n, size_t chunk)
{
	static struct docker_pull_stream whole, cut;

	memset(&whole, 0, sizeof(whole));
	memset(&cut, 0, sizeof(cut));
	docker_pull_feed(&whole, s, n);
	docker_pull_end(&whole);
	for (size_t i = 0; i < n; i += chunk)
		docker_pull_feed(&cut, s + i, n - i < chunk ? n - i : chunk);
	docker_pull_end(&cut);
	check_str(whole.err, sizeof(whole.err));
	if (whole.failed != cut.failed || whole.lines != cut.lines ||
	    strcmp(whole.err, cut.err) != 0 || (whole.failed && whole.err[0] == '\0'))
		__builtin_trap();
}

static void
fuzz_auth(const char *s, size_t n)
{
	struct regauth a;
	char err[256], hdr[REGAUTH_HEADER_MAX + 1];

	if (regauth_parse(s, n, &a, err, sizeof(err)) == -1) {
		check_str(err, sizeof(err));
		if (a.n != 0)
			__builtin_trap();
		return;
	}
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i].host == NULL || a.v[i].host[0] == '\0' ||
		    (a.v[i].token == NULL && (a.v[i].username == NULL || a.v[i].password == NULL)))
			__builtin_trap();
		/* every entry accepted at load yields a header that fits the call */
		if (regauth_header(&a, a.v[i].host, hdr, sizeof(hdr)) != 1)
			__builtin_trap();
	}
	regauth_free(&a);
}

static void
fuzz_ref(const char *s)
{
	struct docker_ref r;

	if (docker_ref_split(s, &r) == -1)
		return;
	check_str(r.host, sizeof(r.host));
	if (r.from[0] == '\0' || r.tag[0] == '\0' || strlen(r.from) > strlen(s))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char err[DOCKER_PULL_ERR_MAX];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_stream(s, size, size > 0 ? (size_t)data[0] % 17 + 1 : 1);
	if (docker_pull_line(s, size, err, sizeof(err)) == 1)
		check_str(err, sizeof(err));
	fuzz_auth(s, size);
	fuzz_ref(s);
	free(s);
	return 0;
}
