build-static/obj/src/linux/cwd.o: src/linux/cwd.c src/linux/cwd.h \
 src/util/error.h
src/linux/cwd.h:
src/util/error.h:
