build-merge/obj/pull.o: src/pull.c include/ctrdef.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h \
 include/dockerimage.h include/docker.h include/httpc.h include/loop.h \
 include/dockscaled.h include/events.h include/http.h include/swarm.h \
 include/log.h include/service.h include/compose.h include/rollout.h \
 include/wake.h
include/ctrdef.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/dockerimage.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/dockscaled.h:
include/events.h:
include/http.h:
include/swarm.h:
include/log.h:
include/service.h:
include/compose.h:
include/rollout.h:
include/wake.h:
