build-merge/obj/swarm.o: src/swarm.c include/docker_int.h \
 include/docker.h include/httpc.h include/loop.h include/dockerimage.h \
 include/lines.h include/log.h include/swarm.h
include/docker_int.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/dockerimage.h:
include/lines.h:
include/log.h:
include/swarm.h:
