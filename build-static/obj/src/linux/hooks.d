build-static/obj/src/linux/hooks.o: src/linux/hooks.c src/linux/hooks.h \
 src/oci/config.h src/util/error.h src/util/fs.h
src/linux/hooks.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
