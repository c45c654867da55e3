build-static/obj/src/linux/seccomp_parse.o: src/linux/seccomp_parse.c \
 src/linux/seccomp_parse.h src/util/log.h
src/linux/seccomp_parse.h:
src/util/log.h:
