/* reqcheck.c: pure checks of request headers: method lists, media type, bearer token, Host. */
#include "reqcheck.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

bool
reqcheck_method(const char *method, const char *allow)
{
	size_t n = strlen(method);
	const char *p = allow;

	/* Walk the list name by name: a substring search cannot advance on "". */
	if (n == 0)
		return false;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, method, n) == 0)
			return true;
		p += len;
		p += strspn(p, ", ");
	}
	return false;
}

bool
reqcheck_json_type(const char *ctype)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ctype == NULL || strncasecmp(ctype, want, n) != 0)
		return false;
	ctype += n;
	ctype += strspn(ctype, " \t");
	return *ctype == '\0' || *ctype == ';';
}

bool
reqcheck_bearer(const char *h, const char *tok)
{
	size_t tlen, hlen, sp;
	unsigned char diff;

	if (h == NULL || tok == NULL || strncasecmp(h, "Bearer", 6) != 0)
		return false;
	sp = strspn(h + 6, " ");
	if (sp == 0)
		return false;
	h += 6 + sp;
	tlen = strlen(tok);
	hlen = strlen(h);
	/* Every byte is compared whatever differs. */
	diff = (unsigned char)(hlen != tlen);
	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char)(tok[i] ^ (i < hlen ? h[i] : 0));
	return diff == 0;
}

/* "name", "name:port", "[v6]" or "[v6]:port" -> name (brackets kept) in out. */
static bool
host_name(const char *host, char *out, size_t cap)
{
	const char *end;
	size_t len;

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end == NULL)
			return false;
		end++;
	} else {
		end = strchr(host, ':');
		if (end == NULL)
			end = host + strlen(host);
	}
	if (*end == ':') {
		if (end[1] == '\0' || strspn(end + 1, "0123456789") != strlen(end + 1))
			return false;
	} else if (*end != '\0') {
		return false;
	}
	len = (size_t)(end - host);
	if (len == 0 || len >= cap)
		return false;
	memcpy(out, host, len);
	out[len] = '\0';
	return true;
}

static bool
ip_literal(const char *name)
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct in6_addr a6;
	struct in_addr a4;
	size_t len = strlen(name);

	if (name[0] != '[')
		return inet_pton(AF_INET, name, &a4) == 1;
	if (len < 3 || len - 2 >= sizeof(buf))
		return false;
	memcpy(buf, name + 1, len - 2);
	buf[len - 2] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1;
}

/* DNS rebinding needs a name the attacker resolves: an address literal (the client
 * addressed us directly) or localhost cannot be one. */
bool
reqcheck_host(const char *host, const char *const *names, size_t n)
{
	char name[256];

	if (host == NULL)
		return true; /* HTTP/1.0; browsers always send Host */
	if (!host_name(host, name, sizeof(name)))
		return false;
	if (strcasecmp(name, "localhost") == 0 || ip_literal(name))
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}
