/* test_config_ctr.c: the container keys of [service] (config_ctr.c): each good value
 * lands in the create body under its Engine API 1.41 name and unit (ctrdef.c,
 * ctrdef_host.c), each bad one is a FILE:LINE error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"
#include "ctrdef.h"

#define HEAD "[nginx]\ntest_command = /bin/true\nreload_command = /bin/true\n" \
	"[service web]\nimage = demo:1\n" /* the next line is line 6 */

static char dir[64];

/* Four rotating buffers: a call may take several paths as arguments. */
static const char *
tmpfile_path(const char *name)
{
	static char p[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void
write_file(const char *name, const char *text)
{
	FILE *fp = fopen(tmpfile_path(name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int
load(const char *text, struct config *c, struct config_errors *e)
{
	write_file("t.conf", text);
	memset(e, 0, sizeof(*e));
	return config_load(tmpfile_path("t.conf"), c, e);
}

static void
dump(const struct config_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_message("  %s\n", e->msg[i]);
}

/* The body of the one service of text, as the Engine would get it for replica web-1. */
static cJSON *
body_of(const char *text)
{
	struct config c;
	struct config_errors e;
	cJSON *def, *body;
	char *s;

	if (load(text, &c, &e) != 0)
		dump(&e);
	assert_int_equal(e.n, 0);
	def = ctrdef_build(&c.svcs[0]);
	assert_non_null(def);
	s = ctrdef_replica_body(def, "web", 0, 0, 0);
	assert_non_null(s);
	body = cJSON_Parse(s);
	assert_non_null(body);
	free(s);
	cJSON_Delete(def);
	config_free(&c);
	return body;
}

static const cJSON *
at(const cJSON *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, "|", &save); k != NULL && o != NULL;
	     k = strtok_r(NULL, "|", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

static void
want_str(const cJSON *o, const char *path, const char *v)
{
	const cJSON *x = at(o, path);

	if (!cJSON_IsString(x))
		print_message("%s is not a string\n", path);
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, v);
}

/* Integers must go out as integer text: Go's int64 decoder refuses 1e+10. */
static void
want_int(const cJSON *o, const char *path, const char *text)
{
	const cJSON *x = at(o, path);
	char *s;

	assert_non_null(x);
	s = cJSON_PrintUnformatted(x);
	assert_string_equal(s, text);
	free(s);
}

static void
want_strs(const cJSON *o, const char *path, const char *const *v)
{
	const cJSON *arr = at(o, path);
	int n = 0;

	assert_true(cJSON_IsArray(arr));
	for (; v[n] != NULL; n++) {
		const cJSON *it = cJSON_GetArrayItem(arr, n);
		assert_true(cJSON_IsString(it));
		assert_string_equal(it->valuestring, v[n]);
	}
	assert_int_equal(cJSON_GetArraySize(arr), n);
}

#define STRS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_every_key_in_body(void **state)
{
	char text[4096];
	cJSON *b;

	(void)state;
	write_file("a.env", "# comment\n\nA=from-file\nB=two words\nC=x=y\nA=later-line\n");
	write_file("b.env", "D=4\nE=file\n");
	snprintf(text, sizeof(text), HEAD
	    "network = front\n"
	    "volume = ctrkeys-data:/data\nvolume = /srv/static:/static:ro\n"
	    "tmpfs = /tmp:size=16M\ntmpfs = /run\n"
	    "label = com.example.team=shop\nlabel = empty=\n"
	    "env = E=env-wins\n"
	    "env_file = %s\nenv_file = %s\n"
	    "user = 65534:65534\nworking_dir = /srv\nentrypoint = /app --flag \"a b\"\n"
	    "hostname = web.local\nread_only = yes\ncap_add = net_admin, CAP_SYS_TIME\n"
	    "cap_drop = ALL\nsecurity_opt = apparmor=unconfined\nno_new_privileges = true\n"
	    "pids_limit = 100\nshm_size = 64M\nulimit = nofile=1024:2048\nulimit = core=0\n"
	    "extra_host = db.local:10.0.0.5\nextra_host = v6:::1\ndns = 10.0.0.53\ndns = ::1\n"
	    "log_driver = json-file\nlog_opt = max-size=10m\nlog_opt = max-file=3\n"
	    "stop_signal = quit\nrestart = on-failure:3\n"
	    "healthcheck = CMD /app --health \"x y\"\nhealthcheck_interval = 2s\n"
	    "healthcheck_timeout = 1500ms\nhealthcheck_start_period = 1m\n"
	    "healthcheck_retries = 4\nnetworks = back, side\n"
	    "dns_search = corp.example\ndns_opt = ndots:2\ndomainname = corp.example\n"
	    "sysctl = net.core.somaxconn=1024\nsysctl = kernel.shmmax=65536\n"
	    "group_add = 1234\ngroup_add = audio\noom_score_adj = -500\n",
	    tmpfile_path("a.env"), tmpfile_path("b.env"));
	b = body_of(text);
	want_strs(b, "HostConfig|Binds", STRS("ctrkeys-data:/data", "/srv/static:/static:ro"));
	want_str(b, "HostConfig|Tmpfs|/tmp", "size=16777216");
	want_str(b, "HostConfig|Tmpfs|/run", "");
	want_str(b, "Labels|com.example.team", "shop");
	want_str(b, "Labels|empty", "");
	want_str(b, "Labels|io.dockscale.service", "web");
	/* a later line of an env file wins; env wins over every env file */
	want_strs(b, "Env", STRS("A=later-line", "B=two words", "C=x=y", "D=4", "E=env-wins"));
	want_str(b, "User", "65534:65534");
	want_str(b, "WorkingDir", "/srv");
	want_strs(b, "Entrypoint", STRS("/app", "--flag", "a b"));
	want_str(b, "Hostname", "web.local");
	assert_true(cJSON_IsTrue(at(b, "HostConfig|ReadonlyRootfs")));
	want_strs(b, "HostConfig|CapAdd", STRS("NET_ADMIN", "SYS_TIME"));
	want_strs(b, "HostConfig|CapDrop", STRS("ALL"));
	want_strs(b, "HostConfig|SecurityOpt",
	    STRS("apparmor=unconfined", "no-new-privileges:true"));
	want_int(b, "HostConfig|PidsLimit", "100");
	want_int(b, "HostConfig|ShmSize", "67108864");
	want_str(cJSON_GetArrayItem(at(b, "HostConfig|Ulimits"), 0), "Name", "nofile");
	want_int(cJSON_GetArrayItem(at(b, "HostConfig|Ulimits"), 0), "Soft", "1024");
	want_int(cJSON_GetArrayItem(at(b, "HostConfig|Ulimits"), 0), "Hard", "2048");
	want_int(cJSON_GetArrayItem(at(b, "HostConfig|Ulimits"), 1), "Hard", "0");
	want_strs(b, "HostConfig|ExtraHosts", STRS("db.local:10.0.0.5", "v6:::1"));
	want_strs(b, "HostConfig|Dns", STRS("10.0.0.53", "::1"));
	want_str(b, "HostConfig|LogConfig|Type", "json-file");
	want_str(b, "HostConfig|LogConfig|Config|max-size", "10m");
	want_str(b, "HostConfig|LogConfig|Config|max-file", "3");
	want_str(b, "StopSignal", "SIGQUIT");
	want_str(b, "HostConfig|RestartPolicy|Name", "on-failure");
	want_int(b, "HostConfig|RestartPolicy|MaximumRetryCount", "3");
	want_strs(b, "Healthcheck|Test", STRS("CMD", "/app", "--health", "x y"));
	want_int(b, "Healthcheck|Interval", "2000000000");
	want_int(b, "Healthcheck|Timeout", "1500000000");
	want_int(b, "Healthcheck|StartPeriod", "60000000000");
	want_int(b, "Healthcheck|Retries", "4");
	want_strs(b, "HostConfig|DnsSearch", STRS("corp.example"));
	want_strs(b, "HostConfig|DnsOptions", STRS("ndots:2"));
	want_str(b, "Domainname", "corp.example");
	want_str(b, "HostConfig|Sysctls|net.core.somaxconn", "1024");
	want_str(b, "HostConfig|Sysctls|kernel.shmmax", "65536");
	want_strs(b, "HostConfig|GroupAdd", STRS("1234", "audio"));
	want_int(b, "HostConfig|OomScoreAdj", "-500");
	/* API 1.41 creates on one network: the others are connected before the start */
	want_str(b, "HostConfig|NetworkMode", "front");
	assert_non_null(at(b, "NetworkingConfig|EndpointsConfig|front"));
	assert_int_equal(cJSON_GetArraySize(at(b, "NetworkingConfig|EndpointsConfig")), 1);
	cJSON_Delete(b);
}

static void
test_defaults_and_variants(void **state)
{
	cJSON *b;
	struct config c;
	struct config_errors e;
	cJSON *def;

	(void)state;
	/* nothing set: Docker's and the image's defaults, restart "no" */
	b = body_of(HEAD);
	want_str(b, "HostConfig|RestartPolicy|Name", "no");
	assert_null(at(b, "HostConfig|RestartPolicy|MaximumRetryCount"));
	assert_null(at(b, "Healthcheck"));
	assert_null(at(b, "User"));
	assert_null(at(b, "HostConfig|Binds"));
	assert_null(at(b, "HostConfig|LogConfig"));
	assert_null(at(b, "NetworkingConfig"));
	cJSON_Delete(b);

	b = body_of(HEAD "healthcheck = none\nrestart = on-failure\nstop_signal = 3\n");
	want_strs(b, "Healthcheck|Test", STRS("NONE"));
	want_str(b, "HostConfig|RestartPolicy|Name", "on-failure");
	want_int(b, "HostConfig|RestartPolicy|MaximumRetryCount", "0");
	want_str(b, "StopSignal", "3");
	cJSON_Delete(b);

	/* a duration alone tunes the image's own test: no Test is sent */
	b = body_of(HEAD "healthcheck = CMD-SHELL curl -f http://localhost/ || exit 1\n");
	want_strs(b, "Healthcheck|Test", STRS("CMD-SHELL", "curl -f http://localhost/ || exit 1"));
	cJSON_Delete(b);
	b = body_of(HEAD "healthcheck_interval = 5s\nlog_opt = tag=x\n");
	assert_null(at(b, "Healthcheck|Test"));
	want_int(b, "Healthcheck|Interval", "5000000000");
	want_str(b, "HostConfig|LogConfig|Type", "");
	want_str(b, "HostConfig|LogConfig|Config|tag", "x");
	cJSON_Delete(b);

	/* networks without `network`: created on the default bridge, all joined later */
	assert_int_equal(load(HEAD "networks = a\nnetworks = b c\n", &c, &e), 0);
	def = ctrdef_build(&c.svcs[0]);
	assert_non_null(def);
	assert_string_equal(ctrdef_extra_network(def, 0), "a");
	assert_string_equal(ctrdef_extra_network(def, 1), "b");
	assert_string_equal(ctrdef_extra_network(def, 2), "c");
	assert_null(ctrdef_extra_network(def, 3));
	cJSON_Delete(def);
	config_free(&c);
	b = body_of(HEAD "networks = a\n");
	assert_null(at(b, "NetworkingConfig"));
	cJSON_Delete(b);
	b = body_of(HEAD "network = front\nnetworks = a\n");
	assert_int_equal(cJSON_GetArraySize(at(b, "NetworkingConfig|EndpointsConfig")), 1);
	cJSON_Delete(b);
}

struct bad {
	const char *lines; /* from line 6 */
	int line;
	const char *msg;
};

static const struct bad bads[] = {
	{ "volume = /data", 6, "volume: '/data' is not SRC:DST[:ro|rw]" },
	{ "volume = rel/dir:/data", 6, "volume: 'rel/dir' is neither an absolute host path" },
	{ "volume = x:/data", 6, "volume: 'x' is neither an absolute host path" },
	{ "volume = vol:data", 6, "volume: 'data' is not an absolute path in the container" },
	{ "volume = vol:/", 6, "volume: '/' is not an absolute path in the container" },
	{ "volume = vol:/data:rx", 6, "volume: mode 'rx' is not ro or rw" },
	{ "tmpfs = tmp", 6, "tmpfs: 'tmp' is not an absolute path in the container" },
	{ "tmpfs = /tmp:mode=1777", 6, "tmpfs: 'mode=1777' is not size=N" },
	{ "tmpfs = /tmp:size=0", 6, "tmpfs: 'size=0' is not size=N" },
	{ "tmpfs = /tmp:size=lots", 6, "tmpfs: 'size=lots' is not size=N" },
	{ "label = novalue", 6, "label: 'novalue' is not KEY=VALUE" },
	{ "label = =v", 6, "label: '=v' is not KEY=VALUE" },
	{ "label = io.dockscale.service=x", 6,
	  "label: io.dockscale.service: keys under io.dockscale. are dockscale's own" },
	{ "label = IO.Dockscale.other=x", 6, "keys under io.dockscale. are dockscale's own" },
	{ "label = a=1\nlabel = a=2", 7, "label: a is set twice" },
	{ "env_file = relative.env", 6, "env_file: 'relative.env' is not an absolute path" },
	{ "env_file = /nonexistent/ctrkeys.env", 6,
	  "env_file /nonexistent/ctrkeys.env: No such file or directory" },
	{ "env_file = /dev/zero", 6, "env_file /dev/zero: not a regular file" },
	{ "env_file = /tmp", 6, "env_file /tmp: not a regular file" },
	{ "user = a b", 6, "user: 'a b' is not USER[:GROUP]" },
	{ "user = :grp", 6, "user: ':grp' is not USER[:GROUP]" },
	{ "user = a\nuser = b", 7, "duplicate key 'user' (first on line 6)" },
	{ "working_dir = srv", 6, "working_dir: 'srv' is not an absolute path" },
	{ "entrypoint = \"/app", 6, "entrypoint: unterminated double quote" },
	{ "hostname = -web", 6, "hostname: '-web' is not a host name" },
	{ "hostname = web_1", 6, "hostname: 'web_1' is not a host name" },
	{ "read_only = maybe", 6, "read_only: 'maybe' is not a boolean" },
	{ "cap_add = NET_FLY", 6, "cap_add: 'NET_FLY' is not a Linux capability" },
	{ "cap_drop = KILL, kill", 6, "cap_drop: KILL is listed twice" },
	{ "security_opt = seccomp=/etc/profile.json", 6, "security_opt: only seccomp=unconfined" },
	{ "security_opt = privileged=true", 6, "security_opt: 'privileged' is not one of" },
	{ "security_opt = apparmor", 6, "security_opt: apparmor needs a value" },
	{ "no_new_privileges = 2", 6, "no_new_privileges: '2' is not a boolean" },
	{ "pids_limit = -5", 6, "pids_limit: '-5' is not an integer in 0..2147483647" },
	{ "shm_size = big", 6, "shm_size: 'big' is not a size" },
	{ "ulimit = nofile", 6, "ulimit: 'nofile' is not NAME=SOFT[:HARD]" },
	{ "ulimit = files=10", 6, "ulimit: 'files' is not a ulimit" },
	{ "ulimit = nofile=ten", 6, "ulimit: nofile: limits are integers" },
	{ "ulimit = nofile=20:10", 6, "ulimit: nofile: soft limit above the hard limit" },
	{ "ulimit = core=1\nulimit = core=2", 7, "ulimit: core is set twice" },
	{ "extra_host = db.local", 6, "extra_host: 'db.local' is not NAME:IP" },
	{ "extra_host = db.local:10.0.0", 6, "extra_host: '10.0.0' is not an IP address" },
	{ "extra_host = -db:10.0.0.1", 6, "extra_host: '-db' is not a host name" },
	{ "dns = dns.example", 6, "dns: 'dns.example' is not an IP address" },
	{ "log_driver = json file", 6, "log_driver: 'json file' is not a driver name" },
	{ "log_opt = max-size", 6, "log_opt: 'max-size' is not KEY=VALUE" },
	{ "log_opt = a b=c", 6, "log_opt: 'a b' is not a valid key" },
	{ "stop_signal = SIGFOO", 6, "stop_signal: 'SIGFOO' is not a signal" },
	{ "stop_signal = 99", 6, "stop_signal: '99' is not a signal number in 1..64" },
	{ "restart = always", 6, "restart: always would fight dockscale" },
	{ "restart = unless-stopped", 6, "restart: unless-stopped would fight dockscale" },
	{ "restart = on-failure:0", 6, "restart: on-failure:N needs N in 1..10000" },
	{ "restart = on-failure:x", 6, "restart: on-failure:N needs N in 1..10000" },
	{ "restart = sometimes", 6, "restart: 'sometimes' is not no or on-failure[:N]" },
	{ "healthcheck = curl localhost", 6, "healthcheck: 'curl localhost' is not CMD ARGS..." },
	{ "healthcheck = CMD", 6, "healthcheck: CMD needs a program" },
	{ "healthcheck = CMD-SHELL", 6, "healthcheck: CMD-SHELL needs a command" },
	{ "healthcheck_interval = 0s", 6, "healthcheck_interval: must be greater than 0" },
	{ "healthcheck_timeout = soon", 6, "healthcheck_timeout: 'soon' is not a duration" },
	{ "healthcheck_start_period = -1s", 6, "healthcheck_start_period: '-1s' is not a duration" },
	{ "healthcheck_retries = 0", 6, "healthcheck_retries: '0' is not an integer in 1..10000" },
	{ "networks = bad/name", 6, "networks: 'bad/name' is not a Docker network name" },
	{ "networks = a, a", 6, "networks: a is listed twice" },
	{ "dns_search = -corp", 6, "dns_search: '-corp' is not a domain name" },
	{ "dns_opt = a b", 6, "dns_opt: 'a b' must be one word" },
	{ "domainname = a..b_", 6, "domainname: 'a..b_' is not a host name" },
	{ "sysctl = vm.swappiness=10", 6, "sysctl: 'vm.swappiness=10' is not a namespaced sysctl" },
	{ "sysctl = net.ipv4.ip_forward", 6, "sysctl: 'net.ipv4.ip_forward' is not KEY=VALUE" },
	{ "group_add = a b", 6, "group_add: 'a b' is not a group name or id" },
	{ "oom_score_adj = 1001", 6, "oom_score_adj: '1001' is not an integer in -1000..1000" },
	/* checks across keys: on the [service] line */
	{ "healthcheck = none\nhealthcheck_interval = 1s", 4,
	  "service web: healthcheck = none takes no healthcheck_* keys" },
	{ "network = front\nnetworks = back, front", 4,
	  "service web: networks lists front, which is already the network" },
	{ "volume = v1:/data\ntmpfs = /data", 4, "service web: two mounts on /data" },
};

/* Every container key is F_CTR (a compose-sourced service refuses them all) and is
 * found through config_key_find after svc_keys. */
static void
test_all_flagged(void **state)
{
	size_t n;
	const struct keydef *k = config_ctr_keys(&n);
	int base;

	(void)state;
	assert_true(n >= 30);
	assert_non_null(config_key_find(SEC_SERVICE, k[0].name, &base));
	assert_true(base > 0); /* after svc_keys */
	for (size_t j = 0; j < n; j++) {
		int idx;
		const struct keydef *f = config_key_find(SEC_SERVICE, k[j].name, &idx);

		assert_true(k[j].flags & F_CTR);
		assert_ptr_equal(f, &k[j]);
		assert_int_equal(idx, base + (int)j);
		assert_true(idx < KEYS_MAX);
		assert_null(config_key_find(SEC_DAEMON, k[j].name, &idx));
	}
}

static void
test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char text[1024], want[512];
		struct config c;
		struct config_errors e;
		bool found = false;

		snprintf(text, sizeof(text), HEAD "%s\n", bads[i].lines);
		assert_int_equal(load(text, &c, &e), -1);
		snprintf(want, sizeof(want), "%s:%d: ", tmpfile_path("t.conf"), bads[i].line);
		for (size_t j = 0; j < e.n; j++)
			found |= strncmp(e.msg[j], want, strlen(want)) == 0 &&
			    strstr(e.msg[j], bads[i].msg) != NULL;
		if (!found) {
			print_message("case %zu: want '%s%s', got:\n", i, want, bads[i].msg);
			dump(&e);
		}
		assert_true(found);
		config_errors_free(&e);
	}
}

/* An env file's errors name the env file and its line, on the env_file key's line. */
static void
test_env_file_errors(void **state)
{
	char text[512], want[512];
	struct config c;
	struct config_errors e;

	(void)state;
	write_file("bad.env", "# ok\r\nGOOD=1\nSECRET VALUE\n=nokey\nA B=1\nLAST=no newline");
	snprintf(text, sizeof(text), HEAD "env_file = %s\n", tmpfile_path("bad.env"));
	assert_int_equal(load(text, &c, &e), -1);
	assert_int_equal(e.n, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "%s:6: env_file %s:%d: not NAME=value",
		    tmpfile_path("t.conf"), tmpfile_path("bad.env"), 3 + i);
		assert_string_equal(e.msg[i], want);
	}
	/* the value may be a secret: never in the message */
	assert_null(strstr(e.msg[0], "SECRET"));
	config_errors_free(&e);

	/* bounded: a file over 1 MiB is refused, not read */
	{
		FILE *fp = fopen(tmpfile_path("big.env"), "w");

		assert_non_null(fp);
		for (int i = 0; i < 1024 * 1024 / 8 + 1; i++)
			fputs("A=12345\n", fp);
		assert_int_equal(fclose(fp), 0);
	}
	snprintf(text, sizeof(text), HEAD "env_file = %s\n", tmpfile_path("big.env"));
	assert_int_equal(load(text, &c, &e), -1);
	snprintf(want, sizeof(want), "%s:6: env_file %s: longer than 1048576 bytes",
	    tmpfile_path("t.conf"), tmpfile_path("big.env"));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], want);
	config_errors_free(&e);
}

/* Each load reads the env files again: a reload sees the new values, and a broken
 * file fails the load (the daemon then keeps its running configuration). */
static void
test_env_file_reread(void **state)
{
	char text[512];
	struct config c;
	struct config_errors e;

	(void)state;
	snprintf(text, sizeof(text), HEAD "env_file = %s\n", tmpfile_path("r.env"));
	write_file("r.env", "V=1\n");
	assert_int_equal(load(text, &c, &e), 0);
	assert_string_equal(c.svcs[0].ctr.file_env.v[0], "V=1");
	config_free(&c);
	write_file("r.env", "V=2\n");
	assert_int_equal(load(text, &c, &e), 0);
	assert_string_equal(c.svcs[0].ctr.file_env.v[0], "V=2");
	config_free(&c);
	write_file("r.env", "V 2\n");
	assert_int_equal(load(text, &c, &e), -1);
	config_errors_free(&e);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_config_ctr.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	static const char *const names[] = { "t.conf", "a.env", "b.env", "bad.env", "r.env",
		"big.env" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmpfile_path(names[i]));
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_in_body),
		cmocka_unit_test(test_defaults_and_variants),
		cmocka_unit_test(test_all_flagged),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_env_file_errors),
		cmocka_unit_test(test_env_file_reread),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
