/* Verified procfs handles (CVE-2025-52881 family).

   The proc root comes from a fresh, detached procfs instance
   (fsopen/fsmount: nothing can be mounted over anything in it) when the
   kernel lets us make one, else from "/proc" after checking that it is
   the root of a procfs mount.  Paths are then resolved from that root with
   openat2 RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
   so a bind mount over any component (an overmounted /proc/sys/...)
   fails with EXDEV instead of redirecting the write.  "self" and
   "thread-self" are symlinks, so they are read with readlinkat and
   replaced by the pid they name in that procfs instance.  */

#include "linux/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fs.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define PROC_ROOT_INO 1

static int procfs_mode; /* 0 auto, 1 only the /proc fallback */

void
husk_procfs_force_fallback (bool on)
{
  procfs_mode = on ? 1 : 0;
}

static bool
fd_is_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* A private procfs instance for the caller's pid namespace.  Fails
   (EPERM) in user namespaces whose /proc is partly masked; the caller
   falls back to /proc then.  */
static int
open_fresh_procfs (void)
{
  cleanup_close int fsfd = -1;
  int mfd;

  fsfd = fsopen ("proc", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  return mfd;
}

static int
open_host_procfs (husk_error_t *err)
{
  struct open_how how
      = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  cleanup_close int fd = -1;
  struct stat st;

  fd = (int)syscall (SYS_openat2, AT_FDCWD, "/proc", &how, sizeof how);
  if (fd < 0)
    return husk_error (err, errno, "open `/proc`");
  if (!fd_is_procfs (fd))
    return husk_error (err, EXDEV, "`/proc` is not a procfs mount");
  if (fstat (fd, &st) < 0)
    return husk_error (err, errno, "stat `/proc`");
  /* A bind mount of a procfs subdirectory over /proc is procfs too, but
     its root is not the procfs root inode.  */
  if (st.st_ino != PROC_ROOT_INO)
    return husk_error (err, EXDEV, "`/proc` is not the root of a procfs mount");
  return steal_fd (fd);
}

static int
open_proc_root (husk_error_t *err)
{
  if (procfs_mode == 0)
    {
      int fd = open_fresh_procfs ();
      if (fd >= 0)
        return fd;
    }
  return open_host_procfs (err);
}

static bool
all_digits (const char *s, size_t n)
{
  size_t i;
  if (n == 0)
    return false;
  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* "self" -> "1234", "thread-self" -> "1234/task/1235", as that procfs
   instance sees the caller.  */
static int
resolve_self (int root, const char *link, char *buf, size_t size, husk_error_t *err)
{
  ssize_t n = readlinkat (root, link, buf, size - 1);
  char *slash;
  if (n < 0)
    return husk_error (err, errno, "readlink `/proc/%s`", link);
  buf[n] = '\0';
  slash = strchr (buf, '/');
  if (slash == NULL ? !all_digits (buf, (size_t)n)
                    : !(all_digits (buf, (size_t)(slash - buf)) && strncmp (slash, "/task/", 6) == 0
                        && all_digits (slash + 6, strlen (slash + 6))))
    return husk_error (err, EXDEV, "unexpected `/proc/%s` target `%s`", link, buf);
  return 0;
}

/* Rewrite a leading "self"/"thread-self" component.  */
static int
rewrite_path (int root, const char *path, char **out, husk_error_t *err)
{
  static const char *const links[] = { "thread-self", "self" };
  char target[64];
  size_t i;

  while (*path == '/')
    path++;
  for (i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      size_t l = strlen (links[i]);
      if (strncmp (path, links[i], l) != 0 || (path[l] != '/' && path[l] != '\0'))
        continue;
      if (resolve_self (root, links[i], target, sizeof target, err) < 0)
        return -1;
      if (asprintf (out, "%s%s", target, path + l) < 0)
        return husk_error (err, ENOMEM, "open `/proc/%s`", path);
      return 0;
    }
  *out = strdup (path);
  if (*out == NULL)
    return husk_error (err, ENOMEM, "open `/proc/%s`", path);
  return 0;
}

int
husk_procfs_open (const char *path, int flags, husk_error_t *err)
{
  struct open_how how = { 0 };
  cleanup_close int root = -1;
  cleanup_close int fd = -1;
  cleanup_free char *rel = NULL;

  root = open_proc_root (err);
  if (root < 0)
    return -1;
  if (rewrite_path (root, path, &rel, err) < 0)
    return -1;
  how.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW) & ~(unsigned long long)O_CREAT;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  do
    fd = (int)syscall (SYS_openat2, root, rel, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0 && errno == EXDEV)
    return husk_error (err, EXDEV, "open `/proc/%s`: something is mounted over it", path);
  if (fd < 0)
    return husk_error (err, errno, "open `/proc/%s`", path);
  if (!fd_is_procfs (fd))
    return husk_error (err, EXDEV, "open `/proc/%s`: not on procfs", path);
  return steal_fd (fd);
}

int
husk_procfs_write (const char *path, const char *value, husk_error_t *err)
{
  cleanup_close int fd = husk_procfs_open (path, O_WRONLY, err);
  size_t len = strlen (value);
  ssize_t r;

  if (fd < 0)
    return -1;
  /* One write(): procfs and sysctl files take the value in one call.  */
  do
    r = write (fd, value, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return husk_error (err, errno, "write `%s` to `/proc/%s`", value, path);
  if ((size_t)r != len)
    return husk_error (err, EIO, "short write to `/proc/%s`", path);
  return 0;
}
