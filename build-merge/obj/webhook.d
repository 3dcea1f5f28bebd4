build-merge/obj/webhook.o: src/webhook.c include/webhook.h \
 include/decide.h include/json.h include/text.h
include/webhook.h:
include/decide.h:
include/json.h:
include/text.h:
