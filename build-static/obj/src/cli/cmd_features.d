build-static/obj/src/cli/cmd_features.o: src/cli/cmd_features.c \
 src/cli/cli.h src/cli/commands.h src/util/error.h src/oci/spec.h
src/cli/cli.h:
src/cli/commands.h:
src/util/error.h:
src/oci/spec.h:
