build-static/obj/src/linux/mount_options.o: src/linux/mount_options.c \
 src/linux/rootfs.h src/oci/config.h src/util/error.h
src/linux/rootfs.h:
src/oci/config.h:
src/util/error.h:
