build-static/obj/src/container/sync.o: src/container/sync.c \
 src/container/sync.h src/util/error.h
src/container/sync.h:
src/util/error.h:
