build-static/obj/src/linux/cgroups/layout.o: src/linux/cgroups/layout.c \
 src/linux/cgroups/cgroup_internal.h src/linux/cgroups/cgroup.h \
 src/oci/config.h src/util/error.h src/util/fs.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
