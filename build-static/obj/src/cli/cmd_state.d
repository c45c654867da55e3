build-static/obj/src/cli/cmd_state.o: src/cli/cmd_state.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/container/container.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/container/container.h:
