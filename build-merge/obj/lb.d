build-merge/obj/lb.o: src/lb.c include/lb.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h include/loop.h \
 include/log.h
include/lb.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/loop.h:
include/log.h:
