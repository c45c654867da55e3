build-static/obj/src/linux/namespaces.o: src/linux/namespaces.c \
 src/linux/namespaces.h src/oci/config.h src/util/error.h src/util/fs.h
src/linux/namespaces.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
