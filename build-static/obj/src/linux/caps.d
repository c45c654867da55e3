build-static/obj/src/linux/caps.o: src/linux/caps.c src/linux/caps.h \
 src/oci/config.h src/util/error.h src/linux/procfs.h src/util/log.h
src/linux/caps.h:
src/oci/config.h:
src/util/error.h:
src/linux/procfs.h:
src/util/log.h:
