#include "shim/loop.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <unistd.h>

static int epfd = -1;
static bool quit;

int
shim_loop_init (void)
{
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  return epfd < 0 ? -1 : 0;
}

int
shim_loop_add (struct shim_watch *w, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };
  return epoll_ctl (epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

int
shim_loop_mod (struct shim_watch *w, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };
  return epoll_ctl (epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void
shim_loop_del (struct shim_watch *w)
{
  if (w->fd >= 0)
    epoll_ctl (epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void
shim_loop_quit (void)
{
  quit = true;
}

/* One event per epoll_wait: a handler may free other watches, and with a
 * single event in hand no stale pointer can be dispatched afterwards. */
int
shim_loop_run (void)
{
  while (!quit)
    {
      struct epoll_event ev;
      int n = epoll_wait (epfd, &ev, 1, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 1)
        {
          struct shim_watch *w = ev.data.ptr;
          w->cb (w, ev.events);
        }
    }
  return 0;
}

int
shim_loop_once (int timeout_ms)
{
  struct epoll_event ev;
  int n = epoll_wait (epfd, &ev, 1, timeout_ms);
  if (n == 1)
    {
      struct shim_watch *w = ev.data.ptr;
      w->cb (w, ev.events);
    }
  return n;
}
