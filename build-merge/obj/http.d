build-merge/obj/http.o: src/http.c include/http.h include/loop.h \
 include/http_int.h include/http.h include/log.h include/text.h
include/http.h:
include/loop.h:
include/http_int.h:
include/http.h:
include/log.h:
include/text.h:
