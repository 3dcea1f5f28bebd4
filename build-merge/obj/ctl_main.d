build-merge/obj/ctl_main.o: src/ctl_main.c include/ctl.h
include/ctl.h:
