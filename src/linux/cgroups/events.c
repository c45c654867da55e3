/* OOM notification for `events`, and driver selection. */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

int
husk_cgroup_oom_watch (struct husk_cgroup *cg, int *fd, husk_error_t *err)
{
  *fd = -1;
  if (cg->layout == HUSK_CG_V2)
    {
      const char *d = husk_cg_dir_v2 (cg);
      cleanup_free char *path = NULL;
      if (d == NULL || asprintf (&path, "%s/memory.events", d) < 0)
        return husk_error (err, ENOENT, "the container has no memory cgroup");
      cleanup_close int in = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (in < 0)
        return husk_error (err, errno, "inotify_init1");
      if (inotify_add_watch (in, path, IN_MODIFY) < 0)
        return husk_error (err, errno, "watch `%s`", path);
      *fd = steal_fd (in);
      return 0;
    }
  const char *d = husk_cg_dir_v1 (cg, "memory");
  if (d == NULL)
    return husk_error (err, ENOENT, "the container has no memory cgroup");
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/memory.oom_control", d) < 0)
    return husk_error (err, ENOMEM, "oom");
  cleanup_close int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  cleanup_close int ofd = open (path, O_RDONLY | O_CLOEXEC);
  if (efd < 0 || ofd < 0)
    return husk_error (err, errno, "open `%s`", path);
  /* cgroup.event_control takes "<eventfd> <fd of memory.oom_control>". */
  if (husk_cg_writef (d, "cgroup.event_control", err, "%d %d", efd, ofd) < 0)
    return -1;
  *fd = steal_fd (efd);
  return 0;
}

uint64_t
husk_cgroup_oom_ack (int fd)
{
  union
  {
    uint64_t count;
    char buf[4096];
  } u;
  uint64_t total = 0;
  ssize_t n;
  /* An eventfd read gives exactly its 8-byte counter; inotify gives events. */
  while ((n = read (fd, u.buf, sizeof (u.buf))) > 0)
    if (n == sizeof (uint64_t))
      total += u.count;
  return total;
}

int
husk_cgroup_check_driver (bool systemd, husk_error_t *err)
{
  if (!systemd)
    return 0;
  if (access ("/run/systemd/system", F_OK) == 0)
    return husk_error (err, ENOTSUP,
                       "--systemd-cgroup: the systemd cgroup driver is not implemented yet; "
                       "use the cgroupfs driver (drop --systemd-cgroup)");
  return husk_error (err, ENOTSUP,
                     "--systemd-cgroup: the systemd cgroup driver needs a running systemd, "
                     "and this host has none (/run/systemd/system is missing)");
}

const char *
husk_cgroup_host_layout (void)
{
  struct husk_cg_layout_info l;
  husk_error_t e = NULL;
  if (husk_cg_layout_detect (&l, &e) < 0)
    {
      husk_error_free (&e);
      return "none";
    }
  enum husk_cg_layout k = l.layout;
  husk_cg_layout_free (&l);
  return husk_cg_layout_name (k);
}
