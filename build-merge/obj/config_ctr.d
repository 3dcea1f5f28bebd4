build-merge/obj/config_ctr.o: src/config_ctr.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/ctrdef.h include/docker.h include/httpc.h include/loop.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/ctrdef.h:
include/docker.h:
include/httpc.h:
include/loop.h:
