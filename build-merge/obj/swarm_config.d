build-merge/obj/swarm_config.o: src/swarm_config.c include/config_int.h \
 include/config.h include/decide.h include/readiness.h include/regauth.h
include/config_int.h:
include/config.h:
include/decide.h:
include/readiness.h:
include/regauth.h:
