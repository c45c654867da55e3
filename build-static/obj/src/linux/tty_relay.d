build-static/obj/src/linux/tty_relay.o: src/linux/tty_relay.c \
 src/linux/tty_relay.h src/util/error.h src/util/log.h
src/linux/tty_relay.h:
src/util/error.h:
src/util/log.h:
