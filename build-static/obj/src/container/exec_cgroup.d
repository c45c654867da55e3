build-static/obj/src/container/exec_cgroup.o: src/container/exec_cgroup.c \
 src/container/exec.h src/oci/config.h src/util/error.h \
 src/linux/cgroups/cgroup.h src/util/fs.h
src/container/exec.h:
src/oci/config.h:
src/util/error.h:
src/linux/cgroups/cgroup.h:
src/util/fs.h:
