build-static/obj/src/linux/procfs.o: src/linux/procfs.c \
 src/linux/procfs.h src/util/error.h src/util/fs.h
src/linux/procfs.h:
src/util/error.h:
src/util/fs.h:
