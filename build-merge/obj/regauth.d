build-merge/obj/regauth.o: src/regauth.c include/regauth.h include/json.h
include/regauth.h:
include/json.h:
