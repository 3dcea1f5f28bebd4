build-merge/obj/nginx.o: src/nginx.c include/nginx.h
include/nginx.h:
