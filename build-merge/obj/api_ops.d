build-merge/obj/api_ops.o: src/api_ops.c include/api_ops.h include/http.h \
 include/loop.h include/dockscaled.h include/config.h include/decide.h \
 include/readiness.h include/regauth.h include/docker.h include/httpc.h \
 include/events.h include/swarm.h include/explain.h include/service.h \
 include/compose.h include/rollout.h include/wake.h
include/api_ops.h:
include/http.h:
include/loop.h:
include/dockscaled.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/events.h:
include/swarm.h:
include/explain.h:
include/service.h:
include/compose.h:
include/rollout.h:
include/wake.h:
