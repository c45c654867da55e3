build-static/obj/src/oci/config_linux.o: src/oci/config_linux.c \
 src/oci/config.h src/util/error.h src/oci/config_internal.h \
 src/oci/json_util.h
src/oci/config.h:
src/util/error.h:
src/oci/config_internal.h:
src/oci/json_util.h:
