build-merge/obj/predict.o: src/predict.c include/predict.h \
 include/decide.h
include/predict.h:
include/decide.h:
