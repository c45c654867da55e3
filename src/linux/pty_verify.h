/* CVE-2025-52565: the container's pty slave was opened and bind-mounted
 * onto /dev/console by path, so a container racing the setup could swap
 * /dev/pts/N (or /dev/console) for a symlink and get e.g. a procfs file
 * mounted writable at /dev/console. These helpers work on fds only. */
#ifndef HUSK_LINUX_PTY_VERIFY_H
#define HUSK_LINUX_PTY_VERIFY_H

#include "util/error.h"

/* The slave of `master` through TIOCGPTPEER (no path involved), checked
 * to be a pty slave (char device, Unix98 slave major, on devpts).
 * Returns the fd (O_RDWR | O_NOCTTY | O_CLOEXEC). */
int husk_pty_open_slave (int master, husk_error_t *err);
/* Fail unless fd is the pty multiplexer (char 5:2; /dev/ptmx or a devpts
 * ptmx node), i.e. /dev/ptmx was not swapped for something else. */
int husk_pty_verify_master (int fd, husk_error_t *err);
/* Fail unless fd is a pty slave on devpts. */
int husk_pty_verify_slave (int fd, husk_error_t *err);
/* Bind the verified slave onto `target` (e.g. "/dev/console"), resolved
 * inside the current root without following any symlink, created as an
 * empty file when missing; the mount goes fd to fd (open_tree +
 * move_mount). */
int husk_pty_bind_console (int slave, const char *target, husk_error_t *err);

#endif
