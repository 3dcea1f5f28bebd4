build-merge/obj/config_lb.o: src/config_lb.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/docker.h include/httpc.h include/loop.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/docker.h:
include/httpc.h:
include/loop.h:
