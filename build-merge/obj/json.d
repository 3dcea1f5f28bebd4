build-merge/obj/json.o: src/json.c include/json.h include/text.h
include/json.h:
include/text.h:
