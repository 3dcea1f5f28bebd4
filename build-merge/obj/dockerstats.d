build-merge/obj/dockerstats.o: src/dockerstats.c include/docker.h \
 include/httpc.h include/loop.h include/dockerjson_int.h include/json.h
include/docker.h:
include/httpc.h:
include/loop.h:
include/dockerjson_int.h:
include/json.h:
