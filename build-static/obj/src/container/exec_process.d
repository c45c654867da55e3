build-static/obj/src/container/exec_process.o: \
 src/container/exec_process.c src/container/exec.h src/oci/config.h \
 src/util/error.h src/util/fs.h
src/container/exec.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
