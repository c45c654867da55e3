build-static/obj/src/linux/cgroups/container_cg.o: \
 src/linux/cgroups/container_cg.c src/linux/cgroups/container_cg.h \
 src/container/container.h src/util/error.h src/linux/cgroups/cgroup.h \
 src/oci/config.h
src/linux/cgroups/container_cg.h:
src/container/container.h:
src/util/error.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
