/* regauth.h: registry credentials from a ~/.docker/config.json-style file, as the
 * X-Registry-Auth header the Engine's pull takes. */
#ifndef DOCKSCALE_REGAUTH_H
#define DOCKSCALE_REGAUTH_H

#include <stddef.h>

#define REGAUTH_FILE_MAX (1024 * 1024)
#define REGAUTH_HEADER_MAX 4000 /* what the Engine call sends (httpc's header bound) */
/* Docker Hub as the Docker CLI names it in config.json and in serveraddress. */
#define REGAUTH_HUB_ADDRESS "https://index.docker.io/v1/"

struct regauth_entry {
	char *host;      /* the "auths" key reduced to host[:port] ("docker.io" for the Hub) */
	char *username;
	char *password;
	char *token;     /* identitytoken; when set, sent instead of username/password */
};

struct regauth {
	struct regauth_entry *v;
	size_t n;
};

/* Parse the text of a config.json: every entry of "auths" with "auth" (base64 of
 * user:password), "username"+"password" or "identitytoken". 0, or -1 with the reason
 * in err (never a credential). Entries with none of them are skipped (a credential
 * helper's placeholder). Pure. */
int regauth_parse(const char *text, size_t len, struct regauth *out, char *err,
    size_t errlen);
/* Read and parse path: regauth_parse's result, -1 with the reason when unreadable. */
int regauth_load(const char *path, struct regauth *out, char *err, size_t errlen);
void regauth_free(struct regauth *a);
/* "https://index.docker.io/v1/" -> "docker.io", "http://reg:5000/v2/" -> "reg:5000". */
void regauth_host(const char *key, char *out, size_t outlen);
/* The X-Registry-Auth value for registry host (as docker_ref_split names it): base64url
 * of {"username","password","serveraddress"} or {"identitytoken","serveraddress"}
 * (serveraddress: host, or REGAUTH_HUB_ADDRESS for docker.io, as the CLI sends it).
 * 1 when written, 0 when no entry matches (pull anonymously), -1 when it does not fit. */
int regauth_header(const struct regauth *a, const char *host, char *out, size_t outlen);
/* RFC 4648 base64 (url = the URL-safe alphabet), padded. The length, -1 if it does not
 * fit. Decoding takes either alphabet, padding optional; -1 on a bad character. */
int regauth_b64(const unsigned char *in, size_t len, int url, char *out, size_t outlen);
int regauth_unb64(const char *in, unsigned char *out, size_t outlen);

#endif
