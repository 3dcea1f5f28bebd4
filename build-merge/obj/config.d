build-merge/obj/config.o: src/config.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
