build-merge/obj/proc.o: src/proc.c include/proc.h include/loop.h \
 include/log.h
include/proc.h:
include/loop.h:
include/log.h:
