/* Mount primitives over the new mount API, and the resolution of mount
 * targets inside the rootfs (see rootfs_internal.h for why). */
#include "linux/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fs.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int
husk_rootfs_openat (int rootfd, const char *path, int flags, mode_t mode)
{
  struct open_how how = { 0 };
  int fd;
  how.flags = (unsigned long long)(flags | O_CLOEXEC);
  if (flags & O_CREAT)
    how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  do
    fd = (int)syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

/* A missing component that is a dangling symlink: create what it points
 * to, resolved the way RESOLVE_IN_ROOT would (absolute from the root,
 * ".." stopping at the root). */
static int mkdir_p_depth (int rootfd, const char *path, mode_t mode, int depth, husk_error_t *err);

static int
mkdir_link_target (int rootfd, int dirfd, const char *dir, const char *name, mode_t mode, int depth,
                   husk_error_t *err)
{
  char target[PATH_MAX];
  cleanup_free char *full = NULL;
  int fd;
  ssize_t n = readlinkat (dirfd, name, target, sizeof target - 1);
  if (n < 0)
    return husk_error (err, errno, "mkdir `%s/%s` inside the rootfs", dir, name);
  target[n] = '\0';
  if (depth >= 40)
    return husk_error (err, ELOOP, "mkdir `%s/%s` inside the rootfs", dir, name);
  if (target[0] == '/')
    full = strdup (target);
  else if (asprintf (&full, "%s/%s", dir, target) < 0)
    full = NULL;
  if (full == NULL)
    return husk_error (err, ENOMEM, "mkdir");
  fd = mkdir_p_depth (rootfd, full, mode, depth + 1, err);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

static int
mkdir_p_depth (int rootfd, const char *path, mode_t mode, int depth, husk_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  cleanup_free char *prefix = calloc (1, strlen (path) + 2);
  cleanup_close int cur = -1;
  char *save = NULL, *tok;
  if (copy == NULL || prefix == NULL)
    return husk_error (err, ENOMEM, "mkdir `%s`", path);
  cur = husk_rootfs_openat (rootfd, "/", O_PATH | O_DIRECTORY, 0);
  if (cur < 0)
    return husk_error (err, errno, "open the rootfs");
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      size_t plen = strlen (prefix);
      int next;
      if (strcmp (tok, ".") == 0)
        continue;
      strcat (strcat (prefix, "/"), tok);
      next = husk_rootfs_openat (rootfd, prefix, O_PATH | O_DIRECTORY, 0);
      if (next < 0 && errno == ENOENT)
        {
          if (mkdirat (cur, tok, mode) < 0 && errno != EEXIST)
            return husk_error (err, errno, "mkdir `%s` inside the rootfs", prefix);
          if (errno == EEXIST)
            {
              prefix[plen] = '\0';
              if (mkdir_link_target (rootfd, cur, *prefix ? prefix : "/", tok, mode, depth, err) < 0)
                return -1;
              strcat (strcat (prefix, "/"), tok);
            }
          next = husk_rootfs_openat (rootfd, prefix, O_PATH | O_DIRECTORY, 0);
        }
      if (next < 0)
        return husk_error (err, errno, "open `%s` inside the rootfs", prefix);
      close (cur);
      cur = next;
    }
  return steal_fd (cur);
}

int
husk_rootfs_mkdir_p (int rootfd, const char *path, mode_t mode, husk_error_t *err)
{
  return mkdir_p_depth (rootfd, path, mode, 0, err);
}

static int
create_file_target (int rootfd, const char *dest, int depth, husk_error_t *err)
{
  cleanup_free char *dir = strdup (dest), *base = strdup (dest), *full = NULL;
  cleanup_close int parent = -1;
  char target[PATH_MAX];
  const char *dname;
  ssize_t n;
  int fd;
  if (dir == NULL || base == NULL)
    return husk_error (err, ENOMEM, "create `%s`", dest);
  dname = dirname (dir);
  parent = husk_rootfs_mkdir_p (rootfd, dname, 0755, err);
  if (parent < 0)
    return -1;
  /* O_CREAT follows a dangling symlink, but RESOLVE_IN_ROOT keeps even
   * that inside the rootfs. */
  fd = husk_rootfs_openat (rootfd, dest, O_RDONLY | O_CREAT | O_NOCTTY, 0644);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : husk_error (err, errno, "create `%s` inside the rootfs", dest);
  /* A dangling symlink into a missing directory: create its target. */
  n = readlinkat (parent, basename (base), target, sizeof target - 1);
  if (n < 0 || depth >= 40)
    return husk_error (err, n < 0 ? ENOENT : ELOOP, "create `%s` inside the rootfs", dest);
  target[n] = '\0';
  if (asprintf (&full, "%s/%s", target[0] == '/' ? "" : dname, target) < 0)
    return husk_error (err, ENOMEM, "create `%s`", dest);
  fd = create_file_target (rootfd, full, depth + 1, err);
  if (fd < 0)
    return -1;
  close (fd);
  fd = husk_rootfs_openat (rootfd, dest, O_PATH, 0);
  return fd >= 0 ? fd : husk_error (err, errno, "open `%s` inside the rootfs", dest);
}

int
husk_rootfs_target (int rootfd, const char *dest, bool file, husk_error_t *err)
{
  int fd = husk_rootfs_openat (rootfd, dest, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return husk_error (err, errno, "open `%s` inside the rootfs", dest);
  if (file)
    return create_file_target (rootfd, dest, 0, err);
  return husk_rootfs_mkdir_p (rootfd, dest, 0755, err);
}

/* MS_* bits to MOUNT_ATTR_* for the flags that are per-mount. */
void
husk_ms_to_attr (unsigned long set, unsigned long clr, unsigned long long *aset, unsigned long long *aclr)
{
  static const struct
  {
    unsigned long ms;
    unsigned long long attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  size_t i;
  *aset = *aclr = 0;
  for (i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    {
      if (set & map[i].ms)
        *aset |= map[i].attr;
      else if (clr & map[i].ms)
        *aclr |= map[i].attr;
    }
  /* One atime mode; clearing a mode returns to the default (relatime),
   * "norelatime" means strictatime as in mount(8). */
  if (set & MS_NOATIME)
    *aset |= MOUNT_ATTR_NOATIME, *aclr |= MOUNT_ATTR__ATIME;
  else if (set & MS_STRICTATIME)
    *aset |= MOUNT_ATTR_STRICTATIME, *aclr |= MOUNT_ATTR__ATIME;
  else if (set & MS_RELATIME)
    *aset |= MOUNT_ATTR_RELATIME, *aclr |= MOUNT_ATTR__ATIME;
  else if (clr & MS_RELATIME)
    *aset |= MOUNT_ATTR_STRICTATIME, *aclr |= MOUNT_ATTR__ATIME;
  else if (clr & (MS_NOATIME | MS_STRICTATIME))
    *aset |= MOUNT_ATTR_RELATIME, *aclr |= MOUNT_ATTR__ATIME;
}

int
husk_mount_setattr (int mntfd, bool recursive, unsigned long long set, unsigned long long clr,
                    unsigned long long propagation, husk_error_t *err)
{
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr, .propagation = propagation };
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (set == 0 && clr == 0 && propagation == 0)
    return 0;
  if (mount_setattr (mntfd, "", flags, &attr, sizeof attr) < 0)
    return husk_error (err, errno, "mount_setattr");
  return 0;
}

/* Everything after the mount exists: recursive attrs before attaching,
 * propagation after (it concerns the mount's place in the tree). */
int
husk_mount_attach (int mntfd, int targetfd, const struct husk_mount_flags *f, husk_error_t *err)
{
  if (husk_mount_setattr (mntfd, true, f->attr_set, f->attr_clr, 0, err) < 0)
    return husk_error_prefix (err, "set recursive mount attributes");
  if (move_mount (mntfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return husk_error (err, errno, "move_mount");
  if (f->propagation
      && husk_mount_setattr (mntfd, (f->propagation & MS_REC) != 0, 0, 0, f->propagation & ~MS_REC, err) < 0)
    return husk_error_prefix (err, "set mount propagation");
  return 0;
}

/* The kernel explains fsconfig failures in the context's log. */
static int
fs_error (int fsfd, int errno_, const char *what, const char *type, husk_error_t *err)
{
  char buf[256];
  ssize_t n = read (fsfd, buf, sizeof buf - 1);
  if (n > 2)
    {
      buf[n] = '\0';
      buf[strcspn (buf, "\n")] = '\0';
      return husk_error (err, errno_, "%s `%s` (%s)", what, type, buf + 2);
    }
  return husk_error (err, errno_, "%s `%s`", what, type);
}

static int
fs_config_data (int fsfd, const char *type, const char *data, husk_error_t *err)
{
  cleanup_free char *copy = data ? strdup (data) : NULL;
  char *save = NULL, *tok;
  if (data == NULL)
    return 0;
  if (copy == NULL)
    return husk_error (err, ENOMEM, "mount data");
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (tok, '=');
      int r;
      if (eq)
        {
          *eq = '\0';
          r = fsconfig (fsfd, FSCONFIG_SET_STRING, tok, eq + 1, 0);
        }
      else
        r = fsconfig (fsfd, FSCONFIG_SET_FLAG, tok, NULL, 0);
      if (r < 0)
        return fs_error (fsfd, errno, "option for", type, err);
    }
  return 0;
}

/* Superblock flags in the words the VFS parses itself. */
static int
fs_config_sb_flags (int fsfd, const char *type, unsigned long flags, husk_error_t *err)
{
  static const struct
  {
    unsigned long ms;
    const char *name;
  } map[] = {
    { MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_LAZYTIME, "lazytime" }
  };
  size_t i;
  for (i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if ((flags & map[i].ms) && fsconfig (fsfd, FSCONFIG_SET_FLAG, map[i].name, NULL, 0) < 0)
      return fs_error (fsfd, errno, "option for", type, err);
  return 0;
}

int
husk_mount_fs_new (const char *type, const char *source, const struct husk_mount_flags *f, husk_error_t *err)
{
  cleanup_close int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  int mntfd;
  unsigned long long aset, aclr;
  if (fsfd < 0)
    return husk_error (err, errno, "fsopen `%s`", type);
  if (source && *source && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return fs_error (fsfd, errno, "source for", type, err);
  if (fs_config_sb_flags (fsfd, type, f->flags, err) < 0 || fs_config_data (fsfd, type, f->data, err) < 0)
    return -1;
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, errno, "create", type, err);
  husk_ms_to_attr (f->flags, 0, &aset, &aclr);
  mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned)aset);
  if (mntfd < 0)
    return fs_error (fsfd, errno, "fsmount", type, err);
  return mntfd;
}

int
husk_mount_fs_at (int targetfd, const char *type, const char *source, const struct husk_mount_flags *f,
                  husk_error_t *err)
{
  cleanup_close int mntfd = husk_mount_fs_new (type, source, f, err);
  if (mntfd < 0 || husk_mount_attach (mntfd, targetfd, f, err) < 0)
    return -1;
  return steal_fd (mntfd);
}

int
husk_mount_bind_at (int targetfd, int dirfd, const char *path, const struct husk_mount_flags *f,
                    husk_error_t *err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  cleanup_close int mntfd = -1;
  unsigned long long aset, aclr;
  if (f->recursive)
    flags |= AT_RECURSIVE;
  if (*path == '\0')
    flags |= AT_EMPTY_PATH;
  mntfd = open_tree (dirfd, path, flags);
  if (mntfd < 0)
    return husk_error (err, errno, "open_tree `%s`", *path ? path : "(fd)");
  /* A bind copies the source's flags; only the top mount takes the
   * plain options, as with runc's MS_REMOUNT|MS_BIND. */
  husk_ms_to_attr (f->flags, f->clear, &aset, &aclr);
  if (husk_mount_setattr (mntfd, false, aset, aclr, 0, err) < 0)
    return husk_error_prefix (err, "set bind mount options");
  if (husk_mount_attach (mntfd, targetfd, f, err) < 0)
    return -1;
  return steal_fd (mntfd);
}

char *
husk_rootfs_fd_path (const struct husk_rootfs_ctx *ctx, int fd)
{
  char link[32], buf[4096];
  size_t rl = strlen (ctx->root_real);
  ssize_t n = readlink (husk_proc_fd_path (fd, link), buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  if (rl == 1)
    return strdup (buf);
  if (strncmp (buf, ctx->root_real, rl) != 0 || (buf[rl] != '/' && buf[rl] != '\0'))
    return NULL;
  return strdup (buf[rl] ? buf + rl : "/");
}
