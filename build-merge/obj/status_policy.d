build-merge/obj/status_policy.o: src/status_policy.c include/config.h \
 include/decide.h include/readiness.h include/regauth.h \
 include/status_policy.h
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
include/status_policy.h:
