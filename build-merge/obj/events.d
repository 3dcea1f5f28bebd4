build-merge/obj/events.o: src/events.c include/events.h include/log.h
include/events.h:
include/log.h:
