/* File helpers. Everything that touches a path inside a container rootfs
 * goes through the *_in_root helpers, which resolve with openat2
 * RESOLVE_IN_ROOT so that symlinks in a hostile rootfs are resolved as if
 * the rootfs were "/" and can never reach the host. */
#ifndef HUSK_FS_H
#define HUSK_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Read a whole file (NUL-terminated); *len may be NULL. */
int husk_read_file (const char *path, char **out, size_t *len, husk_error_t *err);
int husk_read_file_at (int dirfd, const char *path, char **out, size_t *len, husk_error_t *err);
/* Create/truncate and write a file. */
int husk_write_file (const char *path, const char *data, size_t len, mode_t mode, husk_error_t *err);
/* Write into an existing file at dirfd (no O_CREAT), e.g. procfs, cgroupfs. */
int husk_write_existing_at (int dirfd, const char *path, const char *data, size_t len, husk_error_t *err);
/* Atomically replace a file (write to temp + rename). */
int husk_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, husk_error_t *err);

/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS). */
int husk_open_in_root (int rootfd, const char *path, int flags, mode_t mode, husk_error_t *err);
/* mkdir -p of path inside rootfd, each component resolved in root; returns
 * an O_PATH|O_DIRECTORY fd (or O_DIRECTORY when want_read) of the last one. */
int husk_mkdir_p_in_root (int rootfd, const char *path, mode_t mode, husk_error_t *err);
/* mkdir -p on the host (for state dirs, cgroups). */
int husk_mkdir_p (const char *path, mode_t mode, husk_error_t *err);
/* rm -rf of a directory tree (no crossing into other mounts). */
int husk_rm_rf (const char *path, husk_error_t *err);

/* Canonical "/proc/self/fd/N" for mounting through an fd. */
const char *husk_proc_fd_path (int fd, char buf[static 32]);

/* Set/clear FD_CLOEXEC. */
int husk_set_cloexec (int fd, bool on);
/* Close every fd >= from that is not in keep[] (close_range when possible). */
int husk_close_fds_from (int from, husk_error_t *err);
/* Mark every fd >= from close-on-exec. */
int husk_cloexec_fds_from (int from, husk_error_t *err);

/* Loops over EINTR and short writes/reads. */
ssize_t husk_write_all (int fd, const void *buf, size_t len);
ssize_t husk_read_all (int fd, void *buf, size_t len);

#endif
