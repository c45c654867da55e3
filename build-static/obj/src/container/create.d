build-static/obj/src/container/create.o: src/container/create.c \
 src/container/lifecycle.h src/container/container.h src/util/error.h \
 src/container/init.h src/oci/config.h src/container/internal.h \
 src/container/sync.h src/linux/cgroups/cgroup.h src/linux/hooks.h \
 src/linux/namespaces.h src/linux/terminal.h src/linux/userns.h \
 src/util/fs.h src/util/log.h
src/container/lifecycle.h:
src/container/container.h:
src/util/error.h:
src/container/init.h:
src/oci/config.h:
src/container/internal.h:
src/container/sync.h:
src/linux/cgroups/cgroup.h:
src/linux/hooks.h:
src/linux/namespaces.h:
src/linux/terminal.h:
src/linux/userns.h:
src/util/fs.h:
src/util/log.h:
