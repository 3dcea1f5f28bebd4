/* accesslog.h: nginx's access log lines (conf/nginx-dockscale-log.conf) from a unix
 * datagram socket: the pure parser (accesslog_parse.c) and the socket (accesslog.c). */
#ifndef DOCKSCALE_ACCESSLOG_H
#define DOCKSCALE_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* Upstream attempts kept per line. A request nginx tried on more servers than this is
 * still a line (it happened and was answered): the first ACCESSLOG_TRIES_MAX are kept
 * and tries_total says how many there were. */
#define ACCESSLOG_TRIES_MAX 4
/* An address with its NUL: "unix:" and the longest sun_path fit. */
#define ACCESSLOG_ADDR_MAX 128
#define ACCESSLOG_URI_MAX 256
#define ACCESSLOG_AGENT_MAX 160
/* Longer times are refused: a request held open longer (a WebSocket) is a bad line. */
#define ACCESSLOG_TIME_MAX_S 86400
/* The receive buffer: a larger datagram (a URI or User-Agent of several KiB) is bad. */
#define ACCESSLOG_DGRAM_MAX 8192
/* Datagrams read per wakeup; the loop is level-triggered, so the rest wait a turn. */
#define ACCESSLOG_BATCH 256

/* One upstream attempt: an element of $upstream_addr, $upstream_status and
 * $upstream_response_time. */
struct accesslog_try {
	/* "A.B.C.D:PORT", "[V6]:PORT", "HOST:PORT", "unix:PATH", or the upstream's own name
	 * when nginx found none of its servers live (then no_live) */
	char addr[ACCESSLOG_ADDR_MAX];
	bool no_live;
	bool redirected;     /* the first attempt after an internal redirect (" : ") */
	int status;          /* 100..599; 0: none ("-": no answer, e.g. the client left) */
	double upstream_s;   /* 0..ACCESSLOG_TIME_MAX_S; -1: none ("-") */
};

struct accesslog_line {
	struct accesslog_try tries[ACCESSLOG_TRIES_MAX];
	size_t ntries;       /* kept, in order; 0: nginx answered by itself */
	size_t tries_total;  /* listed by nginx (>= ntries) */
	double request_s;    /* $request_time, 0..ACCESSLOG_TIME_MAX_S */
	int status;          /* $status, the client's: 100..599 */
	/* $request_uri and $http_user_agent, escape=json undone: no NUL, but maybe other
	 * control bytes and invalid UTF-8 (escape before printing: log_escape). Cut to fit
	 * at a UTF-8 sequence's start; "" when absent. */
	char uri[ACCESSLOG_URI_MAX];
	bool uri_cut;
	char agent[ACCESSLOG_AGENT_MAX];
	bool agent_cut;
};

/* One datagram (len bytes, not NUL terminated, any bytes): the syslog header nginx
 * writes ("<PRI>Mmm dd hh:mm:ss [HOST ]TAG: "), then the dockscale1 line. 0 and *out
 * filled, or -1 when anything is malformed (then *out is not to be used). Pure. */
int accesslog_parse(const char *msg, size_t len, struct accesslog_line *out);

/* The socket. Any local user can send it lines (nginx's workers run as another user, so
 * it is mode 0666): a line only ever changes request counts (which a policy may scale
 * on, within the service's bounds), nothing else. */
struct accesslog;

/* A valid line, during the call only. It must not close the accesslog. */
typedef void (*accesslog_cb)(void *arg, const struct accesslog_line *line);

struct accesslog_stats {
	uint64_t lines;   /* valid, handed to the callback */
	uint64_t bad;     /* malformed, empty or longer than ACCESSLOG_DGRAM_MAX */
	uint64_t bytes;   /* datagram sizes, as sent (a cut one's whole size) */
	uint64_t errors;  /* failed reads other than EAGAIN (the first is logged) */
};

/* Bind a datagram socket at path (a socket file there is replaced; any other file is an
 * error) and read it in l. NULL with err (errlen bytes) filled on failure. */
struct accesslog *accesslog_open(struct loop *l, const char *path, accesslog_cb cb, void *arg,
    char *err, size_t errlen);
/* Stop reading, close, unlink the path (unless another socket was bound there since).
 * NULL is fine. */
void accesslog_close(struct accesslog *a);
void accesslog_stats(const struct accesslog *a, struct accesslog_stats *out);

#endif
