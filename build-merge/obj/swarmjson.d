build-merge/obj/swarmjson.o: src/swarmjson.c include/json.h \
 include/swarm.h include/docker.h include/httpc.h include/loop.h
include/json.h:
include/swarm.h:
include/docker.h:
include/httpc.h:
include/loop.h:
