build-merge/obj/prom.o: src/prom.c include/prom.h include/httpc.h \
 include/loop.h include/json.h include/log.h include/text.h
include/prom.h:
include/httpc.h:
include/loop.h:
include/json.h:
include/log.h:
include/text.h:
