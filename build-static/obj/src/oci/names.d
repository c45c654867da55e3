build-static/obj/src/oci/names.o: src/oci/names.c src/oci/config.h \
 src/util/error.h
src/oci/config.h:
src/util/error.h:
