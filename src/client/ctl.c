/* ctl.c: dockscalectl's command line: options anywhere, a command, its operands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define REPLICAS_MAX 1000 /* the daemon's bound on min/max_replicas */

static const struct {
	const char *name;
	enum ctl_cmd cmd;
	int min_ops, max_ops; /* operands after the command */
} commands[] = {
	{ "status", CTL_STATUS, 0, 1 },   { "explain", CTL_EXPLAIN, 1, 1 },
	{ "events", CTL_EVENTS, 0, 1 },   { "scale", CTL_SCALE, 2, 2 },
	{ "pause", CTL_PAUSE, 1, 2 },     { "resume", CTL_RESUME, 1, 1 },
	{ "rollout", CTL_ROLLOUT, 1, 1 }, { "version", CTL_VERSION, 0, 0 },
	{ "help", CTL_HELP, 0, 0 },       { "health", CTL_HEALTH, 0, 0 },
};

const char *
ctl_usage(void)
{
	return "usage: dockscalectl [-H URL] [--token-file FILE] [-c CONFIG] [--json] COMMAND\n"
	       "commands:\n"
	       "  status [SERVICE]              services table, or one service in detail\n"
	       "  explain SERVICE               why it is at N and what it will do next\n"
	       "  events [SERVICE] [-f] [--since ID]\n"
	       "                                the event history; -f follows it\n"
	       "  scale SERVICE N               set the desired count (the policy keeps running)\n"
	       "  pause SERVICE [N]             stop the policy, hold at N or the current count\n"
	       "  resume SERVICE                hand the service back to its policy\n"
	       "  rollout SERVICE [--restart]   retry a rollout, or replace every replica\n"
	       "  health                        exit 0 when GET /healthz answers 200 (the\n"
	       "                                container image's HEALTHCHECK)\n"
	       "  version                       print the version\n"
	       "  help                          this text\n"
	       "options:\n"
	       "  -H, --url URL         the daemon's API (default: [daemon] listen of CONFIG,\n"
	       "                        else http://" CTL_DEFAULT_LISTEN "; env DOCKSCALE_URL)\n"
	       "      --token-file FILE bearer token for POSTs (default: [daemon] token_file\n"
	       "                        of CONFIG; env DOCKSCALE_TOKEN_FILE)\n"
	       "  -c, --config CONFIG   daemon config to take defaults from\n"
	       "                        (default /etc/dockscale/dockscale.conf, when readable)\n"
	       "      --json            print the API's JSON as received\n"
	       "exit codes: 0 ok, 1 refused by the daemon (4xx, unknown service),\n"
	       "            2 usage error, 3 daemon unreachable or failing (5xx)\n";
}

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap); /* a cut message is still a message */
	va_end(ap);
	return -1;
}

/* A whole decimal number in [lo, hi]. */
static bool
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Which command-specific options apply to the command. */
static int
check_options(const struct ctl_args *a, bool since_given, char *err, size_t errlen)
{
	if ((a->follow || since_given) && a->cmd != CTL_EVENTS)
		return fail(err, errlen, "%s only goes with events", a->follow ? "-f" : "--since");
	if (a->restart && a->cmd != CTL_ROLLOUT)
		return fail(err, errlen, "--restart only goes with rollout");
	return 0;
}

static int
operands(struct ctl_args *a, const char *cmd, char **ops, int nops, char *err, size_t errlen)
{
	long long n;

	if (nops >= 1)
		a->service = ops[0];
	if (a->service != NULL && a->service[0] == '\0')
		return fail(err, errlen, "%s: empty service name", cmd);
	if (nops == 2) {
		if (!parse_int(ops[1], 0, REPLICAS_MAX, &n))
			return fail(err, errlen, "%s: replicas must be a whole number 0..%d, not '%s'",
			    cmd, REPLICAS_MAX, ops[1]);
		a->replicas = (int)n;
	}
	return 0;
}

int
ctl_args_parse(int argc, char **argv, struct ctl_args *a, char *err, size_t errlen)
{
	enum { OPT_TOKEN = 256, OPT_JSON, OPT_SINCE, OPT_RESTART };
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'H' },
		{ "token-file", required_argument, NULL, OPT_TOKEN },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "follow", no_argument, NULL, 'f' },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "restart", no_argument, NULL, OPT_RESTART },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool since_given = false;
	const char *cmd;
	size_t i;
	int c, nops;

	*a = (struct ctl_args){ .replicas = -1, .since = -1 };
	err[0] = '\0';
	optind = 0; /* GNU: start over (the unit tests parse many command lines) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":H:c:fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			a->url = optarg;
			break;
		case OPT_TOKEN:
			a->token_file = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case 'f':
			a->follow = true;
			break;
		case OPT_SINCE:
			if (!parse_int(optarg, 0, (1LL << 53), &a->since))
				return fail(err, errlen, "--since: not an event id: '%s'", optarg);
			since_given = true;
			break;
		case OPT_RESTART:
			a->restart = true;
			break;
		case 'h':
			a->cmd = CTL_HELP;
			break;
		case 'V':
			a->cmd = CTL_VERSION;
			break;
		case ':':
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (a->cmd != CTL_NONE) /* --help, --version: anything else is ignored */
		return 0;
	if (optind >= argc)
		return fail(err, errlen, "no command given");
	cmd = argv[optind];
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, cmd) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return fail(err, errlen, "unknown command '%s'", cmd);
	a->cmd = commands[i].cmd;
	nops = argc - optind - 1;
	if (nops < commands[i].min_ops)
		return fail(err, errlen, "%s: missing %s", cmd, nops == 0 ? "SERVICE" : "N");
	if (nops > commands[i].max_ops)
		return fail(err, errlen, "%s: unexpected argument '%s'", cmd,
		    argv[optind + 1 + commands[i].max_ops]);
	if (operands(a, cmd, argv + optind + 1, nops, err, errlen) < 0)
		return -1;
	return check_options(a, since_given, err, errlen);
}

int
ctl_follow_wait_s(int n)
{
	int s = 1;

	while (n-- > 0 && s < 30)
		s *= 2;
	return s < 30 ? s : 30;
}
