/* CreateTaskRequest.rootfs: containerd hands the snapshot as mount(2)
 * arguments (usually one overlay); we mount them on <bundle>/rootfs and
 * undo it on Delete or in the `delete` action. */
#include "shim/shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "shim/proto/task.pb-c.h"

struct flag
{
  const char *name;
  unsigned long set, clear;
};

static const struct flag flags[] = {
  { "ro", MS_RDONLY, 0 },           { "rw", 0, MS_RDONLY },         { "bind", MS_BIND, 0 },
  { "rbind", MS_BIND | MS_REC, 0 }, { "nosuid", MS_NOSUID, 0 },     { "suid", 0, MS_NOSUID },
  { "nodev", MS_NODEV, 0 },         { "dev", 0, MS_NODEV },         { "noexec", MS_NOEXEC, 0 },
  { "exec", 0, MS_NOEXEC },         { "sync", MS_SYNCHRONOUS, 0 },  { "async", 0, MS_SYNCHRONOUS },
  { "noatime", MS_NOATIME, 0 },     { "relatime", MS_RELATIME, 0 }, { "nodiratime", MS_NODIRATIME, 0 },
  { "remount", MS_REMOUNT, 0 },     { "defaults", 0, 0 },           { NULL, 0, 0 },
};

static int
mount_one (const Containerd__Task__V2__Mount *m, const char *target, husk_error_t *err)
{
  unsigned long mflags = 0;
  size_t cap = 1;
  char *data, *p;
  int r;
  for (size_t i = 0; i < m->n_options; i++)
    cap += strlen (m->options[i]) + 1;
  data = calloc (1, cap);
  if (data == NULL)
    return husk_error (err, ENOMEM, "mount options");
  p = data;
  for (size_t i = 0; i < m->n_options; i++)
    {
      const struct flag *f;
      for (f = flags; f->name; f++)
        if (strcmp (f->name, m->options[i]) == 0)
          break;
      if (f->name)
        {
          mflags = (mflags | f->set) & ~f->clear;
          continue;
        }
      p += sprintf (p, "%s%s", p == data ? "" : ",", m->options[i]);
    }
  if (strcmp (m->type, "bind") == 0)
    mflags |= MS_BIND;
  r = mount (m->source, target, m->type, mflags, *data ? data : NULL);
  if (r == 0 && (mflags & MS_BIND) && (mflags & MS_RDONLY))
    r = mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (mflags & MS_REC), NULL);
  free (data);
  if (r < 0)
    return husk_error (err, errno, "mount %s `%s` on `%s`", m->type, m->source, target);
  return 0;
}

int
mount_rootfs (const char *bundle, Containerd__Task__V2__Mount **mounts, size_t n, husk_error_t *err)
{
  cleanup_free char *target = shim_path (bundle, "rootfs");
  if (n == 0)
    return 0;
  if (mkdir (target, 0711) < 0 && errno != EEXIST)
    return husk_error (err, errno, "mkdir `%s`", target);
  for (size_t i = 0; i < n; i++)
    if (mount_one (mounts[i], target, err) < 0)
      {
        husk_error_t e2 = NULL;
        unmount_rootfs (bundle, &e2);
        husk_error_free (&e2);
        return -1;
      }
  return 0;
}

/* Unmount everything stacked on <bundle>/rootfs; missing is fine. */
int
unmount_rootfs (const char *bundle, husk_error_t *err)
{
  cleanup_free char *target = shim_path (bundle, "rootfs");
  for (int i = 0; i < 64; i++)
    if (umount2 (target, MNT_DETACH) < 0)
      {
        if (errno == EINVAL || errno == ENOENT)
          return 0;
        return husk_error (err, errno, "unmount `%s`", target);
      }
  return 0;
}
