build-static/obj/src/linux/sealed.o: src/linux/sealed.c \
 src/linux/sealed.h src/util/error.h
src/linux/sealed.h:
src/util/error.h:
