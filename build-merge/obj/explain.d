build-merge/obj/explain.o: src/explain.c include/explain.h \
 include/decide.h
include/explain.h:
include/decide.h:
