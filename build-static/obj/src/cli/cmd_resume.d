build-static/obj/src/cli/cmd_resume.o: src/cli/cmd_resume.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
