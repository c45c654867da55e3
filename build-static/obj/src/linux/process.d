build-static/obj/src/linux/process.o: src/linux/process.c \
 src/linux/process.h src/oci/config.h src/util/error.h src/linux/procfs.h \
 src/util/fs.h
src/linux/process.h:
src/oci/config.h:
src/util/error.h:
src/linux/procfs.h:
src/util/fs.h:
