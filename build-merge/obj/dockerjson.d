build-merge/obj/dockerjson.o: src/dockerjson.c include/docker.h \
 include/httpc.h include/loop.h include/dockerjson_int.h include/json.h \
 include/text.h
include/docker.h:
include/httpc.h:
include/loop.h:
include/dockerjson_int.h:
include/json.h:
include/text.h:
