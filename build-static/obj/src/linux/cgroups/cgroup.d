build-static/obj/src/linux/cgroups/cgroup.o: src/linux/cgroups/cgroup.c \
 src/linux/cgroups/cgroup_internal.h src/linux/cgroups/cgroup.h \
 src/oci/config.h src/util/error.h src/util/fs.h src/util/log.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
src/util/log.h:
