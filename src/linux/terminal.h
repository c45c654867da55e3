/* process.terminal: the init opens a pty in the container's devpts, makes
 * the slave its controlling terminal and stdio, and sends the master to
 * --console-socket over SCM_RIGHTS (as runc does). */
#ifndef HUSK_LINUX_TERMINAL_H
#define HUSK_LINUX_TERMINAL_H

#include "oci/config.h"
#include "util/error.h"

/* Connect to the console socket path (done by the parent, early). */
int husk_console_socket_connect (const char *path, husk_error_t *err);
/* In the init, after pivot_root. */
int husk_terminal_setup (const struct husk_process *p, int console_sock, husk_error_t *err);
/* Send fd over a unix socket with `name` as the payload. */
int husk_send_fd (int sock, int fd, const char *name, husk_error_t *err);

#endif
