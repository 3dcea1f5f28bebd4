build-merge/obj/sdnotify.o: src/sdnotify.c include/sdnotify.h \
 include/log.h
include/sdnotify.h:
include/log.h:
