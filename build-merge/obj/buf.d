build-merge/obj/buf.o: src/buf.c include/buf.h
include/buf.h:
