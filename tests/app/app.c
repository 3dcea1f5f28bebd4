/* dockscale demo app: tiny static HTTP/1.1 server (/, /health, /work?ms=N, /mem?mb=N,
   /wait?ms=N, and for the wake listener's tests /echo, /bytes?kb=N, /sleep?ms=N; GET, HEAD,
   and POST to /, /work and /echo) that drains on SIGTERM. /wait is an I/O-bound service
   with a pool of $APP_WAIT_SLOTS connections (default 4): no CPU, requests beyond the pool
   queue in arrival order. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define BACKLOG        512
#define MAX_CONNS      1024
#define REQ_MAX        8192      /* request line + headers */
#define IDLE_MS        65000     /* keep-alive idle timeout (> nginx's 60 s upstream keepalive) */
#define HDR_MS         10000     /* time allowed to finish a started request */
#define DRAIN_MS       10000     /* give up draining after this long */
#define WORK_MAX_MS    10000
#define HEALTH_MS      2000
#define MEM_MAX_MB     4096      /* /mem?mb=N: the most it will hold */
#define BYTES_MAX_KB   65536     /* /bytes?kb=N: an answer of N KiB */
#define SLEEP_MAX_MS   120000    /* /sleep?ms=N: answer after N ms */
#define WAIT_MAX_MS    10000     /* /wait?ms=N: hold one of the pool's slots N ms */
#define WAIT_SLOTS     4         /* the pool's size unless $APP_WAIT_SLOTS says */
#define WAIT_SLOTS_MAX 1024
#define WAIT_MARGIN_MS 100       /* draining: a wait must end this long before the drain does */

static char hostname_nl[300];          /* "hostname\n" */
static size_t hostname_len;
static atomic_int active;               /* open connections (threads) */
static volatile sig_atomic_t stop_sig;  /* signal number that asked us to stop */
static atomic_int stopping;
static int stop_pipe[2] = { -1, -1 };   /* readable (never drained) once stopping */
static atomic_llong drain_end;          /* CLOCK_MONOTONIC ms when draining gives up; 0 before */

static long long now_ms(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    int saved = errno;
    if (!stop_sig)
        stop_sig = sig;
    atomic_store(&stopping, 1);
    ssize_t r = write(stop_pipe[1], "x", 1);
    (void)r;
    errno = saved;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* An answer; `extra` is more header lines ("Name: value\r\n"...) or NULL. */
static int respond_hdr(int fd, int code, const char *reason, const char *extra,
                       const char *body, size_t blen, int keep, int head_only)
{
    char hdr[384];
    int h = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "%sConnection: %s\r\n\r\n",
                     code, reason, blen, extra ? extra : "", keep ? "keep-alive" : "close");
    if (h < 0 || (size_t)h >= sizeof hdr)
        return -1;
    if (send_all(fd, hdr, (size_t)h) < 0)
        return -1;
    if (!head_only && blen && send_all(fd, body, blen) < 0)
        return -1;
    return 0;
}

static int respond(int fd, int code, const char *reason, const char *body, size_t blen,
                   int keep, int head_only)
{
    return respond_hdr(fd, code, reason, NULL, body, blen, keep, head_only);
}

/* GET /bytes?kb=N: an answer of N KiB, written as the client takes it. */
static int send_bytes(int fd, long kb, int keep, int head_only)
{
    static const char chunk[65536] = { [0 ... 65535] = 'x' };
    size_t n = (size_t)kb << 10;
    char hdr[256];
    int h = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
                     n, keep ? "keep-alive" : "close");
    if (h < 0 || (size_t)h >= sizeof hdr || send_all(fd, hdr, (size_t)h) < 0)
        return -1;
    for (; !head_only && n > 0; n -= n < sizeof chunk ? n : sizeof chunk)
        if (send_all(fd, chunk, n < sizeof chunk ? n : sizeof chunk) < 0)
            return -1;
    return 0;
}

/* GET /sleep?ms=N: wait N ms (less when stopping) before answering. */
static void sleep_ms(long ms)
{
    struct pollfd p = { stop_pipe[0], POLLIN, 0 };
    long long end = now_ms(CLOCK_MONOTONIC) + ms, left;
    while ((left = end - now_ms(CLOCK_MONOTONIC)) > 0 && poll(&p, 1, (int)left) <= 0)
        ;
}

/* GET /wait?ms=N: the pool of slots, a counting semaphore that hands a freed slot to the
   longest waiter (FIFO; a newcomer never overtakes a queue). A waiter blocks on its own
   condition variable until a slot is handed to it: no CPU, no timeout. It does not leave
   the queue early: a client that hung up, or a drain that would end first, is found when
   its turn comes (wait_request), and the slot goes back at once. */
struct waiter {
    pthread_cond_t cv;
    int granted;
    struct waiter *next;
};

static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;
static int wait_free;                       /* free slots; set in main */
static struct waiter *wait_head, *wait_tail;

static void slot_take(void)
{
    pthread_mutex_lock(&wait_lock);
    if (wait_free > 0 && !wait_head) {
        wait_free--;
        pthread_mutex_unlock(&wait_lock);
        return;
    }
    struct waiter w = { .granted = 0, .next = NULL };
    pthread_cond_init(&w.cv, NULL);
    if (wait_tail)
        wait_tail->next = &w;
    else
        wait_head = &w;
    wait_tail = &w;
    while (!w.granted)
        pthread_cond_wait(&w.cv, &wait_lock);   /* slot_give unlinked us */
    pthread_mutex_unlock(&wait_lock);
    pthread_cond_destroy(&w.cv);
}

static void slot_give(void)
{
    pthread_mutex_lock(&wait_lock);
    struct waiter *w = wait_head;
    if (w) {
        wait_head = w->next;
        if (!wait_head)
            wait_tail = NULL;
        w->granted = 1;
        pthread_cond_signal(&w->cv);   /* under the lock: w lives until it sees granted */
    } else {
        wait_free++;
    }
    pthread_mutex_unlock(&wait_lock);
}

/* Has the client closed its side (FIN or reset)? A half-close counts as hanging up. */
static int client_gone(int fd)
{
    struct pollfd p = { fd, POLLRDHUP, 0 };
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* GET /wait?ms=N: queue for a slot, hold it N ms asleep, give it back. Answers 200
   "waited N ms", or 503 when draining would end before the wait does; X-Queue-Ms is the
   time spent queueing. Returns -1 (close, no answer) when the client hung up while queued. */
static int wait_request(int fd, long ms, int keep, int head)
{
    long long t0 = now_ms(CLOCK_MONOTONIC);
    slot_take();
    long long t1 = now_ms(CLOCK_MONOTONIC);
    char extra[64], body[64];
    snprintf(extra, sizeof extra, "X-Queue-Ms: %lld\r\n", t1 - t0);
    if (client_gone(fd)) {
        slot_give();
        return -1;
    }
    long long end = atomic_load(&drain_end);
    if (end && t1 + ms > end - WAIT_MARGIN_MS) {
        slot_give();
        return respond_hdr(fd, 503, "Service Unavailable", extra, "stopping\n", 9, 0, head);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    slot_give();
    if (atomic_load(&stopping))
        keep = 0;
    int n = snprintf(body, sizeof body, "waited %ld ms\n", ms);
    return respond_hdr(fd, 200, "OK", extra, body, (size_t)n, keep, head);
}

/* Spin until this thread has used `ms` milliseconds of CPU. */
static void burn_cpu(long ms)
{
    long long end = now_ms(CLOCK_THREAD_CPUTIME_ID) + ms;
    unsigned long x = 0;
    while (now_ms(CLOCK_THREAD_CPUTIME_ID) < end) {
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i * 2654435761u;
        __asm__ volatile("" : : "r"(x));   /* keep the loop */
    }
}

/* GET /mem?mb=N: hold N MiB of touched (resident) memory until the next /mem, so a
   test can drive memory use as it drives CPU with /work. */
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static char *mem_held;

static int hold_memory(long mb)
{
    size_t n = (size_t)mb << 20;
    char *p = NULL;
    if (n > 0) {
        if ((p = malloc(n)) == NULL)
            return -1;
        for (size_t i = 0; i < n; i += 4096)
            p[i] = (char)(i >> 12 | 1);   /* touch every page: resident, not just mapped */
    }
    pthread_mutex_lock(&mem_lock);
    free(mem_held);
    mem_held = p;
    pthread_mutex_unlock(&mem_lock);
    return 0;
}

static long query_num(const char *q, const char *key, long max)
{
    size_t kl = strlen(key);
    /* q points after '?', e.g. "ms=200&x=1" */
    while (q && *q) {
        if (strncmp(q, key, kl) == 0 && q[kl] == '=') {
            long v = strtol(q + kl + 1, NULL, 10);
            if (v < 0)
                v = 0;
            if (v > max)
                v = max;
            return v;
        }
        q = strchr(q, '&');
        if (q)
            q++;
    }
    return 0;
}

/* Case-insensitive: does the comma-separated header value contain token `tok`? */
static int has_token(const char *v, const char *tok)
{
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        const char *e = v;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - v) == tl && strncasecmp(v, tok, tl) == 0)
            return 1;
        v = e;
    }
    return 0;
}

/* Wait for input on fd. Returns 1 readable, 0 timeout/stop (close quietly), -1 error. */
static int wait_input(int fd, int idle)
{
    struct pollfd p[2] = { { fd, POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };
    long long deadline = now_ms(CLOCK_MONOTONIC) + (idle ? IDLE_MS : HDR_MS);
    for (;;) {
        long long left = deadline - now_ms(CLOCK_MONOTONIC);
        if (left <= 0)
            return 0;
        int r = poll(p, idle ? 2 : 1, (int)left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return 0;
        if (p[0].revents)
            return 1;           /* data (or EOF/error, which recv reports) wins over stop */
        if (idle && p[1].revents)
            return 0;           /* shutting down and this keep-alive connection is idle */
    }
}

static void serve(int fd)
{
    char buf[REQ_MAX + 1];
    static __thread char echo[REQ_MAX + 128];   /* /echo: the head as it came */
    size_t have = 0;

    for (;;) {
        /* Read until the end of the header block. */
        char *end;
        for (;;) {
            buf[have] = '\0';
            end = strstr(buf, "\r\n\r\n");
            if (end)
                break;
            if (have >= REQ_MAX) {
                respond(fd, 431, "Request Header Fields Too Large", "too large\n", 10, 0, 0);
                return;
            }
            int w = wait_input(fd, have == 0);
            if (w <= 0)
                return;
            ssize_t r = recv(fd, buf + have, REQ_MAX - have, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return;
            have += (size_t)r;
        }
        size_t hdr_len = (size_t)(end - buf) + 4;
        memcpy(echo, buf, hdr_len);
        *end = '\0';

        /* Request line. */
        char *line_end = strstr(buf, "\r\n");
        if (line_end)
            *line_end = '\0';
        char *method = buf, *target = NULL, *version = NULL, *sp;
        if ((sp = strchr(method, ' '))) {
            *sp = '\0';
            target = sp + 1;
            if ((sp = strchr(target, ' '))) {
                *sp = '\0';
                version = sp + 1;
            }
        }
        if (!target || !version || strncmp(version, "HTTP/1.", 7) != 0) {
            respond(fd, 400, "Bad Request", "bad request\n", 12, 0, 0);
            return;
        }
        int keep = strcmp(version, "HTTP/1.0") != 0;

        /* Headers: Connection, Content-Length, Transfer-Encoding. */
        long long clen = 0;
        int chunked = 0;
        for (char *h = line_end ? line_end + 2 : NULL; h && *h;) {
            char *nl = strstr(h, "\r\n");
            if (nl)
                *nl = '\0';
            char *colon = strchr(h, ':');
            if (colon) {
                *colon = '\0';
                char *v = colon + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                if (strcasecmp(h, "Connection") == 0) {
                    if (has_token(v, "close"))
                        keep = 0;
                    else if (has_token(v, "keep-alive"))
                        keep = 1;
                } else if (strcasecmp(h, "Content-Length") == 0) {
                    clen = strtoll(v, NULL, 10);
                    if (clen < 0)
                        clen = 0;
                } else if (strcasecmp(h, "Transfer-Encoding") == 0) {
                    chunked = 1;
                }
            }
            h = nl ? nl + 2 : NULL;
        }
        if (chunked) {
            respond(fd, 501, "Not Implemented", "chunked bodies not supported\n", 29, 0, 0);
            return;
        }

        /* Route now: method and target point into buf, which is reused below. */
        enum { R_ROOT, R_HEALTH, R_WORK, R_MEM, R_ECHO, R_BYTES, R_SLEEP, R_WAIT, R_NOTFOUND,
               R_BADMETHOD } route;
        int head = strcmp(method, "HEAD") == 0;
        char *query = strchr(target, '?');
        if (query)
            *query++ = '\0';
        long work_ms = 0;
        int post = strcmp(method, "POST") == 0;   /* body discarded; answered like GET */
        if (!head && !post && strcmp(method, "GET") != 0)
            route = R_BADMETHOD;
        else if (post && strcmp(target, "/health") == 0)
            route = R_BADMETHOD;
        else if (strcmp(target, "/") == 0)
            route = R_ROOT;
        else if (strcmp(target, "/health") == 0)
            route = R_HEALTH;
        else if (strcmp(target, "/work") == 0) {
            route = R_WORK;
            work_ms = query_num(query, "ms", WORK_MAX_MS);
        } else if (strcmp(target, "/mem") == 0 && !post)
            route = R_MEM;
        else if (strcmp(target, "/echo") == 0)
            route = R_ECHO;
        else if (strcmp(target, "/bytes") == 0 && !post)
            route = R_BYTES;
        else if (strcmp(target, "/sleep") == 0 && !post)
            route = R_SLEEP;
        else if (strcmp(target, "/wait") == 0 && !post)
            route = R_WAIT;
        else
            route = R_NOTFOUND;

        /* Drop the request body (its length and FNV-1a hash kept for /echo), keeping any
           pipelined bytes after it. */
        size_t rest = have - hdr_len;
        unsigned long long body_len = (unsigned long long)clen, fnv = 0xcbf29ce484222325ULL;
        memmove(buf, buf + hdr_len, rest);
        have = rest;
        while (clen > 0) {
            if (have > 0) {
                size_t d = (unsigned long long)clen < have ? (size_t)clen : have;
                for (size_t i = 0; i < d; i++)
                    fnv = (fnv ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
                memmove(buf, buf + d, have - d);
                have -= d;
                clen -= (long long)d;
                continue;
            }
            if (wait_input(fd, 0) <= 0)
                return;
            ssize_t r = recv(fd, buf, REQ_MAX, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return;
            have = (size_t)r;
        }

        if (route == R_WORK)
            burn_cpu(work_ms);
        if (route == R_MEM && hold_memory(query_num(query, "mb", MEM_MAX_MB)) == -1)
            route = R_NOTFOUND;   /* out of memory: answered 404 rather than held */
        if (atomic_load(&stopping))
            keep = 0;   /* draining: finish this request, then close */

        if (route == R_SLEEP)
            sleep_ms(query_num(query, "ms", SLEEP_MAX_MS));

        int rc;
        switch (route) {
        case R_ECHO: {
            int n = snprintf(echo + hdr_len, sizeof echo - hdr_len,
                             "body-length: %llu\nbody-fnv: %016llx\n", body_len, fnv);
            rc = respond(fd, 200, "OK", echo, hdr_len + (size_t)n, keep, head);
            break;
        }
        case R_BYTES:
            rc = send_bytes(fd, query_num(query, "kb", BYTES_MAX_KB), keep, head);
            break;
        case R_WAIT:
            rc = wait_request(fd, query_num(query, "ms", WAIT_MAX_MS), keep, head);
            break;
        case R_SLEEP:
        case R_ROOT:
        case R_WORK:
        case R_MEM:
            rc = respond(fd, 200, "OK", hostname_nl, hostname_len, keep, head);
            break;
        case R_HEALTH:
            if (atomic_load(&stopping))
                rc = respond(fd, 503, "Service Unavailable", "stopping\n", 9, keep, head);
            else
                rc = respond(fd, 200, "OK", "ok\n", 3, keep, head);
            break;
        case R_BADMETHOD:
            rc = respond(fd, 405, "Method Not Allowed", "method not allowed\n", 19, keep, 0);
            break;
        default:
            rc = respond(fd, 404, "Not Found", "not found\n", 10, keep, head);
            break;
        }
        if (rc < 0 || !keep)
            return;
    }
}

static void *conn_thread(void *arg)
{
    int fd = (int)(intptr_t)arg;
    serve(fd);
    shutdown(fd, SHUT_WR);
    close(fd);
    atomic_fetch_sub(&active, 1);
    return NULL;
}

static int parse_port(const char *s)
{
    char *e;
    long v = strtol(s, &e, 10);
    if (*s == '\0' || *e != '\0' || v < 1 || v > 65535)
        return -1;
    return (int)v;
}

/* $APP_WAIT_SLOTS: /wait's pool size, 1..1024; unset or empty = WAIT_SLOTS, else -1 if
   invalid. */
static int env_wait_slots(void)
{
    const char *s = getenv("APP_WAIT_SLOTS");
    if (!s || !*s)
        return WAIT_SLOTS;
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno || *e != '\0' || *s < '0' || *s > '9' || v < 1 || v > WAIT_SLOTS_MAX)
        return -1;
    return (int)v;
}

static int env_port(void)
{
    const char *p = getenv("PORT");
    if (!p || !*p)
        return 8080;
    return parse_port(p);
}

/* `app --health [port]`: exit 0 iff GET /health on 127.0.0.1 answers 200 within 2 s. */
static int health_check(int port)
{
    long long deadline = now_ms(CLOCK_MONOTONIC) + HEALTH_MS;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        return 1;

    static const char req[] = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    size_t sent = 0;
    char resp[64];
    size_t got = 0;
    for (;;) {
        long long left = deadline - now_ms(CLOCK_MONOTONIC);
        if (left <= 0)
            return 1;
        struct pollfd p = { fd, (short)(sent < sizeof req - 1 ? POLLOUT : POLLIN), 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 1;
        if (sent < sizeof req - 1) {
            int err = 0;
            socklen_t el = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
                return 1;
            ssize_t w = send(fd, req + sent, sizeof req - 1 - sent, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (w < 0)
                return 1;
            sent += (size_t)w;
        } else {
            ssize_t n = recv(fd, resp + got, sizeof resp - 1 - got, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0)
                return 1;
            got += (size_t)n;
            resp[got] = '\0';
            if (got >= 12 || strchr(resp, '\n')) {
                close(fd);
                return (strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, " 200", 4) == 0) ? 0 : 1;
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--health") == 0) {
        int port = argc >= 3 ? parse_port(argv[2]) : env_port();
        return port < 0 ? 1 : health_check(port);
    }
    /* --burn S: spin one core for S seconds (run with docker exec: CPU use that is not a
       request, for the idle_cpu_below tests) */
    if (argc >= 3 && strcmp(argv[1], "--burn") == 0) {
        long secs = strtol(argv[2], NULL, 10);
        volatile unsigned long spin = 0;
        time_t end = time(NULL) + (secs > 0 && secs < 3600 ? secs : 10);

        while (time(NULL) < end)
            for (int i = 0; i < 1000000; i++)
                spin++;
        return 0;
    }
    /* --touch PATH: write the wall clock in ms to PATH; --sleep S: sleep S seconds (run with
       docker exec: the lifecycle hooks' tests, a marker with its time and a hook that hangs) */
    if (argc >= 3 && strcmp(argv[1], "--touch") == 0) {
        char t[32];
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        int n = snprintf(t, sizeof t, "%lld\n", now_ms(CLOCK_REALTIME));
        if (fd < 0 || n < 0 || write(fd, t, (size_t)n) != n)
            return 1;
        return close(fd) == 0 ? 0 : 1;
    }
    if (argc >= 3 && strcmp(argv[1], "--sleep") == 0) {
        long secs = strtol(argv[2], NULL, 10);
        struct timespec ts = { secs > 0 && secs < 86400 ? secs : 10, 0 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        return 0;
    }
    if (argc >= 2) {
        fprintf(stderr, "usage: %s [--health [port]] [--burn SECONDS] [--touch PATH] "
                "[--sleep SECONDS]   (listens on $PORT, default 8080; "
                "/wait's pool: $APP_WAIT_SLOTS slots, default 4)\n", argv[0]);
        return 2;
    }
    int port = env_port();
    if (port < 0) {
        fprintf(stderr, "app: invalid PORT\n");
        return 2;
    }
    if ((wait_free = env_wait_slots()) < 0) {
        fprintf(stderr, "app: invalid APP_WAIT_SLOTS '%s': want an integer 1..%d (default %d)\n",
                getenv("APP_WAIT_SLOTS"), WAIT_SLOTS_MAX, WAIT_SLOTS);
        return 2;
    }

    if (gethostname(hostname_nl, sizeof hostname_nl - 2) < 0)
        strcpy(hostname_nl, "unknown");
    hostname_nl[sizeof hostname_nl - 2] = '\0';
    hostname_len = strlen(hostname_nl);
    hostname_nl[hostname_len++] = '\n';
    hostname_nl[hostname_len] = '\0';

    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        perror("app: pipe2");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (lfd < 0) {
        perror("app: socket");
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, BACKLOG) < 0) {
        fprintf(stderr, "app: cannot listen on 0.0.0.0:%d: %s\n", port, strerror(errno));
        return 1;
    }

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);

    fprintf(stderr, "app: listening on 0.0.0.0:%d host=%.*s pid=%d wait_slots=%d\n", port,
            (int)hostname_len - 1, hostname_nl, (int)getpid(), wait_free);

    while (!atomic_load(&stopping)) {
        int full = atomic_load(&active) >= MAX_CONNS;
        struct pollfd p[2] = { { stop_pipe[0], POLLIN, 0 }, { lfd, POLLIN, 0 } };
        int r = poll(p, full ? 1 : 2, full ? 20 : -1);
        if (r < 0 && errno != EINTR) {
            perror("app: poll");
            break;
        }
        if (r <= 0 || full || !(p[1].revents & POLLIN))
            continue;
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                usleep(10000);
            continue;
        }
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct timeval tv = { .tv_sec = 10 };
        setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        pthread_t t;
        atomic_fetch_add(&active, 1);
        if (pthread_create(&t, &attr, conn_thread, (void *)(intptr_t)cfd) != 0) {
            atomic_fetch_sub(&active, 1);
            close(cfd);
        }
    }

    /* Draining: no new connections; idle keep-alive connections close at once,
       busy ones finish their current request and answer with Connection: close. */
    close(lfd);
    long long t0 = now_ms(CLOCK_MONOTONIC);
    atomic_store(&drain_end, t0 + DRAIN_MS);
    int left;
    while ((left = atomic_load(&active)) > 0 && now_ms(CLOCK_MONOTONIC) - t0 < DRAIN_MS)
        usleep(5000);
    int sig = stop_sig;
    fprintf(stderr, "app: shutdown on %s: drained in %lld ms, %d connection(s) abandoned\n",
            sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "error",
            now_ms(CLOCK_MONOTONIC) - t0, left);
    return 0;
}
