build-static/obj/src/cli/cmd_create.o: src/cli/cmd_create.c \
 src/cli/create_opts.h src/cli/cli.h src/cli/commands.h src/util/error.h \
 src/container/lifecycle.h src/container/container.h
src/cli/create_opts.h:
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/container/lifecycle.h:
src/container/container.h:
