build-merge/obj/httpc.o: src/httpc.c include/httpc.h include/loop.h \
 include/log.h
include/httpc.h:
include/loop.h:
include/log.h:
