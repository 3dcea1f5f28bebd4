build-merge/obj/ctrdef.o: src/ctrdef.c include/ctrdef.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h \
 include/ctrdef_int.h include/docker.h include/httpc.h include/loop.h \
 include/log.h
include/ctrdef.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/ctrdef_int.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/log.h:
