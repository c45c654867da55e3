build-static/obj/src/container/exec.o: src/container/exec.c \
 src/container/exec.h src/oci/config.h src/util/error.h \
 src/container/container.h src/container/exec_internal.h \
 src/container/internal.h src/container/sync.h src/linux/caps.h \
 src/linux/lsm.h src/linux/namespaces.h src/linux/seccomp.h \
 src/linux/terminal.h src/linux/tty_relay.h src/util/fs.h src/util/log.h
src/container/exec.h:
src/oci/config.h:
src/util/error.h:
src/container/container.h:
src/container/exec_internal.h:
src/container/internal.h:
src/container/sync.h:
src/linux/caps.h:
src/linux/lsm.h:
src/linux/namespaces.h:
src/linux/seccomp.h:
src/linux/terminal.h:
src/linux/tty_relay.h:
src/util/fs.h:
src/util/log.h:
