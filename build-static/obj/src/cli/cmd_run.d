build-static/obj/src/cli/cmd_run.o: src/cli/cmd_run.c \
 src/cli/create_opts.h src/cli/cli.h src/cli/commands.h src/util/error.h \
 src/container/lifecycle.h src/container/container.h \
 src/linux/tty_relay.h src/oci/config.h src/util/log.h
src/cli/create_opts.h:
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/container/lifecycle.h:
src/container/container.h:
src/linux/tty_relay.h:
src/oci/config.h:
src/util/log.h:
