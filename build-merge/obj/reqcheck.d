build-merge/obj/reqcheck.o: src/reqcheck.c include/reqcheck.h
include/reqcheck.h:
