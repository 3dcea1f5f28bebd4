build-merge/obj/upstream_file.o: src/upstream_file.c include/upstream.h \
 include/loop.h include/buf.h include/log.h
include/upstream.h:
include/loop.h:
include/buf.h:
include/log.h:
