#include "linux/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "linux/pty_verify.h"
#include "util/fs.h"
#include "util/log.h"

int
husk_console_socket_connect (const char *path, husk_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;
  if (strlen (path) >= sizeof addr.sun_path)
    return husk_error (err, 0, "--console-socket: path `%s` is too long", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return husk_error (err, errno, "--console-socket: socket");
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      int e = errno;
      close (fd);
      return husk_error (err, e, "--console-socket: connect to `%s`", path);
    }
  return fd;
}

int
husk_send_fd (int sock, int fd, const char *name, husk_error_t *err)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen (name) };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  memset (cbuf, 0, sizeof cbuf);
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return husk_error (err, errno, "send the terminal to the console socket");
  return 0;
}

/* runc makes /dev/console the pty slave, so programs that open it reach
 * the same terminal. CVE-2025-52565: fd to fd, the slave verified and
 * /dev/console never reached through a symlink; a refusal only costs the
 * container its /dev/console. */
static void
bind_console (int slave)
{
  husk_error_t e = NULL;
  if (husk_pty_bind_console (slave, "/dev/console", &e) < 0)
    {
      husk_warn ("%s", e->msg);
      husk_error_free (&e);
    }
}

int
husk_terminal_setup (const struct husk_process *p, int console_sock, husk_error_t *err)
{
  cleanup_close int master = -1;
  char name[64];
  int slave;
  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return husk_error (err, errno, "terminal: open /dev/ptmx");
  if (husk_pty_verify_master (master, err) < 0)
    return -1;
  if (unlockpt (master) < 0 || ptsname_r (master, name, sizeof name) != 0)
    return husk_error (err, errno, "terminal: unlock pty");
  slave = husk_pty_open_slave (master, err);
  if (slave < 0)
    return -1;
  if (p->console_width || p->console_height)
    {
      struct winsize ws
          = { .ws_row = (unsigned short)p->console_height, .ws_col = (unsigned short)p->console_width };
      ioctl (slave, TIOCSWINSZ, &ws);
    }
  bind_console (slave);
  if (husk_send_fd (console_sock, master, name, err) < 0)
    {
      close (slave);
      return -1;
    }
  if (setsid () < 0 && errno != EPERM)
    {
      close (slave);
      return husk_error (err, errno, "terminal: setsid");
    }
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    {
      close (slave);
      return husk_error (err, errno, "terminal: make it the controlling terminal");
    }
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      {
        close (slave);
        return husk_error (err, errno, "terminal: dup2");
      }
  if (slave > 2)
    close (slave);
  return 0;
}
