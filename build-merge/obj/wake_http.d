build-merge/obj/wake_http.o: src/wake_http.c include/wake.h \
 include/loop.h
include/wake.h:
include/loop.h:
