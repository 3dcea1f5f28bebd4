build-merge/obj/config_keys.o: src/config_keys.c include/cgroup.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/docker.h include/httpc.h include/loop.h include/compose.h \
 include/config_int.h include/docker.h include/webhook.h
include/cgroup.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/compose.h:
include/config_int.h:
include/docker.h:
include/webhook.h:
