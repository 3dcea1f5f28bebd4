build-merge/obj/ctl_cmd.o: src/ctl_cmd.c include/ctl.h
include/ctl.h:
