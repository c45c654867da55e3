build-static/obj/src/oci/json_util.o: src/oci/json_util.c \
 src/oci/json_util.h src/util/error.h src/oci/config.h
src/oci/json_util.h:
src/util/error.h:
src/oci/config.h:
