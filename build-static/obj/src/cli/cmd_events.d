build-static/obj/src/cli/cmd_events.o: src/cli/cmd_events.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/linux/cgroups/container_cg.h \
 src/container/container.h src/linux/cgroups/cgroup.h src/oci/config.h \
 src/util/log.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/linux/cgroups/container_cg.h:
src/container/container.h:
src/linux/cgroups/cgroup.h:
src/oci/config.h:
src/util/log.h:
