build-static/obj/src/cli/cli.o: src/cli/cli.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/util/log.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/util/log.h:
