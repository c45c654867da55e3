/* CVE-2019-5736: a process inside the container could open
   /proc/<husk pid>/exe while husk (exec, or the init before its execve)
   is in the container's pid namespace, and overwrite the host's husk
   binary.  husk re-executes itself from a copy nobody can write:

   1. "bind": open_tree(OPEN_TREE_CLONE) of /proc/self/exe gives a detached
      bind mount of the binary alone; mount_setattr makes it read-only and
      fexecve runs it.  /proc/self/exe then lives on a read-only mount that
      is in no mount namespace, so it can be neither written (EROFS) nor
      remounted (not mounted anywhere).  It costs no memory and no copy.
   2. "memfd": a copy in a sealed memfd (F_SEAL_WRITE...).  Needs no
      privilege but costs the binary's size in memory for every running
      husk process; used only when 1 is refused (rootless).

   HUSK_SEAL_METHOD=bind|memfd forces one (tests, bench/sealed_cost.sh).
   The marker _HUSK_SEALED tells the re-executed process to verify, not
   seal again.  */

#include "linux/sealed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/error.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define MARKER "_HUSK_SEALED"
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* How this process's binary is protected: "memfd", "bind" or NULL.  */
const char *
husk_sealed_how (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  struct statvfs sv;
  int seals;

  if (fd < 0)
    return NULL;
  seals = fcntl (fd, F_GET_SEALS);
  if (seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_SEAL))
    return "memfd";
  if (fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return "bind";
  return NULL;
}

static int
open_bind_copy (void)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  cleanup_close int fd = open_tree (AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return -1;
  if (mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return -1;
  return steal_fd (fd);
}

static int
open_memfd_copy (void)
{
  cleanup_close int src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;
  struct stat st;
  off_t done = 0;

  if (src < 0 || fstat (src, &st) < 0)
    return -1;
  /* vm.memfd_noexec may require MFD_EXEC; kernels before 6.3 reject it.  */
  mfd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("husk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return -1;
  while (done < st.st_size)
    {
      ssize_t n = sendfile (mfd, src, NULL, (size_t)(st.st_size - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      done += n;
    }
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return -1;
  return steal_fd (mfd);
}

/* envp plus the marker.  */
static char **
env_with_marker (char **envp)
{
  size_t n = 0, i;
  char **out;
  while (envp && envp[n])
    n++;
  out = calloc (n + 2, sizeof *out);
  if (out == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    out[i] = envp[i];
  out[n] = (char *)MARKER "=1";
  return out;
}

static void
drop_marker (char **envp)
{
  size_t i, j;
  unsetenv (MARKER);
  /* main's envp is its own array once setenv/unsetenv ran; clean it too.  */
  for (i = j = 0; envp && envp[i]; i++)
    if (strncmp (envp[i], MARKER "=", sizeof MARKER) != 0)
      envp[j++] = envp[i];
  if (envp)
    envp[j] = NULL;
}

static bool sealed;

bool
husk_is_sealed (void)
{
  return sealed;
}

int
husk_ensure_sealed (int argc, char **argv, char **envp)
{
  const char *method = getenv ("HUSK_SEAL_METHOD");
  bool bind_ok = method == NULL || strcmp (method, "bind") == 0;
  bool memfd_ok = method == NULL || strcmp (method, "memfd") == 0;
  cleanup_free char **env = NULL;
  int fd = -1, e;

  (void)argc;
  if (sealed)
    return 0;
  /* Nobody in the container may ptrace or read /proc/<pid>/mem of a husk
     that holds host resources; execve of the container process resets it.  */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  if (getenv (MARKER))
    {
      drop_marker (envp);
      if (husk_sealed_how ())
        {
          sealed = true;
          return 0;
        }
      fprintf (stderr, "husk: re-executed from a sealed copy but /proc/self/exe is not sealed\n");
      return -1;
    }
  if (!bind_ok && !memfd_ok)
    {
      fprintf (stderr, "husk: HUSK_SEAL_METHOD `%s`: expected `bind` or `memfd`\n", method);
      return -1;
    }
  if (bind_ok)
    fd = open_bind_copy ();
  if (fd < 0 && memfd_ok)
    fd = open_memfd_copy ();
  if (fd < 0)
    {
      fprintf (stderr, "husk: cannot make a sealed copy of the binary: %s\n", strerror (errno));
      return -1;
    }
  env = env_with_marker (envp);
  if (env == NULL)
    {
      close (fd);
      fprintf (stderr, "husk: out of memory\n");
      return -1;
    }
  fexecve (fd, argv, env);
  e = errno;
  close (fd);
  fprintf (stderr, "husk: re-exec from a sealed copy: %s\n", strerror (e));
  return -1;
}
