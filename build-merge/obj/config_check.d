build-merge/obj/config_check.o: src/config_check.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
