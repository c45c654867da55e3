build-static/obj/src/linux/seccomp.o: src/linux/seccomp.c \
 src/linux/seccomp.h src/oci/config.h src/util/error.h src/linux/caps.h \
 src/linux/lsm.h src/linux/seccomp_parse.h src/util/fs.h src/util/log.h
src/linux/seccomp.h:
src/oci/config.h:
src/util/error.h:
src/linux/caps.h:
src/linux/lsm.h:
src/linux/seccomp_parse.h:
src/util/fs.h:
src/util/log.h:
