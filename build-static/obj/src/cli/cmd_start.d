build-static/obj/src/cli/cmd_start.o: src/cli/cmd_start.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/container/lifecycle.h \
 src/container/container.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/container/lifecycle.h:
src/container/container.h:
