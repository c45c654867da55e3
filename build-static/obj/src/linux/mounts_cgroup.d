build-static/obj/src/linux/mounts_cgroup.o: src/linux/mounts_cgroup.c \
 src/linux/rootfs_internal.h src/linux/rootfs.h src/oci/config.h \
 src/util/error.h src/util/fs.h src/util/log.h
src/linux/rootfs_internal.h:
src/linux/rootfs.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
src/util/log.h:
