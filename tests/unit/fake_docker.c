/* fake_docker.c: a fake Docker Engine on a unix socket for unit tests (one thread,
 * one request per connection, canned answers). */
#define _GNU_SOURCE /* strcasestr */
#include "fake_docker.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ROUTES 32
#define REQS 256

struct route {
	char method[8], prefix[256];
	int status;
	char *body;
};

struct fake_docker {
	int lfd;
	char dir[64], path[108];
	pthread_t thread;
	pthread_mutex_t mu;
	struct route routes[ROUTES];
	int nroutes;
	char reqs[REQS][300]; /* "METHOD target" */
	int nreqs;
};

/* Reads the head and Content-Length bytes of body; 0 on success. */
static int
read_request(int fd, char *buf, size_t cap)
{
	size_t got = 0, hlen, clen = 0;
	char *end;
	const char *v;

	for (;;) {
		ssize_t r = recv(fd, buf + got, cap - 1 - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (got == cap - 1)
			return -1;
	}
	hlen = (size_t)(end - buf) + 4;
	if ((v = strcasestr(buf, "\r\nContent-Length:")) != NULL && v < end)
		clen = strtoul(v + 17, NULL, 10);
	while (got < hlen + clen && got < cap - 1) {
		ssize_t r = recv(fd, buf + got, cap - 1 - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void
answer(struct fake_docker *f, int fd, const char *method, const char *target)
{
	char head[256];
	const char *body = "{\"message\":\"no such route\"}";
	int status = 404, n;

	pthread_mutex_lock(&f->mu);
	if (f->nreqs < REQS)
		snprintf(f->reqs[f->nreqs++], sizeof(f->reqs[0]), "%s %s", method, target);
	for (int i = 0; i < f->nroutes; i++) {
		const struct route *r = &f->routes[i];

		if (strcmp(r->method, method) == 0 &&
		    strncmp(target, r->prefix, strlen(r->prefix)) == 0) {
			status = r->status;
			body = r->body;
			break;
		}
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nApi-Version: 1.41\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    status, strlen(body));
	send_all(fd, head, (size_t)n);
	send_all(fd, body, strlen(body));
	pthread_mutex_unlock(&f->mu);
}

static void *
serve(void *arg)
{
	struct fake_docker *f = arg;
	static char buf[65536]; /* one thread only */
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		char method[8] = "", target[256] = "";

		if (read_request(fd, buf, sizeof(buf)) == 0 &&
		    sscanf(buf, "%7s %255s", method, target) == 2)
			answer(f, fd, method, target);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

struct fake_docker *
fake_docker_start(void)
{
	struct fake_docker *f = calloc(1, sizeof(*f));
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	if (f == NULL)
		return NULL;
	f->lfd = -1;
	pthread_mutex_init(&f->mu, NULL);
	strcpy(f->dir, "/tmp/fake_docker.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		goto fail;
	snprintf(f->path, sizeof(f->path), "%s/docker.sock", f->dir);
	strcpy(un.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&un, sizeof(un)) != 0 ||
	    listen(f->lfd, 64) != 0 || pthread_create(&f->thread, NULL, serve, f) != 0)
		goto fail;
	return f;
fail:
	if (f->lfd >= 0)
		close(f->lfd);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return NULL;
}

void
fake_docker_stop(struct fake_docker *f)
{
	if (f == NULL)
		return;
	shutdown(f->lfd, SHUT_RDWR); /* wakes accept() */
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	for (int i = 0; i < f->nroutes; i++)
		free(f->routes[i].body);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

const char *
fake_docker_socket(const struct fake_docker *f)
{
	return f->path;
}

void
fake_docker_route(struct fake_docker *f, const char *method, const char *prefix,
    int status, const char *body)
{
	struct route *r;

	pthread_mutex_lock(&f->mu);
	if (f->nroutes < ROUTES) {
		r = &f->routes[f->nroutes++];
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
		r->status = status;
		r->body = strdup(body);
	}
	pthread_mutex_unlock(&f->mu);
}

void
fake_docker_reroute(struct fake_docker *f, const char *method, const char *prefix,
    int status, const char *body)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->nroutes; i++) {
		struct route *r = &f->routes[i];

		if (strcmp(r->method, method) == 0 && strcmp(r->prefix, prefix) == 0) {
			free(r->body);
			r->body = strdup(body);
			r->status = status;
			pthread_mutex_unlock(&f->mu);
			return;
		}
	}
	pthread_mutex_unlock(&f->mu);
	fake_docker_route(f, method, prefix, status, body);
}

int
fake_docker_seen(struct fake_docker *f, const char *method, const char *prefix)
{
	char want[300];
	int n = 0;

	snprintf(want, sizeof(want), "%s %s", method, prefix);
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < f->nreqs; i++)
		n += strncmp(f->reqs[i], want, strlen(want)) == 0;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void
fake_docker_request(struct fake_docker *f, int n, char *buf, size_t len)
{
	pthread_mutex_lock(&f->mu);
	snprintf(buf, len, "%s", n >= 0 && n < f->nreqs ? f->reqs[n] : "");
	pthread_mutex_unlock(&f->mu);
}
