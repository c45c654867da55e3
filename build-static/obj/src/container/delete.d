build-static/obj/src/container/delete.o: src/container/delete.c \
 src/container/lifecycle.h src/container/container.h src/util/error.h \
 src/container/internal.h src/oci/config.h src/linux/cgroups/cgroup.h \
 src/linux/hooks.h src/util/fs.h src/util/log.h
src/container/lifecycle.h:
src/container/container.h:
src/util/error.h:
src/container/internal.h:
src/oci/config.h:
src/linux/cgroups/cgroup.h:
src/linux/hooks.h:
src/util/fs.h:
src/util/log.h:
