build-merge/obj/ctl_print.o: src/ctl_print.c include/ctl.h
include/ctl.h:
