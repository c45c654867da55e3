/* The container's filesystem, set up by the init inside its new mount
 * namespace. Three phases, because hooks run between them:
 *   prepare  - rootfs propagation, bind the rootfs onto itself, every
 *              config mount, /dev (default devices, linux.devices, links,
 *              ptmx), creation of missing mount points. Runs before the
 *              createRuntime/createContainer hooks.
 *   pivot    - pivot_root (or chroot with --no-pivot); afterwards "/" is the
 *              container's root.
 *   finalize - maskedPaths, readonlyPaths, root.readonly, final
 *              propagation. Runs after pivot.
 * Every path inside the rootfs is resolved relative to a rootfs fd with
 * openat2(RESOLVE_IN_ROOT); mounts go through /proc/self/fd/N or the new
 * mount API so a symlink swapped in cannot redirect them. */
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
};

int husk_rootfs_prepare (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err);
int husk_rootfs_pivot (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err);
int husk_rootfs_finalize (const struct husk_config *cfg, const struct husk_rootfs_opts *o, husk_error_t *err);

/* process.terminal: bind the pty (an fd of its slave side, opened from
 * the container's devpts) onto /dev/console, as runc. Call after pivot
 * and before finalize (the rootfs may be read-only afterwards). */
int husk_rootfs_mount_console (int pty_fd, husk_error_t *err);

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
