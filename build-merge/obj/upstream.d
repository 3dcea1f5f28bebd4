build-merge/obj/upstream.o: src/upstream.c include/upstream.h \
 include/loop.h include/buf.h include/config.h include/decide.h \
 include/readiness.h include/regauth.h include/log.h include/nginx.h \
 include/proc.h
include/upstream.h:
include/loop.h:
include/buf.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/log.h:
include/nginx.h:
include/proc.h:
