build-merge/obj/haproxy_cli.o: src/haproxy_cli.c include/haproxy.h \
 include/loop.h include/log.h
include/haproxy.h:
include/loop.h:
include/log.h:
