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
/* `show stat B 4 -1` (management.txt 9.1: CSV, the header line names the columns). */
#define HAPROXY_STAT_ROWS_MAX 4096 /* rows of one answer; more is an error (the 1 MiB
                                    * answer holds ~3,000 rows of HAProxy 2.6's 130 columns) */
#define HAPROXY_STAT_COLS_MAX 1024 /* columns of the header; more is an error */

/* One server row of `show stat`: the columns the balancer reads. A number is -1 when its
 * field is empty (HAProxy leaves req_tot, hrsp_* of a tcp backend empty). */
struct haproxy_stat { /* owner: haproxy_parse.c */
	char name[HAPROXY_NAME_MAX + 1]; /* svname */
	char addr[HAPROXY_ADDR_MAX + 1]; /* addr: "A.B.C.D:PORT", "[V6]:PORT"; "" when empty
	                                  * (the CLI shows it at level oper or admin only) */
	int64_t qcur;      /* requests waiting in this server's own queue, now */
	int64_t scur;      /* sessions on it now: requests being served */
	int64_t stot;      /* sessions sent to it, cumulative (one per HTTP request; a
	                    * connection retry counts again) */
	int64_t req_tot;   /* HTTP responses received from it, cumulative (= its hrsp_* summed) */
	int64_t hrsp[6];   /* responses by class: [1]..[5] hrsp_1xx..hrsp_5xx, [0] hrsp_other */
	int64_t rtime;     /* ms: HAProxy's running average over the last 1024 requests;
	                    * 0 also when it has none yet */
};

/* Parse the answer of `show stat B 4 -1` into *out (malloc'd, *n rows: the servers of
 * backend B; rows of other proxies and of other types skipped, as are rows whose name or
 * address is longer than we handle). Columns are found by the header's names, in any
 * order; unknown ones are ignored. Strict: every row has exactly the header's columns, a
 * number read is digits only, and the answer ends with the CLI's empty line (what a
 * truncated answer lacks). 0, or -1 with why (HAProxy's error, "No such proxy.", or what
 * is wrong with the text). */
int haproxy_parse_stat(const char *text, size_t len, const char *backend,
    struct haproxy_stat **out, size_t *n, char *why, size_t whylen);
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
