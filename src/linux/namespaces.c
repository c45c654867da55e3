#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/fs.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void
husk_ns_close (int fds[HUSK_NS_COUNT])
{
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    if (fds[t] >= 0)
      {
        close (fds[t]);
        fds[t] = -1;
      }
}

static int
check_ns_fd (int fd, enum husk_ns_type t, const char *path, husk_error_t *err)
{
  struct statfs sfs;
  int type;
  if (fstatfs (fd, &sfs) < 0)
    return husk_error (err, errno, "linux.namespaces: statfs `%s`", path);
  if (sfs.f_type != NSFS_MAGIC)
    return husk_error (err, 0, "linux.namespaces: `%s` is not a namespace (type %s)", path, husk_ns_name (t));
  type = ioctl (fd, NS_GET_NSTYPE);
  if (type >= 0 && type != husk_ns_clone_flag (t))
    return husk_error (err, 0, "linux.namespaces: `%s` is not a %s namespace", path, husk_ns_name (t));
  return 0;
}

int
husk_ns_open_paths (const struct husk_config *cfg, int fds[HUSK_NS_COUNT], husk_error_t *err)
{
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    fds[t] = -1;
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    {
      const char *path = cfg->ns[t].path;
      if (!cfg->ns[t].present || path == NULL)
        continue;
      fds[t] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[t] < 0)
        {
          int e = errno;
          husk_ns_close (fds);
          return husk_error (err, e, "linux.namespaces: open %s namespace `%s`", husk_ns_name (t), path);
        }
      if (check_ns_fd (fds[t], t, path, err) < 0)
        {
          husk_ns_close (fds);
          return -1;
        }
    }
  return 0;
}

int
husk_ns_join (int fds[HUSK_NS_COUNT], husk_error_t *err)
{
  static const enum husk_ns_type order[] = { HUSK_NS_USER, HUSK_NS_IPC,    HUSK_NS_UTS,  HUSK_NS_NET,
                                             HUSK_NS_PID,  HUSK_NS_CGROUP, HUSK_NS_TIME, HUSK_NS_MOUNT };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    {
      enum husk_ns_type t = order[i];
      if (fds[t] < 0)
        continue;
      if (setns (fds[t], husk_ns_clone_flag (t)) < 0)
        return husk_error (err, errno, "join %s namespace", husk_ns_name (t));
    }
  return 0;
}

int
husk_ns_clone_flags (const struct husk_config *cfg)
{
  int flags = 0;
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    if (t != HUSK_NS_TIME && t != HUSK_NS_CGROUP && husk_ns_is_new (cfg, t))
      flags |= husk_ns_clone_flag (t);
  return flags;
}

int
husk_ns_unshare_time (const struct husk_config *cfg, husk_error_t *err)
{
  char buf[128];
  int n;
  if (unshare (CLONE_NEWTIME) < 0)
    return husk_error (err, errno, "create time namespace");
  if (!cfg->time_monotonic.present && !cfg->time_boottime.present)
    return 0;
  n = snprintf (buf, sizeof buf, "monotonic %lld %u\nboottime %lld %u\n", (long long)cfg->time_monotonic.secs,
                cfg->time_monotonic.nanosecs, (long long)cfg->time_boottime.secs,
                cfg->time_boottime.nanosecs);
  if (husk_write_existing_at (AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
    return husk_error_prefix (err, "linux.timeOffsets");
  return 0;
}
