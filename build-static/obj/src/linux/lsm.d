build-static/obj/src/linux/lsm.o: src/linux/lsm.c src/linux/lsm.h \
 src/oci/config.h src/util/error.h src/linux/procfs.h src/util/fs.h
src/linux/lsm.h:
src/oci/config.h:
src/util/error.h:
src/linux/procfs.h:
src/util/fs.h:
