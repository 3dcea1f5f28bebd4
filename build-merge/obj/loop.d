build-merge/obj/loop.o: src/loop.c include/loop.h include/log.h
include/loop.h:
include/log.h:
