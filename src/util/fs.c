#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

ssize_t
husk_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = write (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      done += (size_t)r;
    }
  return (ssize_t)done;
}

ssize_t
husk_read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = read (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      done += (size_t)r;
    }
  return (ssize_t)done;
}

static int
read_fd_all (int fd, const char *path, char **out, size_t *len, husk_error_t *err)
{
  size_t cap = 4096, n = 0;
  char *buf = malloc (cap + 1);
  if (buf == NULL)
    return husk_error (err, ENOMEM, "read `%s`", path);
  for (;;)
    {
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          return husk_error (err, e, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += (size_t)r;
      if (n == cap)
        {
          char *nb = realloc (buf, cap * 2 + 1);
          if (nb == NULL)
            {
              free (buf);
              return husk_error (err, ENOMEM, "read `%s`", path);
            }
          buf = nb;
          cap *= 2;
        }
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
husk_read_file_at (int dirfd, const char *path, char **out, size_t *len, husk_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open `%s`", path);
  return read_fd_all (fd, path, out, len, err);
}

int
husk_read_file (const char *path, char **out, size_t *len, husk_error_t *err)
{
  return husk_read_file_at (AT_FDCWD, path, out, len, err);
}

int
husk_write_file (const char *path, const char *data, size_t len, mode_t mode, husk_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return husk_error (err, errno, "open `%s`", path);
  if (husk_write_all (fd, data, len) < 0)
    return husk_error (err, errno, "write `%s`", path);
  return 0;
}

int
husk_write_existing_at (int dirfd, const char *path, const char *data, size_t len, husk_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open `%s`", path);
  if (husk_write_all (fd, data, len) < 0)
    return husk_error (err, errno, "write `%s` to `%s`", data, path);
  return 0;
}

int
husk_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, husk_error_t *err)
{
  cleanup_free char *tmp = NULL;
  if (asprintf (&tmp, "%s.tmp", path) < 0)
    return husk_error (err, ENOMEM, "write `%s`", path);
  if (husk_write_file (tmp, data, len, mode, err) < 0)
    return -1;
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return husk_error (err, e, "rename `%s`", tmp);
    }
  return 0;
}

int
husk_open_in_root (int rootfd, const char *path, int flags, mode_t mode, husk_error_t *err)
{
  struct open_how how = { 0 };
  int fd;
  how.flags = (unsigned long long)(flags | O_CLOEXEC);
  if (flags & (O_CREAT | O_TMPFILE))
    how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  do
    fd = (int)syscall (SYS_openat2, rootfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0)
    return husk_error (err, errno, "open `%s` inside the rootfs", path);
  return fd;
}

int
husk_mkdir_p_in_root (int rootfd, const char *path, mode_t mode, husk_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  cleanup_close int cur = -1;
  char *save = NULL, *tok;
  if (copy == NULL)
    return husk_error (err, ENOMEM, "mkdir `%s`", path);
  cur = husk_open_in_root (rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
  if (cur < 0)
    return -1;
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      int next;
      if (strcmp (tok, ".") == 0)
        continue;
      /* Resolve each step from the root with the full prefix so ".." and
       * symlinks stay inside. */
      if (mkdirat (cur, tok, mode) < 0 && errno != EEXIST)
        return husk_error (err, errno, "mkdir `%s` inside the rootfs", path);
      {
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        /* A relative lookup from `cur` with RESOLVE_IN_ROOT would treat cur
         * as the root; resolve the prefix from rootfd instead. */
        size_t plen = (size_t)(tok - copy) + strlen (tok);
        char *prefix = strndup (path + (path[0] == '/' ? 0 : 0), plen);
        if (prefix == NULL)
          return husk_error (err, ENOMEM, "mkdir `%s`", path);
        next = (int)syscall (SYS_openat2, rootfd, prefix, &how, sizeof how);
        free (prefix);
      }
      if (next < 0)
        return husk_error (err, errno, "open `%s` inside the rootfs", path);
      close (cur);
      cur = next;
    }
  return steal_fd (cur);
}

int
husk_mkdir_p (const char *path, mode_t mode, husk_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  char *p;
  if (copy == NULL)
    return husk_error (err, ENOMEM, "mkdir `%s`", path);
  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return husk_error (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return husk_error (err, errno, "mkdir `%s`", copy);
  return 0;
}

static int
rm_rf_at (int parent, const char *name, dev_t dev, husk_error_t *err)
{
  struct stat st;
  int fd;
  DIR *d;
  struct dirent *de;
  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return husk_error (err, errno, "remove `%s`", name);
  fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open `%s`", name);
  if (fstat (fd, &st) < 0 || st.st_dev != dev)
    {
      close (fd);
      return husk_error (err, EXDEV, "refusing to remove `%s` on another mount", name);
    }
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return husk_error (err, errno, "opendir `%s`", name);
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (rm_rf_at (dirfd (d), de->d_name, dev, err) < 0)
        {
          closedir (d);
          return -1;
        }
    }
  closedir (d);
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return husk_error (err, errno, "rmdir `%s`", name);
  return 0;
}

int
husk_rm_rf (const char *path, husk_error_t *err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : husk_error (err, errno, "stat `%s`", path);
  return rm_rf_at (AT_FDCWD, path, st.st_dev, err);
}

const char *
husk_proc_fd_path (int fd, char buf[static 32])
{
  snprintf (buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

int
husk_set_cloexec (int fd, bool on)
{
  int flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return -1;
  flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  return fcntl (fd, F_SETFD, flags);
}

static int
for_each_fd_from (int from, bool close_it, husk_error_t *err)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  if (d == NULL)
    return husk_error (err, errno, "opendir /proc/self/fd");
  while ((de = readdir (d)))
    {
      int fd = atoi (de->d_name);
      if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd < from || fd == dirfd (d))
        continue;
      if (close_it)
        close (fd);
      else
        husk_set_cloexec (fd, true);
    }
  closedir (d);
  return 0;
}

int
husk_close_fds_from (int from, husk_error_t *err)
{
  if (syscall (SYS_close_range, (unsigned)from, ~0U, 0) == 0)
    return 0;
  return for_each_fd_from (from, true, err);
}

int
husk_cloexec_fds_from (int from, husk_error_t *err)
{
  if (syscall (SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  return for_each_fd_from (from, false, err);
}
