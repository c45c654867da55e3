build-static/obj/src/cli/cmd_update.o: src/cli/cmd_update.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/linux/cgroups/container_cg.h \
 src/container/container.h src/linux/cgroups/cgroup.h src/oci/config.h \
 src/util/fs.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/linux/cgroups/container_cg.h:
src/container/container.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/fs.h:
