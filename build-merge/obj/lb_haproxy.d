build-merge/obj/lb_haproxy.o: src/lb_haproxy.c include/events.h \
 include/haproxy.h include/loop.h include/lb.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h include/log.h \
 include/service.h include/compose.h include/docker.h include/httpc.h \
 include/rollout.h include/wake.h include/swarm.h
include/events.h:
include/haproxy.h:
include/loop.h:
include/lb.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/log.h:
include/service.h:
include/compose.h:
include/docker.h:
include/httpc.h:
include/rollout.h:
include/wake.h:
include/swarm.h:
