build-merge/obj/swarm_tasks.o: src/swarm_tasks.c include/dockscaled.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/docker.h include/httpc.h include/loop.h include/events.h \
 include/http.h include/swarm.h include/log.h include/service.h \
 include/compose.h include/rollout.h include/wake.h include/swarm.h
include/dockscaled.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/events.h:
include/http.h:
include/swarm.h:
include/log.h:
include/service.h:
include/compose.h:
include/rollout.h:
include/wake.h:
include/swarm.h:
