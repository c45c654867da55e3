build-static/obj/src/cli/cmd_exec.o: src/cli/cmd_exec.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/container/exec.h \
 src/oci/config.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/container/exec.h:
src/oci/config.h:
