build-merge/obj/statuspage_route.o: src/statuspage_route.c \
 include/api_ops.h include/http.h include/loop.h include/dockscaled.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/docker.h include/httpc.h include/events.h include/swarm.h \
 include/statuspage.h
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
include/statuspage.h:
