build-merge/obj/compose_source.o: src/compose_source.c include/compose.h \
 include/docker.h include/httpc.h include/loop.h include/ctrdef.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/dockscaled.h include/events.h include/http.h include/swarm.h \
 include/log.h include/service.h include/compose.h include/rollout.h \
 include/wake.h
include/compose.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/ctrdef.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/dockscaled.h:
include/events.h:
include/http.h:
include/swarm.h:
include/log.h:
include/service.h:
include/compose.h:
include/rollout.h:
include/wake.h:
