build-merge/obj/plan.o: src/plan.c include/plan.h
include/plan.h:
