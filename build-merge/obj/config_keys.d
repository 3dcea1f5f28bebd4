build-merge/obj/config_keys.o: src/config_keys.c include/compose.h \
 include/docker.h include/httpc.h include/loop.h include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/docker.h include/webhook.h
include/compose.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/webhook.h:
