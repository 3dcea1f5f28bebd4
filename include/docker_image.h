/* docker_image.h: the Docker Engine's image calls: inspect, and pull with its progress stream. */
#ifndef DOCKSCALE_DOCKERIMAGE_H
#define DOCKSCALE_DOCKERIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"

#define DOCKER_HOST_MAX 255
#define DOCKER_PULL_LINE_MAX 2048 /* longest progress line kept; longer ones are skipped */
#define DOCKER_PULL_ERR_MAX 256

/* An image reference split the way POST /images/create takes it. */
struct docker_ref {
	char host[DOCKER_HOST_MAX + 1];   /* registry host[:port]; "docker.io" for Hub images */
	char from[DOCKER_IMAGE_MAX + 1];  /* fromImage: the reference without tag or digest */
	char tag[DOCKER_IMAGE_MAX + 1];   /* tag, or the digest "sha256:..."; "latest" if none */
};

/* The progress of one pull: a stream of JSON lines, cut here into lines of bounded
 * length. Pure (no I/O); fed by the pull call, unit-tested. */
struct docker_pull_stream {
	char line[DOCKER_PULL_LINE_MAX];
	size_t len;
	bool skip;                        /* inside an over-long line: up to its newline */
	bool skip_error;                  /* ...and that line began as an error line */
	bool failed;                      /* an error line was seen: the pull failed */
	char err[DOCKER_PULL_ERR_MAX];    /* its message (first error line wins) */
	unsigned long lines;              /* complete lines seen */
};

/* [HOST[:PORT]/]path[:tag][@digest] -> host, fromImage, tag. The first component is a
 * registry host when it has a '.' or a ':' or is "localhost" (Docker's rule). 0, or -1
 * when a part does not fit or the reference is empty. */
int docker_ref_split(const char *ref, struct docker_ref *out);
/* One complete line of pull progress: 1 when it reports an error ({"error": ...},
 * {"errorDetail": {"message": ...}}, or an error body {"message": ...}), with the message
 * in err; 0 for progress; -1 when it is not a JSON object. */
int docker_pull_line(const char *line, size_t len, char *err, size_t errlen);
/* Feed the next chunk of the stream; at its end, docker_pull_end for a last line that
 * had no newline. */
void docker_pull_feed(struct docker_pull_stream *ps, const char *data, size_t len);
void docker_pull_end(struct docker_pull_stream *ps);

/* id is the image's "sha256:..." id when r->ok (200); 404 means the engine lacks it. */
typedef void (*docker_image_cb)(void *arg, const struct docker_reply *r, const char *id);

/* GET /images/{ref}/json. */
int docker_image_inspect(struct docker *d, const char *ref, docker_image_cb cb, void *arg);
/* POST /images/create?fromImage=&tag=, with auth (may be NULL) as X-Registry-Auth. The
 * reply is ok only when the answer was 200 AND its progress stream carried no error line;
 * r->error is the registry's message otherwise. timeout_ms bounds the whole pull. */
int docker_image_pull(struct docker *d, const char *ref, const char *auth,
    int64_t timeout_ms, docker_cb cb, void *arg);

#endif
