build-static/obj/src/oci/features.o: src/oci/features.c src/oci/config.h \
 src/util/error.h src/oci/spec.h
src/oci/config.h:
src/util/error.h:
src/oci/spec.h:
