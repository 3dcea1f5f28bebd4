build-merge/obj/events_query.o: src/events_query.c include/events_query.h \
 include/events.h include/config.h include/decide.h include/readiness.h \
 include/regauth.h
include/events_query.h:
include/events.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
