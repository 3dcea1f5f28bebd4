build-merge/obj/lines.o: src/lines.c include/lines.h
include/lines.h:
