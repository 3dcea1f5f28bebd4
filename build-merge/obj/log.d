build-merge/obj/log.o: src/log.c include/log.h include/text.h
include/log.h:
include/text.h:
