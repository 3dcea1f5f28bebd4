build-merge/obj/units.o: src/units.c include/config.h include/decide.h \
 include/readiness.h include/regauth.h
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
