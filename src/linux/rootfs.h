/* The container's filesystem, set up by the init inside its new mount
 * namespace. Three phases, because hooks run between them:
 *   prepare  - "/" rslave (or linux.rootfsPropagation), the mount holding
 *              the rootfs private, the rootfs bound onto itself, every
 *              config mount in order, /dev (default devices,
 *              linux.devices, links, ptmx) unless /dev is a bind mount.
 *              Runs before the createRuntime/createContainer hooks.
 *   pivot    - pivot_root(".", ".") (or MS_MOVE + chroot with --no-pivot);
 *              afterwards "/" is the container's root and the cwd.
 *   finalize - readonlyPaths (recursively read-only), maskedPaths (a
 *              verified /dev/null or a read-only tmpfs), a "ro" /dev,
 *              root.readonly, then rootfsPropagation on "/" again.
 * Every path inside the rootfs is resolved from a rootfs fd with
 * openat2(RESOLVE_IN_ROOT): symlinks resolve as if the rootfs were "/",
 * and a mount target through a dangling symlink is refused. Mounts use
 * the new mount API (fsopen/fsmount, open_tree, mount_setattr,
 * move_mount onto the resolved fd), so Linux >= 5.12 is needed. Errors
 * name the mount: "mount `proc` to `/proc`: ...". */
#ifndef HUSK_LINUX_ROOTFS_H
#define HUSK_LINUX_ROOTFS_H

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

struct husk_rootfs_opts
{
  const char *rootfs; /* absolute host path of the rootfs */
  bool no_pivot;      /* --no-pivot: chroot instead of pivot_root */
  bool in_userns;     /* a new user namespace: bind devices, no mknod */
  /* Relative bind sources are taken from here, as runc runs in the
   * bundle directory; NULL: from the cwd. */
  const char *bundle;
  /* Leave the v1 cpuset hierarchy out of a cgroup mount (the container
   * shares a cpuset cgroup; showing it would show its siblings). May be
   * NULL. */
  const bool *hide_cpuset;
};

int husk_rootfs_prepare (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err);
int husk_rootfs_pivot (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err);
int husk_rootfs_finalize (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err);

/* Parse mount options into flags, propagation flags, recursive attrs and a
 * data string (exposed for unit tests and for exec). Unknown options are
 * passed to the filesystem as data, as runc does. */
struct husk_mount_flags
{
  unsigned long flags;                   /* MS_* to set */
  unsigned long clear;                   /* MS_* explicitly cleared (e.g. "rw", "suid") */
  unsigned long propagation;             /* MS_SHARED|MS_REC ... or 0 */
  unsigned long long attr_set, attr_clr; /* MOUNT_ATTR_* for "r"-prefixed options */
  bool bind, recursive;
  bool copyup; /* "tmpcopyup": copy the old contents into a tmpfs */
  char *data;  /* comma-joined leftovers, may be NULL; caller frees */
};
int husk_mount_parse_options (char *const *options, size_t n, struct husk_mount_flags *out,
                              husk_error_t *err);
void husk_mount_flags_free (struct husk_mount_flags *f);

/* linux.rootfsPropagation -> MS_* flags; NULL or "" gives 0. */
int husk_rootfs_propagation_flags (const char *value, unsigned long *out, husk_error_t *err);

#endif
