/* swarm.h: Docker Swarm services (doc/swarm.md): the Engine's
 * swarm calls (swarm.c), the pure parsing of their answers (swarm_json.c), this node's
 * task containers (swarm_tasks.c) and this instance's leadership (swarm_leader.c). */
#ifndef DOCKSCALE_SWARM_H
#define DOCKSCALE_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"

/* runtime_swarm.c: the swarm runtime (include/runtime.h; runtime.c lists it). */
struct runtime_ops;
extern const struct runtime_ops runtime_swarm_ops;

#define SWARM_ID_MAX 64
#define SWARM_NAME_MAX 63        /* a Swarm service name: 63 characters at most */
#define SWARM_UPDATE_TRIES 5     /* "update out of sequence": re-read and retry this often */

/* What GET /services/{id} says about a service. */
struct swarm_service {
	char id[SWARM_ID_MAX + 1];
	char name[SWARM_NAME_MAX + 1];
	uint64_t version;        /* Version.Index: the update must name it */
	bool replicated;         /* Spec.Mode.Replicated (global services have no count) */
	int replicas;            /* Spec.Mode.Replicated.Replicas */
	char image[256];         /* Spec.TaskTemplate.ContainerSpec.Image */
};

/* One task of GET /tasks. */
struct swarm_task {
	char id[SWARM_ID_MAX + 1];
	char node_id[SWARM_ID_MAX + 1];
	char container_id[SWARM_ID_MAX + 1]; /* "" before the node made one */
	int slot;
	bool desired_running;    /* DesiredState running */
	bool running;            /* Status.State running: for a service with a health check,
	                          * the executor reports running only once it is healthy */
};

/* The counts a service's tasks give. */
struct swarm_counts {
	int running;             /* desired running and running */
	int pending;             /* desired running, not running yet */
	int total;               /* tasks listed */
};

/* GET /info's Swarm part. */
struct swarm_info {
	char node_id[SWARM_ID_MAX + 1];
	char node_addr[64];
	char state[16];          /* LocalNodeState: inactive, pending, active, error, locked */
	bool manager;            /* ControlAvailable */
};

/* The managers of GET /nodes: which one is this node and which one leads. */
struct swarm_leadership {
	bool self_leader;        /* the node of node_id is the Raft leader */
	bool leader_known;
	char leader_id[SWARM_ID_MAX + 1];
	char leader_name[128];   /* Description.Hostname */
	char leader_addr[80];    /* ManagerStatus.Addr */
};

/* One running container of a task on this node (GET /containers/json by the
 * com.docker.swarm.service.name label): the cAdvisor series' subject. */
struct swarm_local {
	char id[SWARM_ID_MAX + 1];
	char name[DOCKER_NAME_MAX + 1];  /* <service>.<slot>.<task id> */
	char image[256];
	char task_id[SWARM_ID_MAX + 1];
	char node_id[SWARM_ID_MAX + 1];
	char service_id[SWARM_ID_MAX + 1];
};

/* ---- swarm_json.c: pure parsing (unit-tested from captured Engine answers) ---------- */

int swarmjson_service(const char *body, struct swarm_service *out);
/* The update body: the Spec of the GET /services/{id} answer body, unchanged but for
 * Spec.Mode.Replicated.Replicas = replicas. malloc'd; NULL when body has no replicated
 * Spec (why says so). */
char *swarmjson_scale_body(const char *body, int replicas, char *why, size_t whylen);
/* Tasks of service_id in a GET /tasks answer into out (at most max, may be NULL) and
 * their counts; -1 when body is not an array. Returns the tasks written. */
int swarmjson_tasks(const char *body, const char *service_id, struct swarm_task *out,
    size_t max, struct swarm_counts *counts);
int swarmjson_info(const char *body, struct swarm_info *out);
/* A GET /nodes answer (managers): who leads, and is it node_id. */
int swarmjson_leadership(const char *body, const char *node_id, struct swarm_leadership *out);
/* The running containers of a /containers/json answer that carry Swarm's task labels,
 * into out (at most max); -1 when body is not an array. */
int swarmjson_local(const char *body, struct swarm_local *out, size_t max);
/* The Engine's message for a stale Version.Index (moby#30794, swarmkit#1379). */
bool swarmjson_out_of_sequence(const char *error);

/* ---- swarm.c: the Engine calls (asynchronous, bodies to the callback) -------------- */

/* GET /info */
int swarm_info(struct docker *d, docker_body_cb cb, void *arg);
/* GET /nodes?filters={"role":["manager"]} */
int swarm_managers(struct docker *d, docker_body_cb cb, void *arg);
/* GET /services/{name} */
int swarm_service_get(struct docker *d, const char *name, docker_body_cb cb, void *arg);
/* GET /tasks?filters={"service":[name]} */
int swarm_tasks(struct docker *d, const char *name, docker_body_cb cb, void *arg);
/* GET /containers/json?filters={"label":["com.docker.swarm.service.name=NAME"]} */
int swarm_local_containers(struct docker *d, const char *name, docker_body_cb cb, void *arg);
/* POST /services/{id}/update?version=N with spec as the body. */
int swarm_service_update(struct docker *d, const char *id, uint64_t version, const char *spec,
    docker_body_cb cb, void *arg);

/* ---- swarm_tasks.c: this node's task containers of a Swarm service ---------------- */

/* One task container on this node and its last stats sample, for the cAdvisor series
 * every node's dockscaled exports (owner: swarm_tasks.c). */
struct swarm_sample {
	struct swarm_local l;      /* id, name, image and the task's labels */
	struct docker_stats st;    /* the last stats sample */
	bool have;                 /* st holds one */
	double seen_at;            /* wall clock (unix s) of st: container_last_seen */
	bool busy;                 /* its stats call is in flight */
};

/* Zeroed is empty. A Swarm service's task containers on this node (owner: swarm_tasks.c). */
struct swarm_tasks {
	struct docker *docker;     /* the Engine of the last list; NULL before one */
	bool listing;              /* the container list is in flight */
	struct swarm_sample **v;
	size_t n;
};

/* List the task containers of the Swarm service name on this node (one list at a time)
 * and take a stats sample of each. */
void swarm_tasks_sample(struct swarm_tasks *t, struct docker *d, const char *name);
/* Cancel what is in flight and free the samples (t is empty again). */
void swarm_tasks_fini(struct swarm_tasks *t);

/* ---- swarm_leader.c: does this instance act for the swarm services? -------------- */

struct dsd;
/* The swarm runtime's daemon-wide state (owner: swarm_leader.c). */
struct swarm_leader {
	struct dsd *d;
	bool busy;               /* the /info -> /nodes check is in flight */
	bool checked;            /* one check answered */
	bool leader;             /* this instance acts */
	struct swarm_info info;
	struct swarm_leadership lead;
	char why[288];           /* when !leader: why (not a manager, swarm inactive, ...) */
	uint64_t changes;        /* leadership changes seen */
	char last_leader_id[SWARM_ID_MAX + 1]; /* the leader of the previous check */
	void (*on_first)(struct dsd *d); /* the first check answered (daemon.c's readiness) */
};

/* Start-up: nothing known yet. NULL when out of memory (logged). */
struct swarm_leader *swarm_leader_new(struct dsd *d);
/* Shutdown: a check in flight is dropped. */
void swarm_leader_free(struct swarm_leader *l);
/* Check leadership now (each pass, and after a refused update); coalesced. */
void swarm_leader_check(struct swarm_leader *l);
/* The configuration has swarm services: there is a leadership to check. */
bool swarm_leader_wanted(const struct swarm_leader *l);
/* A check has answered (a failed one too): until then nothing is known, and nothing may
 * be claimed either way (doc/swarm.md). */
bool swarm_leader_known(const struct swarm_leader *l);
/* Call cb once, when the first check answers (at once if one has). */
void swarm_leader_on_first(struct swarm_leader *l, void (*cb)(struct dsd *d));
/* The acting instance is this one. */
bool swarm_leader_is(const struct swarm_leader *l);
/* This Engine is known to be a worker (it answers no service call). */
bool swarm_leader_worker(const struct swarm_leader *l);
/* Who acts, in words: "dss-1 (10.199.15.11:2377)", or why nobody is known. */
void swarm_leader_name(const struct swarm_leader *l, char *out, size_t outlen);

#endif
