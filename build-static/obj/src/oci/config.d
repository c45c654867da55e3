build-static/obj/src/oci/config.o: src/oci/config.c src/oci/config.h \
 src/util/error.h src/oci/config_internal.h src/oci/json_util.h \
 src/util/fs.h
src/oci/config.h:
src/util/error.h:
src/oci/config_internal.h:
src/oci/json_util.h:
src/util/fs.h:
