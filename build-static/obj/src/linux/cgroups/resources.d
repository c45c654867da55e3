build-static/obj/src/linux/cgroups/resources.o: \
 src/linux/cgroups/resources.c src/linux/cgroups/cgroup_internal.h \
 src/linux/cgroups/cgroup.h src/oci/config.h src/util/error.h \
 src/oci/json_util.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
src/oci/json_util.h:
