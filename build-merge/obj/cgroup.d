build-merge/obj/cgroup.o: src/cgroup.c include/cgroup.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h include/docker.h \
 include/httpc.h include/loop.h
include/cgroup.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/loop.h:
