/* The three phases of the container filesystem (see rootfs.h). */
#include "linux/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"

bool
husk_rootfs_dest_is (const char *dest, const char *want)
{
  size_t wl = strlen (want);
  while (*dest == '/')
    dest++;
  return strncmp (dest, want, wl) == 0 && strspn (dest + wl, "/") == strlen (dest + wl);
}

static bool
mount_is_bind (const struct husk_mount *m)
{
  size_t i;
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (i = 0; m->options && m->options[i]; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

/* runc's needsSetupDev: a bind-mounted /dev is left as it is. */
static bool
dev_is_bind (const struct husk_config *cfg)
{
  size_t i;
  for (i = 0; i < cfg->n_mounts; i++)
    if (cfg->mounts[i].destination && husk_rootfs_dest_is (cfg->mounts[i].destination, "dev")
        && mount_is_bind (&cfg->mounts[i]))
      return true;
  return false;
}

/* Undo the octal escapes of /proc/self/mountinfo ("\040" is a space). */
static void
unescape (char *s)
{
  char *o = s;
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 3;
        }
      else
        *o++ = *s;
    }
  *o = '\0';
}

static bool
path_under (const char *path, const char *mp)
{
  size_t l = strlen (mp);
  if (strcmp (mp, "/") == 0)
    return true;
  return strncmp (path, mp, l) == 0 && (path[l] == '/' || path[l] == '\0');
}

/* pivot_root refuses a new root whose parent mount is shared, and a
 * shared parent would carry our bind to its peers: the mount our bind
 * lands on (the one holding the rootfs, or the rootfs itself when it is a
 * mount point) becomes private, as runc does. */
static int
make_parent_private (struct husk_rootfs_ctx *ctx, const char *root, husk_error_t *err)
{
  cleanup_free char *text = NULL, *best = NULL;
  char *save = NULL, *line;
  bool shared = false;
  if (husk_read_file ("/proc/self/mountinfo", &text, NULL, err) < 0)
    return -1;
  /* Kept for the cgroup mount: the hierarchies under /sys/fs/cgroup do
   * not change in the meantime (only propagation and mounts under the
   * rootfs do), and reading it again costs a few syscalls. */
  ctx->mountinfo = strdup (text);
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char mp[PATH_MAX];
      char *dash = strstr (line, " - ");
      if (dash == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1)
        continue;
      unescape (mp);
      if (!path_under (root, mp) || (best && strlen (best) > strlen (mp)))
        continue;
      free (best);
      best = strdup (mp);
      *dash = '\0';
      shared = strstr (line, " shared:") != NULL;
    }
  if (best && shared && mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return husk_error (err, errno, "make `%s` private", best);
  return 0;
}

static int
ctx_open (struct husk_rootfs_ctx *ctx, const struct husk_config *cfg, const struct husk_rootfs_opts *o,
          husk_error_t *err)
{
  memset (ctx, 0, sizeof (*ctx));
  ctx->cfg = cfg;
  ctx->opts = o;
  ctx->rootfd = -1;
  ctx->dev_is_bind = dev_is_bind (cfg);
  ctx->root_real = realpath (o->rootfs, NULL);
  if (ctx->root_real == NULL)
    return husk_error (err, errno, "rootfs `%s`", o->rootfs);
  return 0;
}

static void
ctx_close (struct husk_rootfs_ctx *ctx)
{
  if (ctx->rootfd >= 0)
    close (ctx->rootfd);
  free (ctx->root_real);
  free (ctx->mountinfo);
}

static int
prepare (struct husk_rootfs_ctx *ctx, husk_error_t *err)
{
  const struct husk_config *cfg = ctx->cfg;
  unsigned long prop;
  size_t i;
  if (husk_rootfs_propagation_flags (cfg->rootfs_propagation, &prop, err) < 0)
    return -1;
  /* Nothing mounted from here on may reach the host. */
  if (mount (NULL, "/", NULL, prop ? prop : MS_SLAVE | MS_REC, NULL) < 0)
    return husk_error (err, errno, "set the propagation of `/`");
  if (make_parent_private (ctx, ctx->root_real, err) < 0)
    return -1;
  /* A mount point of its own, so that pivot_root accepts it. */
  if (mount (ctx->root_real, ctx->root_real, NULL, MS_BIND | MS_REC, NULL) < 0)
    return husk_error (err, errno, "bind the rootfs `%s` onto itself", ctx->root_real);
  ctx->rootfd = open (ctx->root_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx->rootfd < 0)
    return husk_error (err, errno, "open the rootfs `%s`", ctx->root_real);
  for (i = 0; i < cfg->n_mounts; i++)
    if (husk_rootfs_mount_entry (ctx, &cfg->mounts[i], err) < 0)
      return -1;
  return husk_rootfs_setup_dev (ctx, err);
}

