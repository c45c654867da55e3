/* One entry of config.json "mounts": bind mounts, fresh filesystems,
 * remounts and tmpcopyup, with runc's checks on /proc targets. */
#include "linux/rootfs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/fs.h"

static bool
is_type (const struct husk_mount *m, const char *t)
{
  return m->type && strcmp (m->type, t) == 0;
}

/* Files under /proc that may be overmounted (lxcfs emulates them). */
static const char *const proc_allowed[] = {
  "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",  "/proc/stat",    "/proc/swaps",
  "/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo", "/proc/net/dev", NULL,
};

static bool
is_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* CVE-2019-16884: only procfs may sit on /proc, and nothing may cover a
 * procfs file (e.g. /proc/self/attr) except the lxcfs ones. */
static int
check_proc_target (struct husk_rootfs_ctx *ctx, int targetfd, bool source_is_proc, husk_error_t *err)
{
  cleanup_free char *p = husk_rootfs_fd_path (ctx, targetfd);
  size_t i;
  bool under = p && strncmp (p, "/proc/", 6) == 0;
  if (p && strcmp (p, "/proc") == 0)
    {
      if (source_is_proc)
        return 0;
      return husk_error (err, EPERM, "`/proc` cannot be mounted because it is not of type proc");
    }
  if (!under && !is_procfs (targetfd))
    return 0;
  for (i = 0; p && proc_allowed[i]; i++)
    if (strcmp (p, proc_allowed[i]) == 0)
      return 0;
  return husk_error (err, EPERM, "`%s` cannot be mounted because it is inside /proc", p ? p : "?");
}

static int
mount_bind_entry (struct husk_rootfs_ctx *ctx, const struct husk_mount *m, struct husk_mount_flags *f,
                  husk_error_t *err)
{
  struct stat st;
  struct statfs sfs;
  cleanup_close int targetfd = -1;
  cleanup_close int mntfd = -1;
  cleanup_free char *rel = NULL;
  const char *src = m->source;
  if (src == NULL || *src == '\0')
    return husk_error (err, EINVAL, "bind mount without a source");
  if (src[0] != '/' && ctx->opts->bundle)
    {
      if (asprintf (&rel, "%s/%s", ctx->opts->bundle, src) < 0)
        return husk_error (err, ENOMEM, "bind source");
      src = rel;
    }
  if (stat (src, &st) < 0)
    return husk_error (err, errno, "bind source `%s`", src);
  targetfd = husk_rootfs_target (ctx->rootfd, m->destination, !S_ISDIR (st.st_mode), err);
  if (targetfd < 0)
    return -1;
  if (check_proc_target (ctx, targetfd, statfs (src, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC, err) < 0)
    return -1;
  mntfd = husk_mount_bind_at (targetfd, AT_FDCWD, src, f, err);
  return mntfd < 0 ? -1 : 0;
}

static int
reconfigure_data (int targetfd, const char *data, husk_error_t *err)
{
  cleanup_close int fsfd = fspick (targetfd, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
  cleanup_free char *copy = strdup (data);
  char *save = NULL, *tok;
  if (fsfd < 0 || copy == NULL)
    return husk_error (err, fsfd < 0 ? errno : ENOMEM, "fspick");
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (tok, '=');
      if (eq)
        *eq++ = '\0';
      if (fsconfig (fsfd, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, tok, eq, 0) < 0)
        return husk_error (err, errno, "remount option `%s`", tok);
    }
  if (fsconfig (fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
    return husk_error (err, errno, "remount");
  return 0;
}

/* "remount": change the mount already at the target; its own flags stay
 * unless an option names them. */
static int
remount_entry (int targetfd, const struct husk_mount_flags *f, husk_error_t *err)
{
  unsigned long long set, clr;
  if (f->data && reconfigure_data (targetfd, f->data, err) < 0)
    return -1;
  husk_ms_to_attr (f->flags, f->clear, &set, &clr);
  if (husk_mount_setattr (targetfd, false, set, clr, 0, err) < 0
      || husk_mount_setattr (targetfd, true, f->attr_set, f->attr_clr, 0, err) < 0)
    return husk_error_prefix (err, "remount");
  if (f->propagation)
    return husk_mount_setattr (targetfd, (f->propagation & MS_REC) != 0, 0, 0, f->propagation & ~MS_REC, err);
  return 0;
}

/* "remount" changes a mount an earlier entry made; the target must be
 * there already. */
static int
remount_at (struct husk_rootfs_ctx *ctx, const struct husk_mount *m, const struct husk_mount_flags *f,
            husk_error_t *err)
{
  cleanup_close int targetfd = husk_rootfs_openat (ctx->rootfd, m->destination, O_PATH, 0);
  if (targetfd < 0)
    return husk_error (err, errno, "remount: open `%s` inside the rootfs", m->destination);
  if (check_proc_target (ctx, targetfd, is_type (m, "proc"), err) < 0)
    return -1;
  return remount_entry (targetfd, f, err);
}

static int copy_tree (int src, int dst, husk_error_t *err);

static int
copy_entry (int src, int dst, const char *name, const struct stat *st, husk_error_t *err)
{
  if (S_ISDIR (st->st_mode))
    {
      cleanup_close int s = -1, d = -1;
      if (mkdirat (dst, name, st->st_mode & 07777) < 0 && errno != EEXIST)
        return husk_error (err, errno, "mkdir `%s`", name);
      s = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      d = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return husk_error (err, errno, "open `%s`", name);
      return copy_tree (s, d, err);
    }
  if (S_ISLNK (st->st_mode))
    {
      char target[4096];
      ssize_t n = readlinkat (src, name, target, sizeof target - 1);
      if (n < 0)
        return husk_error (err, errno, "readlink `%s`", name);
      target[n] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return husk_error (err, errno, "symlink `%s`", name);
      return 0;
    }
  if (S_ISREG (st->st_mode))
    {
      cleanup_close int s = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
      off_t left = st->st_size;
      if (s < 0 || d < 0)
        return husk_error (err, errno, "copy `%s`", name);
      while (left > 0)
        {
          ssize_t n = sendfile (d, s, NULL, (size_t)left);
          if (n <= 0)
            return husk_error (err, n < 0 ? errno : EIO, "copy `%s`", name);
          left -= n;
        }
      return 0;
    }
  if (mknodat (dst, name, st->st_mode, st->st_rdev) < 0)
    return husk_error (err, errno, "mknod `%s`", name);
  return 0;
}

/* tmpcopyup: what was in the directory shows through the new tmpfs. */
static int
copy_tree (int src, int dst, husk_error_t *err)
{
  DIR *d = fdopendir (dup (src));
  struct dirent *de;
  int r = 0;
  if (d == NULL)
    return husk_error (err, errno, "opendir");
  while (r == 0 && (de = readdir (d)))
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        r = husk_error (err, errno, "stat `%s`", de->d_name);
      else if ((r = copy_entry (src, dst, de->d_name, &st, err)) == 0)
        {
          if (fchownat (dst, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
            r = husk_error (err, errno, "chown `%s`", de->d_name);
          else if (!S_ISLNK (st.st_mode) && fchmodat (dst, de->d_name, st.st_mode & 07777, 0) < 0)
            r = husk_error (err, errno, "chmod `%s`", de->d_name);
        }
    }
  closedir (d);
  return r;
}

static int
mount_copyup (int targetfd, const struct husk_mount *m, const struct husk_mount_flags *f, husk_error_t *err)
{
  cleanup_close int mntfd = husk_mount_fs_new (m->type, m->source, f, err);
  cleanup_close int src = -1, dst = -1;
  if (mntfd < 0)
    return -1;
  src = openat (targetfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dst = openat (mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return husk_error (err, errno, "tmpcopyup: open");
  if (copy_tree (src, dst, err) < 0)
    return husk_error_prefix (err, "tmpcopyup");
  return husk_mount_attach (mntfd, targetfd, f, err);
}

/* Keep an existing directory's mode on a tmpfs without "mode=". */
static int
tmpfs_keep_mode (int targetfd, struct husk_mount_flags *f, husk_error_t *err)
{
  struct stat st;
  char *n = NULL;
  if (f->data && (strncmp (f->data, "mode=", 5) == 0 || strstr (f->data, ",mode=")))
    return 0;
  if (fstat (targetfd, &st) < 0)
    return husk_error (err, errno, "stat");
  if (asprintf (&n, "%s%smode=%o", f->data ? f->data : "", f->data ? "," : "", st.st_mode & 07777) < 0)
    return husk_error (err, ENOMEM, "mount data");
  free (f->data);
  f->data = n;
  return 0;
}

static int
mount_fs_entry (struct husk_rootfs_ctx *ctx, const struct husk_mount *m, struct husk_mount_flags *f,
                husk_error_t *err)
{
  cleanup_close int targetfd = -1;
  cleanup_close int mntfd = -1;
  bool existed, sysfs = is_type (m, "sysfs"), plain = is_type (m, "proc") || sysfs;
  struct stat st;
  if (m->type == NULL || *m->type == '\0')
    return husk_error (err, EINVAL, "no filesystem type and not a bind mount");
  /* One lookup when the target exists and is not a symlink (the usual
   * case): then it is the target, followed or not. */
  targetfd = husk_rootfs_openat (ctx->rootfd, m->destination, O_PATH | O_NOFOLLOW, 0);
  if (targetfd >= 0 && fstat (targetfd, &st) < 0)
    return husk_error (err, errno, "stat `%s`", m->destination);
  /* CVE-2019-19921: proc and sysfs go on a real directory, never
   * through a symlink that earlier mounts may have planted. */
  if (plain && targetfd >= 0 && !S_ISDIR (st.st_mode))
    return husk_error (err, ENOTDIR, "filesystem `%s` must be mounted on ordinary directory", m->type);
  if (targetfd >= 0 && S_ISLNK (st.st_mode))
    {
      close (targetfd);
      targetfd = husk_rootfs_openat (ctx->rootfd, m->destination, O_PATH, 0);
    }
  existed = targetfd >= 0;
  if (targetfd < 0)
    targetfd = husk_rootfs_target (ctx->rootfd, m->destination, false, err);
  if (targetfd < 0 || check_proc_target (ctx, targetfd, is_type (m, "proc"), err) < 0)
    return -1;
  if (is_type (m, "tmpfs") && existed && tmpfs_keep_mode (targetfd, f, err) < 0)
    return -1;
  if (f->copyup && is_type (m, "tmpfs"))
    return mount_copyup (targetfd, m, f, err);
  mntfd = husk_mount_fs_at (targetfd, m->type, m->source, f, err);
  if (mntfd < 0 && sysfs && (*err)->errno_ == EPERM)
    {
      /* No netns of our own (or a userns): bind the host's /sys, as runc. */
      husk_error_free (err);
      f->recursive = true;
      mntfd = husk_mount_bind_at (targetfd, AT_FDCWD, "/sys", f, err);
    }
  return mntfd < 0 ? -1 : 0;
}

int
husk_rootfs_mount_entry (struct husk_rootfs_ctx *ctx, const struct husk_mount *m, husk_error_t *err)
{
  struct husk_mount_flags f;
  int r;
  if (m->destination == NULL || *m->destination == '\0')
    return husk_error (err, EINVAL, "mount `%s`: empty destination", m->source ? m->source : "");
  if (husk_mount_parse_options (m->options, m->n_options, &f, err) < 0)
    goto fail;
  if (is_type (m, "bind"))
    f.bind = true;
  /* /dev is filled with devices first; finalize makes it read-only. */
  if (!f.bind && husk_rootfs_dest_is (m->destination, "dev"))
    f.flags &= ~MS_RDONLY;
  if (f.flags & MS_REMOUNT)
    r = remount_at (ctx, m, &f, err);
  else if (f.bind)
    r = mount_bind_entry (ctx, m, &f, err);
  else if (is_type (m, "cgroup"))
    r = husk_rootfs_mount_cgroup (ctx, m, &f, err);
  else
    r = mount_fs_entry (ctx, m, &f, err);
  husk_mount_flags_free (&f);
  if (r == 0)
    return 0;
fail:
  return husk_error_prefix (err, "mount `%s` to `%s`", m->source ? m->source : (m->type ? m->type : ""),
                            m->destination);
}
