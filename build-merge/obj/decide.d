build-merge/obj/decide.o: src/decide.c include/decide.h include/predict.h \
 include/decide.h
include/decide.h:
include/predict.h:
include/decide.h:
