build-static/obj/src/cli/cmd_spec.o: src/cli/cmd_spec.c src/cli/cli.h \
 src/cli/commands.h src/util/error.h src/oci/spec.h src/util/fs.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/oci/spec.h:
src/util/fs.h:
