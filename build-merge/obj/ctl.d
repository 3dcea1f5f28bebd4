build-merge/obj/ctl.o: src/ctl.c include/ctl.h
include/ctl.h:
