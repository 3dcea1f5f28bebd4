build-merge/obj/lb_nginx.o: src/lb_nginx.c include/lb.h include/config.h \
 include/decide.h include/readiness.h include/regauth.h include/loop.h \
 include/log.h include/upstream.h
include/lb.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/loop.h:
include/log.h:
include/upstream.h:
