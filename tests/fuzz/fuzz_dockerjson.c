/* fuzz_dockerjson.c: libFuzzer target for every Docker Engine answer parser in docker_json.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A field of a parsed answer is a C string inside its array; ids and names, which go
 * into URL paths, are [0-9A-Za-z_.-] only. */
static void
check_str(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		__builtin_trap();
}

static void
check_id(const char *s, size_t n)
{
	check_str(s, n);
	for (; *s != '\0'; s++)
		if (strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-",
		    *s) == NULL)
			__builtin_trap();
}

static void
fuzz_list(const char *body)
{
	struct docker_ctr c[8];
	int n = docker_parse_list(body, c, 8);

	if (n < -1 || n > 8)
		__builtin_trap();
	for (int i = 0; i < n; i++) {
		check_id(c[i].id, sizeof(c[i].id));
		check_id(c[i].name, sizeof(c[i].name));
		if (c[i].id[0] == '\0' || c[i].name[0] == '\0')
			__builtin_trap();
		check_str(c[i].service, sizeof(c[i].service));
		check_str(c[i].state, sizeof(c[i].state));
	}
}

static void
fuzz_inspect(const char *body)
{
	struct docker_inspect in;

	if (docker_parse_inspect(body, 8080, "net", &in) != 0)
		return;
	check_id(in.id, sizeof(in.id));
	check_id(in.name, sizeof(in.name));
	check_str(in.state, sizeof(in.state));
	check_str(in.ip, sizeof(in.ip));
	check_str(in.image, sizeof(in.image));
	if (in.host_port < 0 || in.host_port > 65535 || in.health > HEALTH_UNHEALTHY)
		__builtin_trap();
}

static void
fuzz_stats(const char *body)
{
	struct docker_stats st;

	if (docker_parse_stats(body, &st) != 0)
		return;
	if (st.online_cpus < 1 || st.online_cpus > 65535)
		__builtin_trap();
	(void)docker_cpu_percent(0, 0, st.cpu_total_ns, st.system_ns, st.online_cpus, 0.5);
}

static void
fuzz_event(const char *body, size_t len)
{
	struct docker_event ev;

	if (docker_parse_event(body, len, &ev) != 0)
		return;
	check_id(ev.id, sizeof(ev.id));
	check_str(ev.action, sizeof(ev.action));
	check_str(ev.service, sizeof(ev.service));
	check_str(ev.name, sizeof(ev.name));
	(void)docker_health_parse(ev.action);
}

static void
fuzz_small(const char *body)
{
	char id[DOCKER_ID_MAX + 1], msg[256], ver[16];

	if (docker_parse_create(body, id, sizeof(id)) == 0)
		check_id(id, sizeof(id));
	docker_error_message(body, msg, sizeof(msg));
	check_str(msg, sizeof(msg));
	for (const char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			__builtin_trap();
	for (size_t i = 0, n; msg[i] != '\0'; i += n)
		if ((n = text_utf8_seq(msg + i, strlen(msg + i))) == 0)
			__builtin_trap(); /* valid UTF-8 */
	if (docker_parse_version(body, ver, sizeof(ver)) == 0 && strncmp(ver, "1.", 2) != 0)
		__builtin_trap();
}

/* The first byte picks the parser; the rest is the answer, NUL-terminated as httpc
 * hands bodies over (the event parser gets the exact length instead). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;

	if (size == 0)
		return 0;
	body = malloc(size);
	if (body == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		fuzz_list(body);
		break;
	case 1:
		fuzz_inspect(body);
		break;
	case 2:
		fuzz_stats(body);
		break;
	case 3:
		fuzz_event((const char *)data + 1, size - 1);
		break;
	default:
		fuzz_small(body);
		break;
	}
	free(body);
	return 0;
}
