/* haproxy.h: HAProxy's runtime API: a one-command client in the loop and pure parsers. */
#ifndef DOCKSCALE_HAPROXY_H
#define DOCKSCALE_HAPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define HAPROXY_NAME_MAX 127   /* a server name we handle; longer ones are skipped */
#define HAPROXY_ADDR_MAX 63    /* "A.B.C.D:PORT" or an IPv6 form */
#define HAPROXY_REPLY_MAX (1024 * 1024) /* a bigger answer is an error */

/* srv_admin_state bits (HAProxy's SRV_ADMF_*): forced/inherited/resolver maintenance,
 * forced/inherited drain. */
#define HAPROXY_ADMIN_MAINT 0x23u
#define HAPROXY_ADMIN_DRAIN 0x18u

/* One line of `show servers state BACKEND`. */
struct haproxy_server {
	char name[HAPROXY_NAME_MAX + 1];
	char addr[HAPROXY_ADDR_MAX + 1]; /* srv_addr:srv_port */
	int op_state;                    /* 0 stopped, 1 starting, 2 running, 3 stopping */
	unsigned admin;                  /* HAPROXY_ADMIN_* bits */
	long cur_conns;                  /* `show servers conn` used_cur; -1 unknown */
};

/* Parse the answer of `show servers state B` (format version 1) into *out (malloc'd,
 * *n entries; servers of other backends skipped). 0, or -1 with why: the answer is an
 * error ("Can't find backend.") or not the expected format. */
int haproxy_parse_state(const char *text, size_t len, const char *backend,
    struct haproxy_server **out, size_t *n, char *why, size_t whylen);
/* Fill cur_conns of the servers in srv from the answer of `show servers conn B`
 * (used_cur: connections in use now). 0, or -1 with why. */
int haproxy_parse_conn(const char *text, size_t len, const char *backend,
    struct haproxy_server *srv, size_t n, char *why, size_t whylen);
/* Did a command succeed? The runtime API answers success with an empty line or a fixed
 * message ("New server registered.", "Server deleted."); anything else is its error,
 * copied to why (first line). */
bool haproxy_reply_ok(const char *text, size_t len, char *why, size_t whylen);

/* One command on a fresh connection to the admin socket (the CLI closes after it in
 * non-interactive mode, which marks the end of the answer). */
struct haproxy_cmd;
/* ok = the whole answer arrived (reply, len: valid during the call); !ok = connect,
 * write, read failed or timed out (reply holds the reason). */
typedef void (*haproxy_cmd_cb)(void *arg, bool ok, const char *reply, size_t len);

/* Start cmd (no newline). The callback runs from the loop, never from inside this call.
 * NULL when it could not start (out of memory; logged). */
struct haproxy_cmd *haproxy_cmd_start(struct loop *l, const char *socket_path,
    const char *cmd, int64_t timeout_ms, haproxy_cmd_cb cb, void *arg);
/* Abandon a command in flight: no callback. */
void haproxy_cmd_cancel(struct haproxy_cmd *c);

#endif
