build-static/obj/src/oci/spec.o: src/oci/spec.c src/oci/spec.h
src/oci/spec.h:
