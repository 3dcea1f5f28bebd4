build-merge/obj/config_envfile.o: src/config_envfile.c \
 include/config_int.h include/config.h include/decide.h \
 include/readiness.h include/regauth.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
