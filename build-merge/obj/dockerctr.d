build-merge/obj/dockerctr.o: src/dockerctr.c include/docker.h \
 include/httpc.h include/loop.h include/docker_int.h include/docker.h \
 include/dockerimage.h include/lines.h include/log.h
include/docker.h:
include/httpc.h:
include/loop.h:
include/docker_int.h:
include/docker.h:
include/dockerimage.h:
include/lines.h:
include/log.h:
