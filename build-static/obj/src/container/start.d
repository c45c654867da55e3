build-static/obj/src/container/start.o: src/container/start.c \
 src/container/lifecycle.h src/container/container.h src/util/error.h \
 src/container/internal.h src/oci/config.h src/linux/hooks.h \
 src/util/fs.h src/util/log.h
src/container/lifecycle.h:
src/container/container.h:
src/util/error.h:
src/container/internal.h:
src/oci/config.h:
src/linux/hooks.h:
src/util/fs.h:
src/util/log.h:
