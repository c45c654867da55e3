build-static/obj/src/linux/terminal.o: src/linux/terminal.c \
 src/linux/terminal.h src/oci/config.h src/util/error.h src/util/fs.h
src/linux/terminal.h:
src/oci/config.h:
src/util/error.h:
src/util/fs.h:
