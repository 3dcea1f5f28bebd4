build-merge/obj/lb_none.o: src/lb_none.c include/lb.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h include/loop.h \
 include/log.h
include/lb.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/loop.h:
include/log.h:
