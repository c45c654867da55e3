/* Process stdio. Without a terminal the container writes straight into
 * containerd's fifos: no copy, no buffer in the shim. We hold a reader on
 * each output fifo so that a client going away never turns into EPIPE,
 * while stdin goes through a small pump (see stdin_pipe). With a terminal,
 * two such pumps copy between the pty master and the fifos. */
#include "shim/shim.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "shim/loop.h"
#include "util/fs.h"

struct pump
{
  struct shim_watch src, dst;
  char buf[4096];
  size_t len, off;
  struct pump **owner;
};

static int
set_blocking (int fd, bool block)
{
  int fl = fcntl (fd, F_GETFL);
  if (fl < 0)
    return -1;
  return fcntl (fd, F_SETFL, block ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

static void
pump_free (struct pump *p)
{
  shim_loop_del (&p->src);
  shim_loop_del (&p->dst);
  close (p->src.fd);
  close (p->dst.fd);
  if (p->owner)
    *p->owner = NULL;
  free (p);
}

static void pump_src_event (struct shim_watch *w, uint32_t events);

/* Move buffered bytes; returns 1 when everything was written, 0 when the
 * destination is full, -1 on error. */
static int
pump_drain (struct pump *p)
{
  while (p->off < p->len)
    {
      ssize_t r = write (p->dst.fd, p->buf + p->off, p->len - p->off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        return 0;
      if (r < 0)
        return -1;
      p->off += (size_t)r;
    }
  p->len = p->off = 0;
  return 1;
}

static void
pump_dst_event (struct shim_watch *w, uint32_t events)
{
  struct pump *p = (struct pump *)((char *)w - offsetof (struct pump, dst));
  int r = pump_drain (p);
  if (r < 0)
    {
      pump_free (p);
      return;
    }
  if (r == 1)
    {
      shim_loop_del (&p->dst);
      shim_loop_add (&p->src, EPOLLIN);
    }
}

static void
pump_src_event (struct shim_watch *w, uint32_t events)
{
  struct pump *p = (struct pump *)w;
  if (p->off < p->len)
    return; /* still waiting for the destination */
  for (;;)
    {
      ssize_t r = read (p->src.fd, p->buf, sizeof p->buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        return;
      if (r <= 0)
        {
          /* EOF, or EIO from a master whose slave side is all closed */
          pump_free (p);
          return;
        }
      p->len = (size_t)r;
      p->off = 0;
      int d = pump_drain (p);
      if (d < 0)
        {
          pump_free (p);
          return;
        }
      if (d == 0)
        {
          shim_loop_del (&p->src);
          shim_loop_add (&p->dst, EPOLLOUT);
          return;
        }
    }
}

static struct pump *
pump_new (int src, int dst, struct pump **owner)
{
  struct pump *p = calloc (1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->src.fd = src;
  p->src.cb = pump_src_event;
  p->dst.fd = dst;
  p->dst.cb = pump_dst_event;
  p->owner = owner;
  set_blocking (src, false);
  set_blocking (dst, false);
  if (shim_loop_add (&p->src, EPOLLIN) < 0)
    {
      free (p);
      return NULL;
    }
  *owner = p;
  return p;
}

/* A fifo's writer end, plus our own reader so that writes never fail
 * with EPIPE when the client goes away. Plain paths that are not fifos
 * and file:// URIs are opened for appending. */
static int
open_output (const char *uri, int *hold, husk_error_t *err)
{
  struct stat st;
  int fd;
  if (uri == NULL || *uri == '\0')
    return -1;
  if (strncmp (uri, "file://", 7) == 0 || (stat (uri, &st) == 0 && !S_ISFIFO (st.st_mode)))
    {
      const char *path = strncmp (uri, "file://", 7) == 0 ? uri + 7 : uri;
      fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0)
        return husk_error (err, errno, "open `%s`", path);
      return fd;
    }
  if (strncmp (uri, "fifo://", 7) == 0)
    uri += 7;
  *hold = open (uri, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (*hold < 0)
    return husk_error (err, errno, "open fifo `%s`", uri);
  fd = open (uri, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open fifo `%s` for writing", uri);
  set_blocking (fd, true);
  return fd;
}

/* The stdin fifo's reader. We never hold a writer: epoll reports HUP on
 * it only once a writer has come and gone, which is exactly containerd's
 * "stdin closed", while a reader that no writer has opened yet stays
 * quiet. */
static int
open_input (struct proc *p, husk_error_t *err)
{
  int fd;
  if (p->stdin_path == NULL || *p->stdin_path == '\0')
    return -1;
  fd = open (p->stdin_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open stdin fifo `%s`", p->stdin_path);
  return fd;
}

/* stdin goes through a pipe we pump into, so that the container sees EOF
 * when containerd's writer closes (or on CloseIO), not before it opens. */
static int
stdin_pipe (struct proc *p, husk_error_t *err)
{
  int in = open_input (p, err), pp[2];
  if (in < 0)
    return -1;
  if (pipe2 (pp, O_CLOEXEC) < 0)
    {
      close (in);
      return husk_error (err, errno, "pipe");
    }
  if (pump_new (in, pp[1], &p->pumps[0]) == NULL)
    {
      close (in);
      close (pp[0]);
      close (pp[1]);
      return husk_error (err, errno, "stdin pump");
    }
  return pp[0];
}

void
io_close_fds (int fds[3])
{
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}

int
io_setup (struct proc *p, int fds[3], husk_error_t *err)
{
  fds[0] = fds[1] = fds[2] = -1;
  if (p->terminal)
    return 0;
  fds[0] = p->stdin_path && *p->stdin_path ? stdin_pipe (p, err) : -1;
  if (p->stdin_path && *p->stdin_path && fds[0] < 0)
    return -1;
  if (p->stdout_path && strncmp (p->stdout_path, "binary://", 9) == 0)
    {
      if (io_binary_logger (p->stdout_path, &fds[1], &fds[2], err) < 0)
        goto fail;
      return 0;
    }
  fds[1] = open_output (p->stdout_path, &p->out_hold[0], err);
  if (p->stdout_path && *p->stdout_path && fds[1] < 0)
    goto fail;
  fds[2] = open_output (p->stderr_path, &p->out_hold[1], err);
  if (p->stderr_path && *p->stderr_path && fds[2] < 0)
    goto fail;
  return 0;
fail:
  io_close_fds (fds);
  return -1;
}

int
io_console_socket (char **dir, char **path, int *listen_fd, husk_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char tmpl[] = "/tmp/husk-shim-pty-XXXXXX";
  int fd;
  if (mkdtemp (tmpl) == NULL)
    return husk_error (err, errno, "mkdtemp");
  *dir = shim_strdup (tmpl);
  *path = shim_path (tmpl, "pty.sock");
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", *path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return husk_error (err, e, "console socket `%s`", *path);
    }
  *listen_fd = fd;
  return 0;
}

void
io_console_cleanup (char *dir, char *path, int listen_fd)
{
  if (listen_fd >= 0)
    close (listen_fd);
  if (path)
    unlink (path);
  if (dir)
    rmdir (dir);
  free (path);
  free (dir);
}

static int
recv_fd (int sock, husk_error_t *err)
{
  char data[256];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm;
  int fd;
  if (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC) < 0)
    return husk_error (err, errno, "receive console fd");
  cm = CMSG_FIRSTHDR (&msg);
  if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
    return husk_error (err, EINVAL, "no console fd received");
  memcpy (&fd, CMSG_DATA (cm), sizeof fd);
  return fd;
}

/* The runtime has sent the pty master (during create/exec, which have
 * returned by now): take it and start copying. */
int
io_console_receive (struct proc *p, int listen_fd, husk_error_t *err)
{
  cleanup_close int conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  int out = -1, hold = -1, in;
  if (conn < 0)
    return husk_error (err, errno, "the runtime did not connect to the console socket");
  p->master = recv_fd (conn, err);
  if (p->master < 0)
    return -1;
  if (p->stdout_path && strncmp (p->stdout_path, "binary://", 9) == 0)
    {
      int unused = -1;
      if (io_binary_logger (p->stdout_path, &out, &unused, err) < 0)
        return -1;
      close (unused);
    }
  else
    out = open_output (p->stdout_path, &hold, err);
  if (p->stdout_path && *p->stdout_path && out < 0)
    return -1;
  p->out_hold[0] = hold;
  if (out >= 0 && pump_new (fcntl (p->master, F_DUPFD_CLOEXEC, 3), out, &p->pumps[1]) == NULL)
    return husk_error (err, errno, "console output");
  in = open_input (p, err);
  if (p->stdin_path && *p->stdin_path && in < 0)
    return -1;
  if (in >= 0 && pump_new (in, fcntl (p->master, F_DUPFD_CLOEXEC, 3), &p->pumps[0]) == NULL)
    return husk_error (err, errno, "console input");
  return 0;
}

int
io_resize (struct proc *p, unsigned width, unsigned height, husk_error_t *err)
{
  struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };
  if (p->master < 0)
    return husk_error (err, ENOTTY, "process has no terminal");
  if (ioctl (p->master, TIOCSWINSZ, &ws) < 0)
    return husk_error (err, errno, "resize terminal");
  return 0;
}

void
io_close_stdin (struct proc *p)
{
  if (p->pumps[0])
    pump_free (p->pumps[0]);
}

void
io_drain (struct proc *p)
{
  if (p->pumps[1])
    pump_src_event (&p->pumps[1]->src, EPOLLIN);
}

void
io_release (struct proc *p)
{
  io_close_stdin (p);
  for (int i = 0; i < 2; i++)
    {
      if (p->pumps[1] && i == 0)
        {
          /* flush what the terminal still has before letting go */
          pump_src_event (&p->pumps[1]->src, EPOLLIN);
          if (p->pumps[1])
            pump_free (p->pumps[1]);
        }
      if (p->out_hold[i] >= 0)
        close (p->out_hold[i]);
      p->out_hold[i] = -1;
    }
  if (p->master >= 0)
    close (p->master);
  p->master = -1;
}
