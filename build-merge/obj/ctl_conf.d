build-merge/obj/ctl_conf.o: src/ctl_conf.c include/ctl.h
include/ctl.h:
