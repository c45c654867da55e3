/* The foreground side of a container process: husk waits for it, forwards
 * the signals it gets, and, when the process has a terminal and nobody
 * gave a --console-socket, relays the pty between its own stdio and the
 * pty master (raw mode on its tty, SIGWINCH resizes, all output drained
 * before it returns). */
#ifndef HUSK_LINUX_TTY_RELAY_H
#define HUSK_LINUX_TTY_RELAY_H

#include <sys/types.h>

#include "util/error.h"

/* Receive one fd sent with SCM_RIGHTS (as husk_send_fd sends it). With
 * nonblock, no message waiting is an error instead of a wait. */
int husk_recv_fd (int sock, int *fd, int nonblock, husk_error_t *err);

/* `run` in the foreground with process.terminal and no console socket:
 * a listening socket in a private temporary directory that `create` can
 * connect to like any --console-socket. *path is malloc'd. */
int husk_console_listen (char **path, int *listen_fd, husk_error_t *err);
/* Take the pty master the init sent (already queued: does not wait). */
int husk_console_accept_master (int listen_fd, int *master, husk_error_t *err);
/* Remove the socket and its directory. */
void husk_console_unlink (const char *path);

/* Wait for `pid` (our child) and return its exit status: the code, or
 * 128+N when killed by signal N. Every signal must already be blocked
 * in the caller (so none is lost before this runs); they are read from a
 * signalfd and forwarded to pid, except SIGCHLD and SIGWINCH. master >= 0:
 * relay stdin -> master and master -> stdout until the process exits and
 * its output is drained; master is closed. */
int husk_foreground_wait (int master, pid_t pid, husk_error_t *err);

/* Set the pty's window size from our own terminal (stdin, else stdout);
 * no-op when neither is a terminal. */
void husk_tty_copy_size (int master);

#endif
