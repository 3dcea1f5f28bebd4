build-merge/obj/status.o: src/status.c include/ctrdef.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h \
 include/dockscaled.h include/docker.h include/httpc.h include/loop.h \
 include/events.h include/http.h include/swarm.h include/lb.h \
 include/service.h include/compose.h include/rollout.h include/wake.h \
 include/status_policy.h
include/ctrdef.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/dockscaled.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/events.h:
include/http.h:
include/swarm.h:
include/lb.h:
include/service.h:
include/compose.h:
include/rollout.h:
include/wake.h:
include/status_policy.h:
