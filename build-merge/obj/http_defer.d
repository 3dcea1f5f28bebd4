build-merge/obj/http_defer.o: src/http_defer.c include/http_int.h \
 include/http.h include/loop.h include/log.h
include/http_int.h:
include/http.h:
include/loop.h:
include/log.h:
