build-merge/obj/config_ctr_proc.o: src/config_ctr_proc.c \
 include/config_int.h include/config.h include/decide.h \
 include/readiness.h include/regauth.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
