/* The container's working directory, resolved so that it can never be a
   directory outside the container root (CVE-2024-21626).  */

#include "linux/cwd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int
husk_cwd_verify (const char *what, husk_error_t *err)
{
  char buf[PATH_MAX];
  /* The raw syscall: glibc turns "(unreachable)/x" into ENOENT, the
     kernel gives the text.  */
  long r = syscall (SYS_getcwd, buf, sizeof buf);
  if (r < 0 && errno == ERANGE)
    return 0; /* deep but reachable */
  if (r < 0)
    return husk_error (err, errno, "%s: getcwd", what);
  if (buf[0] != '/')
    return husk_error (err, EXDEV, "%s: the working directory is outside the container root", what);
  return 0;
}

int
husk_chdir_in_container (const char *cwd, husk_error_t *err)
{
  struct open_how how
      = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  cleanup_close int root = -1;
  cleanup_close int fd = -1;

  root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return husk_error (err, errno, "open `/`");
  do
    fd = (int)syscall (SYS_openat2, root, cwd, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0 && errno == ELOOP)
    return husk_error (err, ELOOP, "process.cwd `%s`: a magic link (/proc/self/fd/...) or a symlink loop",
                       cwd);
  if (fd < 0)
    return husk_error (err, errno, "process.cwd: chdir to `%s`", cwd);
  if (fchdir (fd) < 0)
    return husk_error (err, errno, "process.cwd: chdir to `%s`", cwd);
  return husk_cwd_verify (cwd, err);
}
