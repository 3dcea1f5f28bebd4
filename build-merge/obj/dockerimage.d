build-merge/obj/dockerimage.o: src/dockerimage.c include/dockerimage.h \
 include/docker.h include/httpc.h include/loop.h include/docker_int.h \
 include/dockerimage.h include/lines.h include/json.h include/log.h \
 include/text.h
include/dockerimage.h:
include/docker.h:
include/httpc.h:
include/loop.h:
include/docker_int.h:
include/dockerimage.h:
include/lines.h:
include/json.h:
include/log.h:
include/text.h:
