build-merge/obj/ctl_http.o: src/ctl_http.c include/ctl.h
include/ctl.h:
