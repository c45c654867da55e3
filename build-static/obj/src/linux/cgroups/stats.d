build-static/obj/src/linux/cgroups/stats.o: src/linux/cgroups/stats.c \
 src/linux/cgroups/cgroup_internal.h src/linux/cgroups/cgroup.h \
 src/oci/config.h src/util/error.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
