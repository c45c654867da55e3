build-static/obj/src/linux/userns.o: src/linux/userns.c \
 src/linux/userns.h src/oci/config.h src/util/error.h src/util/fs.h
src/linux/userns.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
