/* maskedPaths and readonlyPaths, after pivot_root.
 *
 * CVE-2025-31133: files are masked with the container's /dev/null, which
 * the container controls. It is opened once, checked to be the real null
 * device (char 1:3 on a devtmpfs/tmpfs or on the root filesystem), and
 * that very inode is bind-mounted through its fd; a /dev/null swapped for
 * a symlink to /proc/sys/kernel/core_pattern, or overmounted, is refused
 * instead of being mounted writable over the masked path. */
#include "linux/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/fs.h"

static int
open_dev_null (int rootfd, husk_error_t *err)
{
  struct stat st;
  struct statfs sfs, rootsfs;
  cleanup_close int fd = husk_rootfs_openat (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0);
  if (fd < 0)
    return husk_error (err, errno, "open the container's /dev/null");
  if (fstat (fd, &st) < 0 || fstatfs (fd, &sfs) < 0 || fstatfs (rootfd, &rootsfs) < 0)
    return husk_error (err, errno, "stat the container's /dev/null");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return husk_error (err, EPERM, "the container's /dev/null is not the null device (char 1:3)");
  if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != rootsfs.f_type)
    return husk_error (err, EPERM, "the container's /dev/null is on an unexpected filesystem (0x%lx)",
                       (unsigned long)sfs.f_type);
  return steal_fd (fd);
}

static int
mask_one (int rootfd, int *nullfd, const char *path, husk_error_t *err)
{
  struct husk_mount_flags f = { 0 };
  struct stat st;
  cleanup_close int target = husk_rootfs_openat (rootfd, path, O_PATH, 0);
  cleanup_close int mntfd = -1;
  if (target < 0)
    return errno == ENOENT ? 0 : husk_error (err, errno, "open `%s`", path);
  if (fstat (target, &st) < 0)
    return husk_error (err, errno, "stat `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      f.flags = MS_RDONLY;
      mntfd = husk_mount_fs_at (target, "tmpfs", "tmpfs", &f, err);
      return mntfd < 0 ? -1 : 0;
    }
  if (*nullfd < 0 && (*nullfd = open_dev_null (rootfd, err)) < 0)
    return -1;
  mntfd = husk_mount_bind_at (target, *nullfd, "", &f, err);
  return mntfd < 0 ? -1 : 0;
}

int
husk_rootfs_mask_paths (int rootfd, char *const *paths, husk_error_t *err)
{
  int nullfd = -1, r = 0;
  size_t i;
  for (i = 0; paths && paths[i] && r == 0; i++)
    if ((r = mask_one (rootfd, &nullfd, paths[i], err)) < 0)
      husk_error_prefix (err, "mask `%s`", paths[i]);
  if (nullfd >= 0)
    close (nullfd);
  return r;
}

/* A recursive bind of the path onto itself, read-only all the way down;
 * nosuid, nodev, noexec and atime of the original stay as they were. */
static int
readonly_one (int rootfd, const char *path, husk_error_t *err)
{
  /* Only the recursive attribute: it covers the top mount too. */
  struct husk_mount_flags f = { .attr_set = MOUNT_ATTR_RDONLY, .recursive = true };
  cleanup_close int target = husk_rootfs_openat (rootfd, path, O_PATH, 0);
  cleanup_close int mntfd = -1;
  if (target < 0)
    return errno == ENOENT ? 0 : husk_error (err, errno, "open `%s`", path);
  mntfd = husk_mount_bind_at (target, target, "", &f, err);
  return mntfd < 0 ? -1 : 0;
}

int
husk_rootfs_readonly_paths (int rootfd, char *const *paths, husk_error_t *err)
{
  size_t i;
  for (i = 0; paths && paths[i]; i++)
    if (readonly_one (rootfd, paths[i], err) < 0)
      return husk_error_prefix (err, "make `%s` read-only", paths[i]);
  return 0;
}
