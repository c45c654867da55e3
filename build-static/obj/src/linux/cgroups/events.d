build-static/obj/src/linux/cgroups/events.o: src/linux/cgroups/events.c \
 src/linux/cgroups/cgroup_internal.h src/linux/cgroups/cgroup.h \
 src/oci/config.h src/util/error.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
