build-merge/obj/readiness.o: src/readiness.c include/readiness.h
include/readiness.h:
