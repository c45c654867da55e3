build-static/obj/src/container/init.o: src/container/init.c \
 src/container/init.h src/container/lifecycle.h src/container/container.h \
 src/util/error.h src/oci/config.h src/container/internal.h \
 src/container/sync.h src/linux/caps.h src/linux/cwd.h src/linux/hooks.h \
 src/linux/lsm.h src/linux/namespaces.h src/linux/process.h \
 src/linux/rootfs.h src/linux/seccomp.h src/linux/terminal.h \
 src/util/fs.h src/util/log.h
src/container/init.h:
src/container/lifecycle.h:
src/container/container.h:
src/util/error.h:
src/oci/config.h:
src/container/internal.h:
src/container/sync.h:
src/linux/caps.h:
src/linux/cwd.h:
src/linux/hooks.h:
src/linux/lsm.h:
src/linux/namespaces.h:
src/linux/process.h:
src/linux/rootfs.h:
src/linux/seccomp.h:
src/linux/terminal.h:
src/util/fs.h:
src/util/log.h:
