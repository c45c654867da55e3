build-static/obj/src/linux/mounts.o: src/linux/mounts.c \
 src/linux/rootfs_internal.h src/linux/rootfs.h src/oci/config.h \
 src/util/error.h src/util/fs.h
src/linux/rootfs_internal.h:
src/linux/rootfs.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
