build-merge/obj/config_list.o: src/config_list.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
