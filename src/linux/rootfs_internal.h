/* Shared between the rootfs files (rootfs.c, mounts.c, mounts_cgroup.c,
 * devices.c, masked.c); not an interface for other modules.
 *
 * Every mount is made with the new mount API: a detached mount is created
 * first (fsopen/fsmount for a fresh filesystem, open_tree for a bind), its
 * attributes are set with mount_setattr, and it is attached with
 * move_mount onto an fd of the target that was resolved inside the rootfs
 * with openat2(RESOLVE_IN_ROOT). The detached-mount fd stays a handle on
 * the new mount after it is attached, so later changes (propagation,
 * read-only) never look a path up again. */
#ifndef HUSK_LINUX_ROOTFS_INTERNAL_H
#define HUSK_LINUX_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <sys/stat.h>

#include "linux/rootfs.h"

struct husk_rootfs_ctx
{
  const struct husk_config *cfg;
  const struct husk_rootfs_opts *opts;
  int rootfd;       /* O_PATH of the rootfs (after the self bind) */
  char *root_real;  /* realpath of the rootfs, for naming targets */
  bool dev_is_bind; /* /dev is bind-mounted: no default devices */
  char *mountinfo;  /* /proc/self/mountinfo as read before the rootfs bind
                       (the cgroup mount reuses it), or NULL */
};

/* openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) that only sets errno,
 * for callers that handle ENOENT themselves. */
int husk_rootfs_openat (int rootfd, const char *path, int flags, mode_t mode);

/* mkdir -p inside the root; a dangling symlink on the way gets its
 * target created (inside the root). Returns an O_PATH directory fd. */
int husk_rootfs_mkdir_p (int rootfd, const char *path, mode_t mode, husk_error_t *err);

/* Resolve `dest` inside the root, creating it when missing: a directory,
 * or an empty file when `file` (with its parent directories). Returns an
 * fd usable as a move_mount target. */
int husk_rootfs_target (int rootfd, const char *dest, bool file, husk_error_t *err);

/* A detached mount of a fresh `type` filesystem (fsopen/fsmount). */
int husk_mount_fs_new (const char *type, const char *source, const struct husk_mount_flags *f,
                       husk_error_t *err);
/* Recursive attrs from f, move_mount onto targetfd, then propagation. */
int husk_mount_attach (int mntfd, int targetfd, const struct husk_mount_flags *f, husk_error_t *err);
/* Mount a fresh `type` filesystem onto targetfd with flags/data from f;
 * returns the attached mount's fd. */
int husk_mount_fs_at (int targetfd, const char *type, const char *source, const struct husk_mount_flags *f,
                      husk_error_t *err);
/* Bind (dirfd, path) onto targetfd (path "" binds dirfd itself);
 * f->recursive for an rbind; returns the attached mount's fd. */
int husk_mount_bind_at (int targetfd, int dirfd, const char *path, const struct husk_mount_flags *f,
                        husk_error_t *err);
/* MS_* set/cleared -> MOUNT_ATTR_* to set/clear (atime as one mode). */
void husk_ms_to_attr (unsigned long set, unsigned long clr, unsigned long long *aset,
                      unsigned long long *aclr);
/* mount_setattr on an (attached or detached) mount fd. */
int husk_mount_setattr (int mntfd, bool recursive, unsigned long long set, unsigned long long clr,
                        unsigned long long propagation, husk_error_t *err);

/* One linux mounts[] entry. */
int husk_rootfs_mount_entry (struct husk_rootfs_ctx *ctx, const struct husk_mount *m, husk_error_t *err);
/* A "cgroup" entry: v1 tmpfs + per-hierarchy binds, or cgroup2. */
int husk_rootfs_mount_cgroup (struct husk_rootfs_ctx *ctx, const struct husk_mount *m,
                              const struct husk_mount_flags *f, husk_error_t *err);

/* /dev: default devices, linux.devices, symlinks, ptmx. */
int husk_rootfs_setup_dev (struct husk_rootfs_ctx *ctx, husk_error_t *err);

/* After pivot: maskedPaths and readonlyPaths relative to rootfd ("/"). */
int husk_rootfs_mask_paths (int rootfd, char *const *paths, husk_error_t *err);
int husk_rootfs_readonly_paths (int rootfd, char *const *paths, husk_error_t *err);

/* Whether a mount destination names `want` ("dev" matches "/dev//"). */
bool husk_rootfs_dest_is (const char *dest, const char *want);

/* Path of fd inside the rootfs ("/proc/self") or NULL if unknown;
 * caller frees. */
char *husk_rootfs_fd_path (const struct husk_rootfs_ctx *ctx, int fd);

#endif