int
husk_rootfs_prepare (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err)
{
  struct husk_rootfs_ctx ctx;
  int r = ctx_open (&ctx, cfg, o, err);
  if (r == 0)
    r = prepare (&ctx, err);
  ctx_close (&ctx);
  return r;
}

/* runc's reOpenDevNull: stdio that was the host's /dev/null becomes the
 * container's, so nothing keeps a reference into the old root. */
static void
reopen_dev_null (void)
{
  struct stat null_st, st;
  int fd, i;
  fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return;
  if (fstat (fd, &null_st) == 0 && S_ISCHR (null_st.st_mode))
    for (i = 0; i < 3; i++)
      if (fstat (i, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == null_st.st_rdev)
        dup3 (fd, i, 0);
  close (fd);
}

static int
pivot (const struct husk_rootfs_opts *o, husk_error_t *err)
{
  cleanup_close int rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || fchdir (rootfd) < 0)
    return husk_error (err, errno, "enter the rootfs `%s`", o->rootfs);
  if (o->no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return husk_error (err, errno, "move the rootfs onto `/`");
      if (chroot (".") < 0)
        return husk_error (err, errno, "chroot");
    }
  else
    {
      /* The old root ends up stacked on the new one; detach it without
       * letting the unmount propagate anywhere. Through an fd taken
       * before: "." would name the new root, and making that rslave would
       * undo the propagation options of the container's mounts. */
      cleanup_close int oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (oldroot < 0)
        return husk_error (err, errno, "open `/`");
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return husk_error (err, errno, "pivot_root");
      if (husk_mount_setattr (oldroot, true, 0, 0, MS_SLAVE, err) < 0)
        return husk_error_prefix (err, "make the old root a slave");
      if (umount2 (".", MNT_DETACH) < 0)
        return husk_error (err, errno, "detach the old root");
    }
  if (chdir ("/") < 0)
    return husk_error (err, errno, "chdir `/`");
  return 0;
}

int
husk_rootfs_pivot (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err)
{
  if (pivot (o, err) < 0)
    return husk_error_prefix (err, "jail the process inside the rootfs");
  if (!dev_is_bind (cfg))
    reopen_dev_null ();
  return 0;
}

/* A /dev mount with "ro" was filled rw in prepare; now it is done. */
static int
dev_readonly (const struct husk_config *cfg, int rootfd, husk_error_t *err)
{
  size_t i, j;
  for (i = 0; i < cfg->n_mounts; i++)
    {
      const struct husk_mount *m = &cfg->mounts[i];
      bool ro = false;
      if (m->destination == NULL || !husk_rootfs_dest_is (m->destination, "dev") || mount_is_bind (m))
        continue;
      for (j = 0; m->options && m->options[j]; j++)
        ro = strcmp (m->options[j], "ro") == 0 ? true : strcmp (m->options[j], "rw") == 0 ? false : ro;
      if (ro)
        {
          cleanup_close int fd = husk_rootfs_openat (rootfd, "/dev", O_PATH, 0);
          if (fd < 0)
            return husk_error (err, errno, "open `/dev`");
          if (husk_mount_setattr (fd, false, MOUNT_ATTR_RDONLY, 0, 0, err) < 0)
            return husk_error_prefix (err, "make `/dev` read-only");
        }
    }
  return 0;
}

int
husk_rootfs_finalize (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err)
{
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  unsigned long prop;
  if (rootfd < 0)
    return husk_error (err, errno, "open `/`");
  if (husk_rootfs_readonly_paths (rootfd, cfg->readonly_paths, err) < 0
      || husk_rootfs_mask_paths (rootfd, cfg->masked_paths, err) < 0 || dev_readonly (cfg, rootfd, err) < 0)
    return -1;
  /* Only "/" itself: mounts on top of it keep their own flags. */
  if (cfg->root_readonly && husk_mount_setattr (rootfd, false, MOUNT_ATTR_RDONLY, 0, 0, err) < 0)
    return husk_error_prefix (err, "make the rootfs read-only");
  if (husk_rootfs_propagation_flags (cfg->rootfs_propagation, &prop, err) < 0)
    return -1;
  if (prop && mount (NULL, "/", NULL, prop, NULL) < 0)
    return husk_error (err, errno, "set the propagation of `/` to `%s`", cfg->rootfs_propagation);
  return 0;
}
