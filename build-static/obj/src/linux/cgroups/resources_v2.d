build-static/obj/src/linux/cgroups/resources_v2.o: \
 src/linux/cgroups/resources_v2.c src/linux/cgroups/cgroup_internal.h \
 src/linux/cgroups/cgroup.h src/oci/config.h src/util/error.h \
 src/util/log.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
src/util/log.h:
