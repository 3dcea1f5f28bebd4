build-merge/obj/history.o: src/history.c include/service.h \
 include/compose.h include/docker.h include/httpc.h include/loop.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/rollout.h include/wake.h include/swarm.h
include/service.h:
include/compose.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/rollout.h:
include/wake.h:
include/swarm.h:
