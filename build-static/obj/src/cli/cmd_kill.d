build-static/obj/src/cli/cmd_kill.o: src/cli/cmd_kill.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/container/lifecycle.h \
 src/container/container.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/container/lifecycle.h:
src/container/container.h:
