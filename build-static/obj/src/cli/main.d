build-static/obj/src/cli/main.o: src/cli/main.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/linux/sealed.h src/util/log.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/linux/sealed.h:
src/util/log.h:
