build-merge/obj/ctrdef_host.o: src/ctrdef_host.c include/ctrdef.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/ctrdef_int.h
include/ctrdef.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/ctrdef_int.h:
