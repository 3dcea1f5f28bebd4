build-merge/obj/config_ready.o: src/config_ready.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h \
 include/readiness.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/readiness.h:
