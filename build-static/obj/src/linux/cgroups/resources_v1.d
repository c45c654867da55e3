build-static/obj/src/linux/cgroups/resources_v1.o: \
 src/linux/cgroups/resources_v1.c src/linux/cgroups/cgroup_internal.h \
 src/linux/cgroups/cgroup.h src/oci/config.h src/util/error.h \
 src/util/log.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
src/util/log.h:
