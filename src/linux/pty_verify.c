/* Verified pty slave and /dev/console bind (CVE-2025-52565).  */

#include "linux/pty_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* Unix98 pty slaves: majors 136..143.  */
#define PTY_SLAVE_MAJOR_FIRST 136
#define PTY_SLAVE_MAJOR_LAST 143

int
husk_pty_verify_master (int fd, husk_error_t *err)
{
  struct stat st;
  unsigned int n;
  if (fstat (fd, &st) < 0)
    return husk_error (err, errno, "terminal: stat /dev/ptmx");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 5 || minor (st.st_rdev) != 2
      || ioctl (fd, TIOCGPTN, &n) < 0)
    return husk_error (err, EXDEV, "terminal: /dev/ptmx in the container is not the pty multiplexer");
  return 0;
}

int
husk_pty_verify_slave (int fd, husk_error_t *err)
{
  struct stat st;
  struct statfs sfs;
  if (fstat (fd, &st) < 0 || fstatfs (fd, &sfs) < 0)
    return husk_error (err, errno, "terminal: stat the pty slave");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) < PTY_SLAVE_MAJOR_FIRST
      || major (st.st_rdev) > PTY_SLAVE_MAJOR_LAST || sfs.f_type != DEVPTS_SUPER_MAGIC)
    return husk_error (err, EXDEV, "terminal: the pty slave is not a devpts pty (%u:%u)", major (st.st_rdev),
                       minor (st.st_rdev));
  return 0;
}

int
husk_pty_open_slave (int master, husk_error_t *err)
{
  cleanup_close int fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "terminal: open the pty slave (TIOCGPTPEER)");
  if (husk_pty_verify_slave (fd, err) < 0)
    return -1;
  return steal_fd (fd);
}

static int
open_in_root (int root, const char *path, int flags, husk_error_t *err)
{
  struct open_how how = { .flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
                          .mode = (flags & O_CREAT) ? 0600 : 0,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  int fd;
  do
    fd = (int)syscall (SYS_openat2, root, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0 && err)
    return husk_error (err, errno, "terminal: open `%s`", path);
  return fd;
}

/* An O_PATH fd of target: an existing file or device node, or a new empty
   file.  Never a symlink, directory or anything reached through one.  */
static int
open_target (const char *target, husk_error_t *err)
{
  cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  int fd;

  if (root < 0)
    return husk_error (err, errno, "terminal: open `/`");
  fd = open_in_root (root, target, O_PATH, NULL);
  if (fd < 0 && errno == ENOENT)
    {
      int c = open_in_root (root, target, O_CREAT | O_EXCL | O_WRONLY, err);
      if (c < 0)
        return -1;
      close (c);
      fd = open_in_root (root, target, O_PATH, err);
    }
  else if (fd < 0)
    return husk_error (err, errno, "terminal: open `%s`", target);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || !(S_ISREG (st.st_mode) || S_ISCHR (st.st_mode)))
    {
      close (fd);
      return husk_error (err, EXDEV, "terminal: `%s` is not a file or character device", target);
    }
  return fd;
}

int
husk_pty_bind_console (int slave, const char *target, husk_error_t *err)
{
  cleanup_close int tree = -1;
  cleanup_close int dst = -1;

  if (husk_pty_verify_slave (slave, err) < 0)
    return -1;
  dst = open_target (target, err);
  if (dst < 0)
    return -1;
  tree = open_tree (slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return husk_error (err, errno, "terminal: clone a mount of the pty slave");
  if (move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return husk_error (err, errno, "terminal: bind the pty slave onto `%s`", target);
  return 0;
}
