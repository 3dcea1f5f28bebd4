build-merge/obj/text.o: src/text.c include/text.h
include/text.h:
