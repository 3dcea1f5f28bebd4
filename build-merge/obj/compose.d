build-merge/obj/compose.o: src/compose.c include/compose.h \
 include/docker.h include/httpc.h include/loop.h include/json.h
include/compose.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/json.h:
