/* /dev inside the container when it is not bind-mounted from the host:
 * the default devices runc always adds, linux.devices, the /proc/self/fd
 * links and /dev/ptmx -> pts/ptmx. Nodes are made with mknod, or bind
 * mounted from the host in a user namespace (where mknod is refused). */
#include "linux/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"

static const struct husk_device default_devices[] = {
  { .path = (char *)"/dev/null", .type = 'c', .major = 1, .minor = 3 },
  { .path = (char *)"/dev/zero", .type = 'c', .major = 1, .minor = 5 },
  { .path = (char *)"/dev/full", .type = 'c', .major = 1, .minor = 7 },
  { .path = (char *)"/dev/random", .type = 'c', .major = 1, .minor = 8 },
  { .path = (char *)"/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
  { .path = (char *)"/dev/tty", .type = 'c', .major = 5, .minor = 0 },
};

static int
device_type (const struct husk_device *d, mode_t *out, husk_error_t *err)
{
  switch (d->type)
    {
    case 'c':
    case 'u':
      *out = S_IFCHR;
      return 0;
    case 'b':
      *out = S_IFBLK;
      return 0;
    case 'p':
      *out = S_IFIFO;
      return 0;
    default:
      return husk_error (err, EINVAL, "device `%s`: unknown type `%c`", d->path, d->type);
    }
}

/* Bind the host's node of the same path over an empty file. */
static int
bind_device (int rootfd, const struct husk_device *d, husk_error_t *err)
{
  struct husk_mount_flags f = { 0 };
  cleanup_close int target = husk_rootfs_target (rootfd, d->path, true, err);
  cleanup_close int mntfd = -1;
  if (target < 0)
    return -1;
  mntfd = husk_mount_bind_at (target, AT_FDCWD, d->path, &f, err);
  return mntfd < 0 ? -1 : 0;
}

static int
make_device (int rootfd, const struct husk_device *d, bool bind, husk_error_t *err)
{
  cleanup_free char *copy = strdup (d->path);
  cleanup_free char *base = NULL;
  cleanup_close int parent = -1;
  mode_t type, mode = d->has_mode ? (d->file_mode & 07777) : 0666;
  if (copy == NULL)
    return husk_error (err, ENOMEM, "device");
  if (device_type (d, &type, err) < 0)
    return -1;
  if (bind && type != S_IFIFO)
    return bind_device (rootfd, d, err);
  base = strdup (basename (copy));
  parent = husk_rootfs_mkdir_p (rootfd, dirname (copy), 0755, err);
  if (parent < 0 || base == NULL)
    return parent < 0 ? -1 : husk_error (err, ENOMEM, "device");
  /* An existing node is replaced, so its type and numbers are ours. */
  if (unlinkat (parent, base, 0) < 0 && errno != ENOENT)
    return husk_error (err, errno, "remove `%s`", d->path);
  if (mknodat (parent, base, type | mode, makedev ((unsigned)d->major, (unsigned)d->minor)) < 0)
    {
      if (errno == EPERM && type != S_IFIFO)
        return bind_device (rootfd, d, err);
      return husk_error (err, errno, "mknod `%s`", d->path);
    }
  /* mknod is subject to the umask; the config's mode is not. */
  if (fchmodat (parent, base, mode, 0) < 0)
    return husk_error (err, errno, "chmod `%s`", d->path);
  if (fchownat (parent, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_SYMLINK_NOFOLLOW) < 0)
    return husk_error (err, errno, "chown `%s`", d->path);
  return 0;
}

static bool
in_config (const struct husk_config *cfg, const char *path)
{
  size_t i;
  for (i = 0; i < cfg->n_devices; i++)
    if (cfg->devices[i].path && strcmp (cfg->devices[i].path, path) == 0)
      return true;
  return false;
}

static int
make_links (int devfd, husk_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" }, { "/proc/kcore", "core" },
  };
  size_t i;
  for (i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    {
      /* kcore exists only with CONFIG_PROC_KCORE. */
      if (strcmp (links[i][1], "core") == 0 && access ("/proc/kcore", F_OK) < 0)
        continue;
      if (symlinkat (links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
        return husk_error (err, errno, "symlink `/dev/%s`", links[i][1]);
    }
  /* The devpts instance's ptmx, not the host's. */
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return husk_error (err, errno, "remove `/dev/ptmx`");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return husk_error (err, errno, "symlink `/dev/ptmx`");
  return 0;
}

int
husk_rootfs_setup_dev (struct husk_rootfs_ctx *ctx, husk_error_t *err)
{
  const struct husk_config *cfg = ctx->cfg;
  bool bind = ctx->opts->in_userns;
  cleanup_close int devfd = -1;
  size_t i;
  if (ctx->dev_is_bind)
    return 0;
  for (i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    if (!in_config (cfg, default_devices[i].path)
        && make_device (ctx->rootfd, &default_devices[i], bind, err) < 0)
      return husk_error_prefix (err, "default device `%s`", default_devices[i].path);
  for (i = 0; i < cfg->n_devices; i++)
    if (make_device (ctx->rootfd, &cfg->devices[i], bind, err) < 0)
      return husk_error_prefix (err, "linux.devices[%zu]", i);
  devfd = husk_rootfs_mkdir_p (ctx->rootfd, "/dev", 0755, err);
  if (devfd < 0 || make_links (devfd, err) < 0)
    return husk_error_prefix (err, "/dev links");
  return 0;
}

int
husk_rootfs_mount_console (int pty_fd, husk_error_t *err)
{
  struct husk_mount_flags f = { 0 };
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int target = -1, mntfd = -1;
  if (rootfd < 0)
    return husk_error (err, errno, "open `/`");
  target = husk_rootfs_target (rootfd, "/dev/console", true, err);
  if (target < 0)
    return husk_error_prefix (err, "/dev/console");
  mntfd = husk_mount_bind_at (target, pty_fd, "", &f, err);
  if (mntfd < 0)
    return husk_error_prefix (err, "bind the terminal onto /dev/console");
  return 0;
}
