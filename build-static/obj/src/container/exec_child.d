build-static/obj/src/container/exec_child.o: src/container/exec_child.c \
 src/container/exec_internal.h src/container/exec.h src/oci/config.h \
 src/util/error.h src/container/sync.h src/linux/caps.h src/linux/lsm.h \
 src/linux/namespaces.h src/linux/process.h src/linux/seccomp.h \
 src/linux/terminal.h src/util/fs.h
src/container/exec_internal.h:
src/container/exec.h:
src/oci/config.h:
src/util/error.h:
src/container/sync.h:
src/linux/caps.h:
src/linux/lsm.h:
src/linux/namespaces.h:
src/linux/process.h:
src/linux/seccomp.h:
src/linux/terminal.h:
src/util/fs.h:
