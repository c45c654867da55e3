build-static/obj/src/linux/devices.o: src/linux/devices.c \
 src/linux/rootfs_internal.h src/linux/rootfs.h src/oci/config.h \
 src/util/error.h src/util/fs.h src/util/log.h
src/linux/rootfs_internal.h:
src/linux/rootfs.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
src/util/log.h:
