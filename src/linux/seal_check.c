/* Proving an exec target is not husk; see seal_check.h for why. */
#include "linux/seal_check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/namespaces.h"

#define MAX_LINKS 40
#define MAX_INTERP 5 /* the kernel's binfmt recursion limit, plus the ELF loader */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
husk_self_id (struct husk_file_id *id)
{
  struct stat st;
  if (stat ("/proc/self/exe", &st) < 0)
    return -1;
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  return 0;
}

static bool
is_id (const struct stat *st, const struct husk_file_id *id)
{
  return st->st_dev == id->dev && st->st_ino == id->ino;
}

/* The next program the kernel would load for the file open at fd:
 * 1 and its path in out (a `#!` interpreter or an ELF PT_INTERP), 0 for
 * none (a static ELF), -1 for a format we do not know (binfmt_misc). */
static int
next_interp (int fd, char *out, size_t n)
{
  unsigned char buf[256];
  ssize_t got = pread (fd, buf, sizeof buf - 1, 0);
  if (got >= 2 && buf[0] == '#' && buf[1] == '!')
    {
      /* Like the kernel: the interpreter is the first word of line one. */
      size_t i = 2, j = 0;
      buf[got] = '\0';
      while (buf[i] == ' ' || buf[i] == '\t')
        i++;
      while (buf[i] && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && j + 1 < n)
        out[j++] = (char)buf[i++];
      out[j] = '\0';
      return j ? 1 : -1;
    }
  if (got >= (ssize_t)sizeof (Elf64_Ehdr) && memcmp (buf, ELFMAG, SELFMAG) == 0
      && buf[EI_CLASS] == ELFCLASS64)
    {
      const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
      Elf64_Phdr ph[64];
      size_t size = (size_t)eh->e_phnum * sizeof (Elf64_Phdr);
      /* All program headers in one read. */
      if (eh->e_phentsize != sizeof (Elf64_Phdr) || size > sizeof ph
          || pread (fd, ph, size, (off_t)eh->e_phoff) != (ssize_t)size)
        return -1;
      for (unsigned k = 0; k < eh->e_phnum; k++)
        {
          if (ph[k].p_type != PT_INTERP)
            continue;
          if (ph[k].p_filesz == 0 || ph[k].p_filesz >= n
              || pread (fd, out, ph[k].p_filesz, (off_t)ph[k].p_offset) != (ssize_t)ph[k].p_filesz)
            return -1;
          out[ph[k].p_filesz] = '\0';
          return 1;
        }
      return 0;
    }
  /* 32-bit ELF and everything else: not worth proving, seal. */
  return -1;
}

/* Path resolution inside the rootfs, done by hand so that every entry
 * crossed is seen: entering a mount target (its content is unknown until
 * the init mounts it) makes the answer unknown. */
struct walk
{
  int rootfd;
  struct stat root;
  struct stat *targets;
  size_t n_targets;
  int links;
};

enum
{
  WALK_MISSING = -1, /* no such file: try the next $PATH entry */
  WALK_UNKNOWN = -2, /* crossed a mount target, a loop, an error: seal */
};

static bool
is_target (const struct walk *w, const struct stat *st)
{
  for (size_t i = 0; i < w->n_targets; i++)
    if (w->targets[i].st_dev == st->st_dev && w->targets[i].st_ino == st->st_ino)
      return true;
  return false;
}

static int walk_at (struct walk *w, int start, const char *path);

/* One step from the directory cur to the entry `name`. A regular file is
 * opened for reading (its first bytes name an interpreter), anything else
 * with O_PATH; nothing goes through /proc, whose lookups are not cheap. */
static int
step (struct walk *w, int cur, const char *name)
{
  char target[PATH_MAX];
  struct stat st;
  ssize_t n;
  int fd;
  if (strcmp (name, "..") == 0)
    {
      if (fstat (cur, &st) == 0 && st.st_dev == w->root.st_dev && st.st_ino == w->root.st_ino)
        return dup (cur); /* ".." of the container's root is itself */
      fd = openat (cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      return fd < 0 ? WALK_UNKNOWN : fd;
    }
  if (fstatat (cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? WALK_MISSING : WALK_UNKNOWN;
  if (is_target (w, &st))
    return WALK_UNKNOWN;
  if (S_ISLNK (st.st_mode))
    {
      n = readlinkat (cur, name, target, sizeof target - 1);
      if (n <= 0 || ++w->links > MAX_LINKS)
        return WALK_UNKNOWN;
      target[n] = '\0';
      return walk_at (w, cur, target);
    }
  fd = openat (cur, name,
               (S_ISREG (st.st_mode) ? O_RDONLY | O_NONBLOCK | O_NOCTTY : O_PATH) | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? WALK_UNKNOWN : fd;
}

static int
walk_at (struct walk *w, int start, const char *path)
{
  char buf[PATH_MAX], *save = NULL;
  int cur;
  if (strlen (path) >= sizeof buf)
    return WALK_UNKNOWN;
  strcpy (buf, path);
  cur = dup (path[0] == '/' ? w->rootfd : start);
  if (cur < 0)
    return WALK_UNKNOWN;
  for (char *c = strtok_r (buf, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      int next;
      if (strcmp (c, ".") == 0)
        continue;
      next = step (w, cur, c);
      close (cur);
      if (next < 0)
        return next;
      cur = next;
    }
  return cur;
}

/* Follow the interpreter chain from the file at fd (consumed). */
static bool
chain_is_safe (struct walk *w, int fd, const struct husk_file_id *self)
{
  char interp[PATH_MAX];
  for (int depth = 0; depth <= MAX_INTERP; depth++)
    {
      struct stat st;
      int r;
      if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || is_id (&st, self))
        break;
      /* The walk opened regular files for reading. */
      r = next_interp (fd, interp, sizeof interp);
      close (fd);
      fd = -1;
      if (r <= 0)
        return r == 0;
      /* A relative interpreter resolves against the process's cwd. */
      if (interp[0] != '/' || (fd = walk_at (w, w->rootfd, interp)) < 0)
        return false;
    }
  if (fd >= 0)
    close (fd);
  return false;
}

/* Whether dest lies in the mount at target (lexically; no ".." in dest,
 * which could climb out of it). */
static bool
lexically_under (const char *dest, const char *target)
{
  if (strstr (dest, "..") != NULL)
    return false;
  for (;;)
    {
      size_t a, b;
      while (*dest == '/')
        dest++;
      while (*target == '/')
        target++;
      if (*target == '\0')
        return true;
      a = strcspn (dest, "/");
      b = strcspn (target, "/");
      if (a != b || strncmp (dest, target, a) != 0)
        return false;
      dest += a;
      target += b;
    }
}

/* Mount targets that exist in the rootfs, plus /proc, /sys and /dev,
 * which husk may mount on without a config entry. A destination inside
 * an earlier target is resolved in that mount, not in the rootfs: the
 * walk stops at the outer target anyway. */
static int
collect_targets (struct walk *w, const struct husk_config *cfg)
{
  static const char *const implicit[] = { "/proc", "/sys", "/dev" };
  size_t n = cfg->n_mounts + 3, kept = 0;
  const char **dests = calloc (n, sizeof *dests);
  int r = 0;
  w->targets = calloc (n, sizeof *w->targets);
  if (w->targets == NULL || dests == NULL)
    r = -1;
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      const char *dest = i < 3 ? implicit[i] : cfg->mounts[i - 3].destination;
      struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
      bool inside = false;
      int fd;
      for (size_t k = 0; k < kept && !inside; k++)
        inside = lexically_under (dest, dests[k]);
      if (inside)
        continue;
      dests[kept++] = dest;
      fd = (int)syscall (SYS_openat2, w->rootfd, dest, &how, sizeof how);
      if (fd < 0)
        {
          /* Missing: the mount creates it, and no walk can pass it. */
          r = errno == ENOENT ? 0 : -1;
          continue;
        }
      if (fstat (fd, &w->targets[w->n_targets]) == 0)
        w->n_targets++;
      else
        r = -1;
      close (fd);
    }
  free (dests);
  return r;
}

static const char *
path_env (char **env)
{
  for (; env && *env; env++)
    if (strncmp (*env, "PATH=", 5) == 0)
      return *env + 5;
  return DEFAULT_PATH;
}

/* Like husk_find_executable, on the rootfs: the first candidate that is
 * an executable regular file; anything unknown on the way stops it. */
static bool
target_is_safe (struct walk *w, const struct husk_process *p, const struct husk_file_id *self)
{
  const char *name = p->args[0];
  char *copy, *save = NULL;
  bool safe = false;
  if (strchr (name, '/'))
    {
      int fd = name[0] == '/' ? walk_at (w, w->rootfd, name) : WALK_UNKNOWN;
      return fd >= 0 && chain_is_safe (w, fd, self);
    }
  copy = strdup (path_env (p->env));
  for (char *dir = copy ? strtok_r (copy, ":", &save) : NULL; dir; dir = strtok_r (NULL, ":", &save))
    {
      char cand[PATH_MAX];
      struct stat st;
      int fd;
      if (dir[0] != '/' || snprintf (cand, sizeof cand, "%s/%s", dir, name) >= (int)sizeof cand)
        break;
      fd = walk_at (w, w->rootfd, cand);
      if (fd == WALK_MISSING)
        continue;
      if (fd < 0)
        break;
      if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 0111))
        {
          safe = chain_is_safe (w, fd, self);
          break;
        }
      close (fd);
    }
  free (copy);
  return safe;
}

bool
husk_seal_needed (const struct husk_config *cfg, const char *rootfs, const struct husk_file_id *self)
{
  struct walk w = { .rootfd = -1 };
  bool safe = false;
  /* Another process may share the pid namespace and watch the init. */
  if (!husk_ns_is_new (cfg, HUSK_NS_PID) || cfg->process == NULL || cfg->process->args == NULL
      || cfg->process->args[0] == NULL)
    return true;
  w.rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (w.rootfd >= 0 && fstat (w.rootfd, &w.root) == 0 && collect_targets (&w, cfg) == 0)
    safe = target_is_safe (&w, cfg->process, self);
  if (w.rootfd >= 0)
    close (w.rootfd);
  free (w.targets);
  return !safe;
}

int
husk_exec_check_not_self (const char *exe, const struct husk_file_id *self, husk_error_t *err)
{
  char path[PATH_MAX];
  if (strlen (exe) >= sizeof path)
    return 0;
  strcpy (path, exe);
  for (int depth = 0; depth <= MAX_INTERP; depth++)
    {
      struct stat st;
      int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r;
      if (fd < 0)
        return 0; /* execve reports it */
      if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
        {
          close (fd);
          return 0;
        }
      if (is_id (&st, self))
        {
          close (fd);
          return husk_error (
              err, 0,
              "process.args[0]: `%s`%s%s%s runs the husk binary itself; refusing to execute it "
              "inside the container from an unsealed husk (CVE-2019-5736)",
              exe, depth ? " (through its interpreter `" : "", depth ? path : "", depth ? "`)" : "");
        }
      r = next_interp (fd, path, sizeof path);
      close (fd);
      if (r <= 0)
        return 0;
    }
  return 0;
}
