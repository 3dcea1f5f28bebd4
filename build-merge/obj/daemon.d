build-merge/obj/daemon.o: src/daemon.c include/cgroup.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h include/docker.h \
 include/httpc.h include/loop.h include/dockscaled.h include/events.h \
 include/http.h include/swarm.h include/log.h include/sdnotify.h
include/cgroup.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/dockscaled.h:
include/events.h:
include/http.h:
include/swarm.h:
include/log.h:
include/sdnotify.h:
