build-static/obj/src/container/state.o: src/container/state.c \
 src/container/container.h src/util/error.h src/container/internal.h \
 src/oci/config.h src/linux/cgroups/cgroup.h src/util/fs.h
src/container/container.h:
src/util/error.h:
src/container/internal.h:
src/oci/config.h:
src/linux/cgroups/cgroup.h:
src/util/fs.h:
