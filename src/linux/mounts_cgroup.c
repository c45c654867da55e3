/* The "cgroup" mount type. On a cgroup v1 (or hybrid) host, as runc: a
 * tmpfs at the destination and, for every v1 hierarchy, either a bind of
 * the init's own cgroup directory (the container sees its cgroup as the
 * root) or, with a new cgroup namespace, a fresh mount of the hierarchy.
 * On a pure v2 host: a cgroup2 mount, or a bind of the init's own cgroup
 * when the kernel refuses a fresh one. */
#include "linux/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"

/* Options in a v1 cgroup superblock that are not controllers. */
static bool
is_controller (const char *o)
{
  static const char *const not_ctrl[]
      = { "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods", NULL };
  size_t i;
  if (strncmp (o, "release_agent=", 14) == 0)
    return false;
  for (i = 0; not_ctrl[i]; i++)
    if (strcmp (o, not_ctrl[i]) == 0)
      return false;
  return true;
}

/* "rw,cpu,cpuacct" -> "cpu,cpuacct" (in place). */
static void
controllers_of (char *superopts)
{
  char *out = superopts, *save = NULL, *tok;
  cleanup_free char *copy = strdup (superopts);
  *out = '\0';
  if (copy == NULL)
    return;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (is_controller (tok))
      out += sprintf (out, "%s%s", out == superopts ? "" : ",", tok);
}

static bool
same_set (const char *a, const char *b)
{
  cleanup_free char *ca = strdup (a);
  char *save = NULL, *tok;
  size_t na = 0, nb = 1;
  const char *p;
  if (ca == NULL)
    return false;
  for (p = b; *p; p++)
    nb += *p == ',';
  for (tok = strtok_r (ca, ",", &save); tok; tok = strtok_r (NULL, ",", &save), na++)
    {
      size_t l = strlen (tok);
      const char *hit = b;
      while ((hit = strstr (hit, tok))
             && !((hit == b || hit[-1] == ',') && (hit[l] == ',' || hit[l] == '\0')))
        hit += l;
      if (hit == NULL)
        return false;
    }
  return na == nb;
}

/* The init's cgroup path for hierarchy `ctrls` ("" for v2) from the
 * text of /proc/self/cgroup; caller frees. */
static char *
own_cgroup (const char *self, const char *ctrls)
{
  cleanup_free char *text = self ? strdup (self) : NULL;
  char *save = NULL, *line;
  if (text == NULL)
    return NULL;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c = strchr (line, ':'), *p = c ? strchr (c + 1, ':') : NULL;
      if (p == NULL)
        continue;
      *p = '\0';
      if ((*ctrls == '\0' && c[1] == '\0') || (*ctrls && c[1] && same_set (c + 1, ctrls)))
        return strdup (p + 1);
    }
  return NULL;
}

/* /proc/self/cgroup, read once per mount (the init is in its cgroup by
 * now: a copy from before the clone would be stale). */
static const char *
self_cgroup (char **text)
{
  husk_error_t e = NULL;
  if (*text == NULL && husk_read_file ("/proc/self/cgroup", text, NULL, &e) < 0)
    husk_error_free (&e);
  return *text;
}

struct cg_ctx
{
  struct husk_rootfs_ctx *ctx;
  const struct husk_mount_flags *f;
  int dirfd;  /* the tmpfs at the destination */
  char *self; /* /proc/self/cgroup, read when first needed */
};

static int
mount_hierarchy (struct cg_ctx *c, const char *mountpoint, const char *root, char *superopts,
                 husk_error_t *err)
{
  const char *name = strrchr (mountpoint, '/') + 1;
  cleanup_close int target = -1, mntfd = -1;
  cleanup_free char *own = NULL, *src = NULL;
  struct husk_mount_flags f = *c->f;
  controllers_of (superopts);
  if (c->ctx->opts->hide_cpuset && *c->ctx->opts->hide_cpuset && strcmp (superopts, "cpuset") == 0)
    return 0;
  /* The tmpfs is new: an existing entry is a hierarchy mounted twice. */
  if (mkdirat (c->dirfd, name, 0755) < 0)
    return errno == EEXIST ? 0 : husk_error (err, errno, "mkdir `%s`", name);
  target = openat (c->dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return husk_error (err, errno, "open `%s`", name);
  f.flags |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (c->ctx->cfg->ns[HUSK_NS_CGROUP].present)
    {
      f.data = superopts;
      mntfd = husk_mount_fs_at (target, "cgroup", strcmp (superopts, "name=systemd") ? "cgroup" : "systemd",
                                &f, err);
    }
  else
    {
      own = own_cgroup (self_cgroup (&c->self), superopts);
      if (own == NULL)
        return husk_error (err, ENOENT, "no cgroup of the init for `%s` in /proc/self/cgroup", superopts);
      /* The own path is relative to the hierarchy root, the mount may
       * show a subtree of it. */
      if (strcmp (root, "/") != 0 && strncmp (own, root, strlen (root)) == 0)
        memmove (own, own + strlen (root), strlen (own + strlen (root)) + 1);
      if (asprintf (&src, "%s%s", mountpoint, own) < 0)
        return husk_error (err, ENOMEM, "cgroup");
      f.data = NULL;
      f.recursive = true;
      mntfd = husk_mount_bind_at (target, AT_FDCWD, src, &f, err);
    }
  if (mntfd < 0)
    return husk_error_prefix (err, "cgroup `%s`", name);
  return 0;
}

/* "cpu,cpuacct" hierarchies get "cpu" and "cpuacct" links, as runc. */
static void
merged_links (int dirfd, const char *name)
{
  cleanup_free char *copy = strdup (name);
  char *save = NULL, *tok;
  if (copy == NULL || strchr (name, ',') == NULL)
    return;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (symlinkat (name, dirfd, tok) < 0 && errno != EEXIST)
      husk_warn ("cgroup link `%s`: %s", tok, strerror (errno));
}

static int
mount_v1 (struct cg_ctx *c, husk_error_t *err)
{
  cleanup_free char *text = c->ctx->mountinfo ? strdup (c->ctx->mountinfo) : NULL;
  char *save = NULL, *line;
  if (text == NULL && husk_read_file ("/proc/self/mountinfo", &text, NULL, err) < 0)
    return -1;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char root[4096], mp[4096], fstype[64], source[256], superopts[1024];
      char *dash = strstr (line, " - ");
      if (dash == NULL || sscanf (line, "%*s %*s %*s %4095s %4095s", root, mp) != 2
          || sscanf (dash + 3, "%63s %255s %1023s", fstype, source, superopts) != 3)
        continue;
      if (strcmp (fstype, "cgroup") != 0 || strncmp (mp, "/sys/fs/cgroup/", 15) != 0)
        continue;
      if (mount_hierarchy (c, mp, root, superopts, err) < 0)
        return -1;
      merged_links (c->dirfd, strrchr (mp, '/') + 1);
    }
  return 0;
}

static int
mount_v2 (struct husk_rootfs_ctx *ctx, const struct husk_mount *m, const struct husk_mount_flags *f,
          husk_error_t *err)
{
  cleanup_close int target = husk_rootfs_target (ctx->rootfd, m->destination, false, err);
  cleanup_close int mntfd = -1;
  cleanup_free char *own = NULL, *src = NULL;
  struct husk_mount_flags bf = *f;
  if (target < 0)
    return -1;
  mntfd = husk_mount_fs_at (target, "cgroup2", "cgroup2", f, err);
  if (mntfd >= 0 || ((*err)->errno_ != EPERM && (*err)->errno_ != EBUSY))
    return mntfd < 0 ? -1 : 0;
  /* No cgroup namespace of our own in a userns: show our own subtree. */
  husk_error_free (err);
  cleanup_free char *self = NULL;
  own = own_cgroup (self_cgroup (&self), "");
  if (own == NULL || asprintf (&src, "/sys/fs/cgroup%s", own) < 0)
    return husk_error (err, ENOENT, "no cgroup v2 entry in /proc/self/cgroup");
  bf.recursive = true;
  bf.data = NULL;
  mntfd = husk_mount_bind_at (target, AT_FDCWD, src, &bf, err);
  return mntfd < 0 ? -1 : 0;
}

int
husk_rootfs_mount_cgroup (struct husk_rootfs_ctx *ctx, const struct husk_mount *m,
                          const struct husk_mount_flags *f, husk_error_t *err)
{
  struct husk_mount_flags tf = { .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC, .propagation = f->propagation };
  struct cg_ctx c = { .ctx = ctx, .f = f, .dirfd = -1 };
  struct statfs sfs;
  cleanup_close int target = -1, tmpfs = -1, dirfd = -1;
  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_v2 (ctx, m, f, err);
  target = husk_rootfs_target (ctx->rootfd, m->destination, false, err);
  if (target < 0)
    return -1;
  tf.data = (char *)"mode=755";
  tmpfs = husk_mount_fs_at (target, "tmpfs", "tmpfs", &tf, err);
  if (tmpfs < 0)
    return -1;
  dirfd = openat (tmpfs, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return husk_error (err, errno, "open the cgroup tmpfs");
  c.dirfd = dirfd;
  int r = mount_v1 (&c, err);
  free (c.self);
  if (r < 0)
    return -1;
  if ((f->flags & MS_RDONLY) && husk_mount_setattr (tmpfs, false, MOUNT_ATTR_RDONLY, 0, 0, err) < 0)
    return husk_error_prefix (err, "make the cgroup tmpfs read-only");
  return 0;
}
