/* Mount options as runc understands them: flag words become MS_* bits,
 * propagation words become propagation flags, "r"-prefixed words become
 * recursive mount_setattr(2) attributes, and everything else is handed to
 * the filesystem as data. */
#include "linux/rootfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

struct flag_opt
{
  const char *name;
  bool clear;
  unsigned long flag;
};

static const struct flag_opt flag_opts[] = {
  { "acl", false, MS_POSIXACL },
  { "async", true, MS_SYNCHRONOUS },
  { "atime", true, MS_NOATIME },
  { "bind", false, MS_BIND },
  { "defaults", false, 0 },
  { "dev", true, MS_NODEV },
  { "diratime", true, MS_NODIRATIME },
  { "dirsync", false, MS_DIRSYNC },
  { "exec", true, MS_NOEXEC },
  { "iversion", false, MS_I_VERSION },
  { "lazytime", false, MS_LAZYTIME },
  { "loud", true, MS_SILENT },
  { "mand", false, MS_MANDLOCK },
  { "noacl", true, MS_POSIXACL },
  { "noatime", false, MS_NOATIME },
  { "nodev", false, MS_NODEV },
  { "nodiratime", false, MS_NODIRATIME },
  { "noexec", false, MS_NOEXEC },
  { "noiversion", true, MS_I_VERSION },
  { "nolazytime", true, MS_LAZYTIME },
  { "nomand", true, MS_MANDLOCK },
  { "norelatime", true, MS_RELATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "nosuid", false, MS_NOSUID },
  { "nosymfollow", false, MS_NOSYMFOLLOW },
  { "rbind", false, MS_BIND | MS_REC },
  { "relatime", false, MS_RELATIME },
  { "remount", false, MS_REMOUNT },
  { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },
  { "silent", false, MS_SILENT },
  { "strictatime", false, MS_STRICTATIME },
  { "suid", true, MS_NOSUID },
  { "symfollow", true, MS_NOSYMFOLLOW },
  { "sync", false, MS_SYNCHRONOUS },
};

struct prop_opt
{
  const char *name;
  unsigned long flags;
};

static const struct prop_opt prop_opts[] = {
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Recursive attributes (mount_setattr with AT_RECURSIVE). The atime
 * words select one atime mode, which the kernel wants as "clear the
 * whole atime field, set one value". */
struct rec_opt
{
  const char *name;
  unsigned long long set, clr;
};

static const struct rec_opt rec_opts[] = {
  { "rro", MOUNT_ATTR_RDONLY, 0 },
  { "rrw", 0, MOUNT_ATTR_RDONLY },
  { "rnosuid", MOUNT_ATTR_NOSUID, 0 },
  { "rsuid", 0, MOUNT_ATTR_NOSUID },
  { "rnodev", MOUNT_ATTR_NODEV, 0 },
  { "rdev", 0, MOUNT_ATTR_NODEV },
  { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
  { "rexec", 0, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
  { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
  { "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
  { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
  { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
  /* Clearing one atime mode falls back to the kernel default. */
  { "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  { "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  { "rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
};

#define N_ELEMS(a) (sizeof (a) / sizeof ((a)[0]))

static bool
parse_flag (const char *o, struct husk_mount_flags *out)
{
  size_t i;
  for (i = 0; i < N_ELEMS (flag_opts); i++)
    {
      if (strcmp (o, flag_opts[i].name) != 0)
        continue;
      if (flag_opts[i].clear)
        {
          out->flags &= ~flag_opts[i].flag;
          out->clear |= flag_opts[i].flag;
        }
      else
        {
          out->flags |= flag_opts[i].flag;
          out->clear &= ~flag_opts[i].flag;
        }
      if (flag_opts[i].flag & MS_BIND)
        out->bind = true;
      if (flag_opts[i].flag & MS_REC)
        out->recursive = true;
      return true;
    }
  return false;
}

static bool
parse_propagation (const char *o, struct husk_mount_flags *out)
{
  size_t i;
  for (i = 0; i < N_ELEMS (prop_opts); i++)
    if (strcmp (o, prop_opts[i].name) == 0)
      {
        out->propagation = prop_opts[i].flags;
        return true;
      }
  return false;
}

static bool
parse_recursive (const char *o, struct husk_mount_flags *out)
{
  size_t i;
  for (i = 0; i < N_ELEMS (rec_opts); i++)
    {
      if (strcmp (o, rec_opts[i].name) != 0)
        continue;
      if (rec_opts[i].clr & MOUNT_ATTR__ATIME)
        {
          out->attr_set &= ~MOUNT_ATTR__ATIME;
          out->attr_set |= rec_opts[i].set;
          out->attr_clr |= MOUNT_ATTR__ATIME;
          return true;
        }
      out->attr_set = (out->attr_set & ~rec_opts[i].clr) | rec_opts[i].set;
      out->attr_clr = (out->attr_clr & ~rec_opts[i].set) | rec_opts[i].clr;
      return true;
    }
  return false;
}

static int
append_data (char **data, const char *o, husk_error_t *err)
{
  char *n = NULL;
  if (*data == NULL)
    n = strdup (o);
  else if (asprintf (&n, "%s,%s", *data, o) < 0)
    n = NULL;
  if (n == NULL)
    return husk_error (err, ENOMEM, "mount option `%s`", o);
  free (*data);
  *data = n;
  return 0;
}

int
husk_mount_parse_options (char *const *options, size_t n, struct husk_mount_flags *out, husk_error_t *err)
{
  size_t i;
  memset (out, 0, sizeof (*out));
  for (i = 0; i < n && options && options[i]; i++)
    {
      const char *o = options[i];
      if (*o == '\0' || parse_flag (o, out) || parse_propagation (o, out) || parse_recursive (o, out))
        continue;
      if (strcmp (o, "tmpcopyup") == 0)
        {
          out->copyup = true;
          continue;
        }
      if (strcmp (o, "idmap") == 0 || strcmp (o, "ridmap") == 0)
        {
          husk_mount_flags_free (out);
          return husk_error (err, ENOTSUP, "mount option `%s` (id-mapped mounts) is not supported", o);
        }
      if (append_data (&out->data, o, err) < 0)
        {
          husk_mount_flags_free (out);
          return -1;
        }
    }
  return 0;
}

void
husk_mount_flags_free (struct husk_mount_flags *f)
{
  free (f->data);
  f->data = NULL;
}

int
husk_rootfs_propagation_flags (const char *value, unsigned long *out, husk_error_t *err)
{
  size_t i;
  *out = 0;
  if (value == NULL || *value == '\0')
    return 0;
  for (i = 0; i < N_ELEMS (prop_opts); i++)
    if (strcmp (value, prop_opts[i].name) == 0)
      {
        *out = prop_opts[i].flags;
        return 0;
      }
  return husk_error (err, EINVAL, "linux.rootfsPropagation: unknown value `%s`", value);
}
