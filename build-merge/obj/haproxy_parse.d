build-merge/obj/haproxy_parse.o: src/haproxy_parse.c include/haproxy.h \
 include/loop.h
include/haproxy.h:
include/loop.h:
