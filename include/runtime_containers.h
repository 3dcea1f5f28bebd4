/* runtime_containers.h: the containers runtime (runtime_containers.c): a service's
 * replicas are containers of its own (its ops: runtime_containers_ops, service.h). */
#ifndef DOCKSCALE_RUNTIME_CONTAINERS_H
#define DOCKSCALE_RUNTIME_CONTAINERS_H

struct svc;
struct replica;

/* The replica of s whose container has this id, or NULL. */
struct replica *runtime_containers_find(const struct svc *s, const char *id);
/* A replica of this name whose create call has not answered yet. */
bool runtime_containers_creating(const struct svc *s, const char *name);

#endif
