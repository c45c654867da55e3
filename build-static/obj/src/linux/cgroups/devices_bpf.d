build-static/obj/src/linux/cgroups/devices_bpf.o: \
 src/linux/cgroups/devices_bpf.c src/linux/cgroups/cgroup_internal.h \
 src/linux/cgroups/cgroup.h src/oci/config.h src/util/error.h
src/linux/cgroups/cgroup_internal.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/error.h:
