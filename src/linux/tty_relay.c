/* Foreground wait and pty relay.
 *
 * The relay is one epoll loop over: a signalfd (every signal, blocked by
 * the caller), the pty master, and our stdin/stdout. Each direction has
 * one buffer that is refilled only when empty, and a side is watched only
 * while it can make progress, so nothing spins: a reader that stops makes
 * us stop reading the other side, never loop. EPOLLHUP cannot be masked,
 * so an fd nobody wants events from is taken out of the set.
 *
 * Our own stdio may be shared with other processes (the user's shell), so
 * O_NONBLOCK is never set on its open file description when avoidable:
 * sockets use MSG_DONTWAIT, other fds are reopened through /proc/self/fd
 * (a fresh description of the same pipe or tty); only when that fails is
 * O_NONBLOCK set, and restored at the end. */
#include "linux/tty_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

#define RELAY_BUF 65536
/* After the process exits, wait this long for the rest of its output when
 * the pty is still held open by someone else (a background child). */
#define DRAIN_QUIET_MS 150
/* ... and at most this long in all, when it keeps writing (`yes &`). */
#define DRAIN_MAX_MS 3000

int
husk_recv_fd (int sock, int *fd, int nonblock, husk_error_t *err)
{
  char data[256], cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  ssize_t r;
  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error (err, errno, "receive the terminal");
  for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN (sizeof (int)))
      {
        memcpy (fd, CMSG_DATA (c), sizeof (int));
        return 0;
      }
  return husk_error (err, 0, "receive the terminal: no file descriptor in the message");
}

int
husk_console_listen (char **path, int *listen_fd, husk_error_t *err)
{
  char dir[] = "/tmp/husk-console-XXXXXX";
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;
  if (mkdtemp (dir) == NULL)
    return husk_error (err, errno, "terminal: create a temporary directory");
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s/console.sock", dir);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      unlink (addr.sun_path);
      rmdir (dir);
      return husk_error (err, e, "terminal: listen on `%s`", addr.sun_path);
    }
  *path = strdup (addr.sun_path);
  *listen_fd = fd;
  return 0;
}

int
husk_console_accept_master (int listen_fd, int *master, husk_error_t *err)
{
  int conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  int r;
  if (conn < 0)
    return husk_error (err, errno, "terminal: the container sent no terminal");
  r = husk_recv_fd (conn, master, 1, err);
  close (conn);
  return r;
}

void
husk_console_unlink (const char *path)
{
  char *dir, *slash;
  if (path == NULL)
    return;
  unlink (path);
  dir = strdup (path);
  if (dir && (slash = strrchr (dir, '/')))
    {
      *slash = '\0';
      rmdir (dir);
    }
  free (dir);
}

void
husk_tty_copy_size (int master)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
    return;
  if (ws.ws_row || ws.ws_col)
    ioctl (master, TIOCSWINSZ, &ws);
}

/* One of our stdio fds as the relay uses it. */
struct end
{
  int fd;           /* -1: closed / not usable */
  bool sock;        /* use recv/send with MSG_DONTWAIT */
  bool pollable;    /* epoll accepts it (regular files and /dev/null do not) */
  bool owned;       /* a reopened copy we close */
  int restore_fl;   /* >= 0: flags to put back with F_SETFL */
  uint32_t watched; /* events registered, 0 = not in the epoll set */
};

struct buf
{
  char *data;
  size_t off, len;
};

struct relay
{
  int ep, sfd, master;
  pid_t pid;
  struct end in, out, mend;
  struct buf to_master, to_out;
  bool in_eof, master_done, master_wdead, exited, abort_drain;
  int status;
  long long exited_at;
  bool raw;
  struct termios saved;
};

static void
open_end (struct end *e, int fd, int mode)
{
  struct stat st;
  char path[32];
  int fl, nfd;
  *e = (struct end){ .fd = -1, .restore_fl = -1 };
  if (fcntl (fd, F_GETFD) < 0 || fstat (fd, &st) < 0)
    return;
  if (S_ISSOCK (st.st_mode))
    {
      *e = (struct end){ .fd = fd, .sock = true, .restore_fl = -1 };
      return;
    }
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  nfd = S_ISREG (st.st_mode) ? -1 : open (path, mode | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (nfd >= 0)
    {
      *e = (struct end){ .fd = nfd, .owned = true, .restore_fl = -1 };
      return;
    }
  e->fd = fd;
  fl = fcntl (fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK) && !S_ISREG (st.st_mode) && fcntl (fd, F_SETFL, fl | O_NONBLOCK) == 0)
    e->restore_fl = fl;
}

static void
close_end (struct end *e)
{
  if (e->fd < 0)
    return;
  if (e->restore_fl >= 0)
    fcntl (e->fd, F_SETFL, e->restore_fl);
  if (e->owned)
    close (e->fd);
  e->fd = -1;
}

/* Add, change or remove fd in the epoll set so that it reports `want`. */
static void
watch (struct relay *r, struct end *e, uint32_t want)
{
  struct epoll_event ev = { .events = want, .data.fd = e->fd };
  if (e->fd < 0 || !e->pollable || want == e->watched)
    return;
  if (want == 0)
    epoll_ctl (r->ep, EPOLL_CTL_DEL, e->fd, NULL);
  else if (epoll_ctl (r->ep, e->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e->fd, &ev) < 0)
    return;
  e->watched = want;
}

static void
probe_pollable (struct relay *r, struct end *e)
{
  struct epoll_event ev = { .events = 0, .data.fd = e->fd };
  if (e->fd < 0)
    return;
  /* EPERM: regular files and devices without poll are always ready. */
  if (epoll_ctl (r->ep, EPOLL_CTL_ADD, e->fd, &ev) == 0)
    {
      epoll_ctl (r->ep, EPOLL_CTL_DEL, e->fd, NULL);
      e->pollable = true;
    }
}

static ssize_t
end_read (struct end *e, void *b, size_t n)
{
  return e->sock ? recv (e->fd, b, n, MSG_DONTWAIT) : read (e->fd, b, n);
}

static ssize_t
end_write (struct end *e, const void *b, size_t n)
{
  return e->sock ? send (e->fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write (e->fd, b, n);
}

static bool
would_block (void)
{
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Reading the pty ended (EIO: every holder of the slave closed it). */
static void
master_finished (struct relay *r)
{
  r->master_done = r->master_wdead = true;
  r->to_master.len = 0;
  watch (r, &r->mend, 0);
}

static void
read_master (struct relay *r)
{
  ssize_t n;
  if (r->master_done || r->to_out.len)
    return;
  n = read (r->master, r->to_out.data, RELAY_BUF);
  if (n > 0)
    r->to_out = (struct buf){ .data = r->to_out.data, .off = 0, .len = (size_t)n };
  else if (n == 0 || !would_block ())
    master_finished (r); /* EIO: every holder of the slave closed it */
}

static void
write_master (struct relay *r)
{
  struct buf *b = &r->to_master;
  ssize_t n;
  if (r->master_wdead || b->len == 0)
    return;
  n = write (r->master, b->data + b->off, b->len);
  if (n > 0)
    b->off += (size_t)n, b->len -= (size_t)n;
  else if (n < 0 && !would_block ())
    {
      /* Input has nowhere to go; output may still be waiting to be read. */
      r->master_wdead = true;
      b->len = 0;
    }
}

static void
read_in (struct relay *r)
{
  ssize_t n;
  if (r->in_eof || r->to_master.len || r->in.fd < 0)
    return;
  n = end_read (&r->in, r->to_master.data, RELAY_BUF);
  if (n > 0)
    {
      if (r->master_wdead)
        return; /* nowhere to go */
      r->to_master = (struct buf){ .data = r->to_master.data, .off = 0, .len = (size_t)n };
    }
  else if (n == 0 || !would_block ())
    {
      /* As runc: end of input is not forwarded (a terminal has no EOF). */
      r->in_eof = true;
      watch (r, &r->in, 0);
    }
}

/* Nobody reads our output any more: hang up the terminal, as a dropped
 * ssh connection would, so the process gets SIGHUP instead of blocking on
 * a full pty forever. */
static void
output_broken (struct relay *r)
{
  r->to_out.len = 0;
  watch (r, &r->out, 0);
  close_end (&r->out);
  if (!r->master_done)
    {
      master_finished (r);
      close (r->master);
      r->master = -1;
    }
}

static void
write_out (struct relay *r)
{
  struct buf *b = &r->to_out;
  ssize_t n;
  if (b->len == 0)
    return;
  if (r->out.fd < 0)
    {
      b->len = 0;
      return;
    }
  n = end_write (&r->out, b->data + b->off, b->len);
  if (n > 0)
    b->off += (size_t)n, b->len -= (size_t)n;
  else if (n < 0 && !would_block ())
    output_broken (r);
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
reap (struct relay *r)
{
  int st;
  pid_t p;
  while ((p = waitpid (-1, &st, WNOHANG)) > 0)
    if (p == r->pid)
      {
        r->exited = true;
        r->exited_at = now_ms ();
        r->status = WIFSIGNALED (st) ? 128 + WTERMSIG (st) : WEXITSTATUS (st);
      }
}

static void
handle_signals (struct relay *r)
{
  struct signalfd_siginfo si;
  while (read (r->sfd, &si, sizeof si) == (ssize_t)sizeof si)
    {
      int sig = (int)si.ssi_signo;
      if (sig == SIGCHLD)
        reap (r);
      else if (sig == SIGWINCH)
        {
          if (r->master >= 0)
            husk_tty_copy_size (r->master);
        }
      else if (sig == SIGPIPE && (pid_t)si.ssi_pid == getpid ())
        ; /* our own write to a closed pipe: handled where it happened */
      else if (r->exited)
        r->abort_drain = sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
      else
        kill (r->pid, sig);
    }
}

static void
set_raw (struct relay *r)
{
  struct termios t;
  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &r->saved) < 0)
    return;
  t = r->saved;
  cfmakeraw (&t);
  /* Keep output processing off too: the container's pty already did it. */
  if (tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0)
    r->raw = true;
}

static int
relay_setup (struct relay *r, husk_error_t *err)
{
  sigset_t all;
  sigfillset (&all);
  r->sfd = signalfd (-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
  r->ep = epoll_create1 (EPOLL_CLOEXEC);
  if (r->sfd < 0 || r->ep < 0)
    return husk_error (err, errno, "foreground: signalfd/epoll");
  r->mend = (struct end){ .fd = r->sfd, .pollable = true, .restore_fl = -1 };
  watch (r, &r->mend, EPOLLIN);
  r->mend = (struct end){ .fd = r->master, .pollable = true, .restore_fl = -1 };
  if (r->master < 0)
    return 0;
  r->to_master.data = malloc (RELAY_BUF);
  r->to_out.data = malloc (RELAY_BUF);
  if (r->to_master.data == NULL || r->to_out.data == NULL)
    return husk_error (err, ENOMEM, "foreground: relay buffers");
  fcntl (r->master, F_SETFL, fcntl (r->master, F_GETFL) | O_NONBLOCK);
  open_end (&r->in, STDIN_FILENO, O_RDONLY);
  open_end (&r->out, STDOUT_FILENO, O_WRONLY);
  probe_pollable (r, &r->in);
  probe_pollable (r, &r->out);
  if (r->in.fd < 0)
    r->in_eof = true;
  set_raw (r);
  return 0;
}

static void
relay_teardown (struct relay *r)
{
  if (r->raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &r->saved);
  close_end (&r->in);
  close_end (&r->out);
  if (r->master >= 0)
    close (r->master);
  if (r->sfd >= 0)
    close (r->sfd);
  if (r->ep >= 0)
    close (r->ep);
  free (r->to_master.data);
  free (r->to_out.data);
}

static bool
finished (struct relay *r)
{
  if (!r->exited)
    return false;
  if (r->abort_drain || r->master < 0)
    return true;
  return r->master_done && r->to_out.len == 0;
}

/* Progress on the sides epoll cannot watch (always ready). */
static bool
unpollable_step (struct relay *r)
{
  bool progress = false;
  if (r->in.fd >= 0 && !r->in.pollable && !r->in_eof && r->to_master.len == 0)
    {
      read_in (r);
      progress = true;
    }
  if (r->out.fd >= 0 && !r->out.pollable && r->to_out.len)
    {
      write_out (r);
      progress = true;
    }
  return progress;
}

static void
update_watches (struct relay *r)
{
  uint32_t m = 0;
  if (r->master >= 0 && !r->master_done)
    m = (r->to_out.len ? 0 : EPOLLIN) | (r->to_master.len && !r->master_wdead ? EPOLLOUT : 0);
  watch (r, &r->mend, m);
  watch (r, &r->in, (!r->in_eof && r->to_master.len == 0 && !r->master_wdead) ? EPOLLIN : 0);
  watch (r, &r->out, r->to_out.len ? EPOLLOUT : 0);
}

static void
dispatch (struct relay *r, const struct epoll_event *ev)
{
  int fd = ev->data.fd;
  if (fd == r->sfd)
    handle_signals (r);
  else if (fd == r->master && r->master >= 0)
    {
      if (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
        write_master (r);
      if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        read_master (r);
    }
  else if (fd == r->in.fd)
    read_in (r);
  else if (fd == r->out.fd)
    write_out (r);
}

static int
relay_loop (struct relay *r)
{
  reap (r); /* it may have exited before we got here */
  while (!finished (r))
    {
      struct epoll_event evs[8];
      int timeout = -1, n;
      bool quiet_wait;
      if (unpollable_step (r))
        timeout = 0;
      if (r->exited && !r->master_done && now_ms () - r->exited_at > DRAIN_MAX_MS)
        master_finished (r); /* stop reading; what we have still goes out */
      update_watches (r);
      /* Exited, output flushed, pty still open elsewhere: a short grace. */
      quiet_wait = r->exited && r->to_out.len == 0 && timeout < 0;
      if (quiet_wait)
        timeout = DRAIN_QUIET_MS;
      n = epoll_wait (r->ep, evs, 8, timeout);
      if (n < 0 && errno != EINTR)
        break;
      if (n == 0 && quiet_wait)
        break;
      for (int i = 0; i < n; i++)
        dispatch (r, &evs[i]);
    }
  return r->status;
}

int
husk_foreground_wait (int master, pid_t pid, husk_error_t *err)
{
  struct relay r = { .ep = -1, .sfd = -1, .master = master, .pid = pid };
  int status = -1;
  r.in = r.out = (struct end){ .fd = -1, .restore_fl = -1 };
  if (relay_setup (&r, err) == 0)
    status = relay_loop (&r);
  relay_teardown (&r);
  return status;
}
