build-merge/obj/replica.o: src/replica.c include/cgroup.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/docker.h include/httpc.h include/loop.h include/ctrdef.h \
 include/dockscaled.h include/events.h include/http.h include/swarm.h \
 include/log.h include/probe.h include/service.h include/compose.h \
 include/rollout.h include/wake.h
include/cgroup.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/ctrdef.h:
include/dockscaled.h:
include/events.h:
include/http.h:
include/swarm.h:
include/log.h:
include/probe.h:
include/service.h:
include/compose.h:
include/rollout.h:
include/wake.h:
