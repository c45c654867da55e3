build-static/obj/src/linux/pty_verify.o: src/linux/pty_verify.c \
 src/linux/pty_verify.h src/util/error.h
src/linux/pty_verify.h:
src/util/error.h:
