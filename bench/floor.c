/* floor: the kernel work of `run` for the benchmark's bundle and nothing
 * else, so that a runtime's time can be compared with the cost the kernel
 * itself imposes. No parsing, no state, no cgroup creation: the work
 * is hard-coded to what the default `spec` asks for.
 *
 *   floor [-N] [-G] ROOTFS [CMD ARGS...]
 *     -N  no network namespace (the "run without netns" scenario)
 *     -G  skip the /sys/fs/cgroup mount (tmpfs plus one bind per v1 hierarchy)
 *     -V  clone the child with CLONE_VM (no page-table copy; an experiment for
 *         the runtime's own spawn path)
 *     -c NAME  also do the cgroup work: create NAME in every v1 hierarchy (cpuset
 *              initialised), the spec's device rules (deny all, allow the
 *              defaults), move the child in before it starts, remove after
 *   floor -e PID [CMD ARGS...]
 *     the kernel work of `exec`: join PID's namespaces, fork, drop
 *     capabilities, no_new_privs, exec CMD, wait
 *   CMD defaults to /bin/true; another one is for checking what the floor set up.
 *
 * Exits with the container's exit status (or 128+signal), 1 if a step fails. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <linux/capability.h>

#define MAX_HIER 32

static const char *rootfs;
static char *const *cmd;
static char hier[MAX_HIER][64]; /* v1 hierarchies under /sys/fs/cgroup */
static int nhier;

static void __attribute__ ((noreturn)) die (const char *what, const char *arg)
{
  fprintf (stderr, "floor: %s %s: %s\n", what, arg ? arg : "", strerror (errno));
  _exit (1);
}

static void
mnt (const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
  if (mount (src, dst, type, flags, data) < 0)
    die ("mount", dst);
}

/* Bind-mount then remount read-only: the kernel needs two calls. */
static void
bind_ro (const char *src, const char *dst, unsigned long extra)
{
  mnt (src, dst, NULL, MS_BIND | MS_REC, NULL);
  mnt (NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | extra, NULL);
}

static const char *cgroup; /* -c: the container's own cgroup, bound instead of the root */

static void
mount_cgroup_tree (void)
{
  char src[256], dst[128];

  mnt ("tmpfs", "sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
  for (int i = 0; i < nhier; i++)
    {
      snprintf (src, sizeof src, "/sys/fs/cgroup/%.63s/%.100s", hier[i], cgroup ? cgroup : "");
      snprintf (dst, sizeof dst, "sys/fs/cgroup/%.63s", hier[i]);
      if (mkdir (dst, 0755) < 0 && errno != EEXIST)
        die ("mkdir", dst);
      bind_ro (src, dst, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }
  mnt (NULL, "sys/fs/cgroup", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
}

static void
mount_all (int cgroup_tree)
{
  mnt ("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mnt ("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  mkdir ("dev/pts", 0755);
  mnt ("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mkdir ("dev/shm", 0755);
  mnt ("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
  mkdir ("dev/mqueue", 0755);
  mnt ("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  mnt ("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
  if (cgroup_tree)
    mount_cgroup_tree ();
}

static void
make_devices (void)
{
  static const struct
  {
    const char *path;
    int maj, min;
  } devs[] = {
    { "dev/null", 1, 3 },   { "dev/zero", 1, 5 },    { "dev/full", 1, 7 },
    { "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
  };
  static const char *links[][2] = {
    { "/proc/self/fd", "dev/fd" },       { "/proc/self/fd/0", "dev/stdin" },
    { "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
    { "pts/ptmx", "dev/ptmx" },          { "/proc/kcore", "dev/core" },
  };
  mode_t old = umask (0);

  for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
    if (mknod (devs[i].path, S_IFCHR | 0666, makedev (devs[i].maj, devs[i].min)) < 0)
      die ("mknod", devs[i].path);
  umask (old);
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlink (links[i][0], links[i][1]) < 0)
      die ("symlink", links[i][1]);
}

static void
enter_root (void)
{
  int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0)
    die ("open", "/");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    die ("pivot_root", rootfs);
  if (fchdir (oldroot) < 0)
    die ("fchdir", "oldroot");
  /* Keep the old root's unmount from propagating to the host. */
  mnt (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL);
  if (umount2 (".", MNT_DETACH) < 0)
    die ("umount", "oldroot");
  close (oldroot);
  if (chdir ("/") < 0)
    die ("chdir", "/");
}

/* Directories get an empty read-only tmpfs, files /dev/null; like runc. */
static void
mask_and_protect (void)
{
  static const char *masked[]
      = { "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
          "/sys/firmware",       "/proc/scsi" };
  static const char *ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };
  struct stat st;

  for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
    {
      if (stat (masked[i], &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        mnt ("tmpfs", masked[i], "tmpfs", MS_RDONLY, NULL);
      else
        mnt ("/dev/null", masked[i], NULL, MS_BIND, NULL);
    }
  for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
    {
      if (mount (ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT)
            continue;
          die ("mount", ro[i]);
        }
      mnt (NULL, ro[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
    }
}

/* The default spec's set: AUDIT_WRITE, KILL, NET_BIND_SERVICE in bounding,
 * effective, permitted and ambient; nothing inheritable. */
static void
drop_caps (void)
{
  const unsigned long keep = (1UL << CAP_AUDIT_WRITE) | (1UL << CAP_KILL) | (1UL << CAP_NET_BIND_SERVICE);
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  int last = CAP_LAST_CAP;
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");

  if (f)
    {
      if (fscanf (f, "%d", &last) != 1)
        last = CAP_LAST_CAP;
      fclose (f);
    }
  for (int c = 0; c <= last; c++)
    if (!(c < 64 && (keep & (1UL << c))) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      die ("capbset_drop", NULL);
  data[0].effective = data[0].permitted = (unsigned)keep;
  if (syscall (SYS_capset, &hdr, data) < 0)
    die ("capset", NULL);
  /* Ambient needs the cap in inheritable; with none set this fails like in
   * runc, which ignores it too. */
  for (int c = 0; c < 64; c++)
    if (keep & (1UL << c))
      prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
}

static void
write_file (const char *path, const char *val)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    die ("open", path);
  if (write (fd, val, strlen (val)) < 0)
    die ("write", path);
  close (fd);
}

static void
copy_file (const char *from, const char *to)
{
  char buf[256];
  int fd = open (from, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    die ("open", from);
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n < 0)
    die ("read", from);
  buf[n] = 0;
  write_file (to, buf);
}

/* What runc does for a v1 container: a group per hierarchy, then joins. */
static void
cgroup_create (const char *name, pid_t pid)
{
  static const char *allow[]
      = { "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",   "c 1:7 rwm",   "c 1:8 rwm",
          "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm" };
  char dir[256], path[320], num[16];

  snprintf (num, sizeof num, "%d", (int)pid);
  for (int i = 0; i < nhier; i++)
    {
      snprintf (dir, sizeof dir, "/sys/fs/cgroup/%.63s/%.100s", hier[i], name);
      if (mkdir (dir, 0755) < 0)
        die ("mkdir", dir);
      if (strcmp (hier[i], "cpuset") == 0)
        {
          snprintf (path, sizeof path, "%s/cpuset.cpus", dir);
          copy_file ("/sys/fs/cgroup/cpuset/cpuset.cpus", path);
          snprintf (path, sizeof path, "%s/cpuset.mems", dir);
          copy_file ("/sys/fs/cgroup/cpuset/cpuset.mems", path);
        }
      if (strcmp (hier[i], "devices") == 0)
        {
          snprintf (path, sizeof path, "%s/devices.deny", dir);
          write_file (path, "a");
          snprintf (path, sizeof path, "%s/devices.allow", dir);
          for (size_t k = 0; k < sizeof allow / sizeof allow[0]; k++)
            write_file (path, allow[k]);
        }
      snprintf (path, sizeof path, "%s/cgroup.procs", dir);
      write_file (path, num);
    }
}

static void
cgroup_remove (const char *name)
{
  char dir[256];

  for (int i = 0; i < nhier; i++)
    {
      snprintf (dir, sizeof dir, "/sys/fs/cgroup/%.63s/%.100s", hier[i], name);
      if (rmdir (dir) < 0)
        die ("rmdir", dir);
    }
}

static int
child (int cgroup_tree, int gate)
{
  static char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=xterm", "HOME=/root", NULL };
  const struct rlimit nofile = { 1024, 1024 };
  char c;

  /* With -c, wait until the parent has moved us into the cgroups. */
  if (gate >= 0 && read (gate, &c, 1) != 1)
    die ("read", "gate");

  if (sethostname ("runc", 4) < 0)
    die ("sethostname", NULL);
  mnt (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL);
  mnt (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
  if (chdir (rootfs) < 0)
    die ("chdir", rootfs);
  mount_all (cgroup_tree);
  make_devices ();
  enter_root ();
  mask_and_protect ();
  /* root.readonly */
  mnt (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
  if (setrlimit (RLIMIT_NOFILE, &nofile) < 0)
    die ("setrlimit", NULL);
  if (setgroups (0, NULL) < 0 || setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    die ("setid", NULL);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    die ("no_new_privs", NULL);
  drop_caps ();
  execve (cmd[0], cmd, envp);
  die ("execve", cmd[0]);
}

static int
exec_in (const char *pid)
{
  static const char *ns[] = { "ipc", "uts", "net", "pid", "mnt" };
  static char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=xterm", "HOME=/root", NULL };
  char path[64];
  int status;
  pid_t child;

  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
    {
      snprintf (path, sizeof path, "/proc/%s/ns/%s", pid, ns[i]);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns (fd, 0) < 0)
        die ("setns", path);
      close (fd);
    }
  if (chdir ("/") < 0)
    die ("chdir", "/");
  child = fork ();
  if (child < 0)
    die ("fork", NULL);
  if (child == 0)
    {
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die ("no_new_privs", NULL);
      drop_caps ();
      execve (cmd[0], cmd, envp);
      die ("execve", cmd[0]);
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      die ("waitpid", NULL);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static int vm_args[2];

static int
child_vm (void *arg)
{
  int *a = arg;
  return child (a[0], a[1]);
}

static void
list_hierarchies (void)
{
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *e;

  if (!d)
    return;
  while ((e = readdir (d)) && nhier < MAX_HIER)
    if (e->d_type == DT_DIR && e->d_name[0] != '.' && strcmp (e->d_name, "unified") != 0
        && strlen (e->d_name) < sizeof hier[0])
      strcpy (hier[nhier++], e->d_name);
  closedir (d);
}

int
main (int argc, char **argv)
{
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS;
  static char *default_cmd[] = { "/bin/true", NULL };
  int cgroup_tree = 1, share_vm = 0, opt, status, gate[2] = { -1, -1 };
  const char *exec_pid = NULL;
  pid_t pid;

  while ((opt = getopt (argc, argv, "+NGVc:e:")) != -1)
    switch (opt)
      {
      case 'N':
        flags &= ~CLONE_NEWNET;
        break;
      case 'G':
        cgroup_tree = 0;
        break;
      case 'V':
        share_vm = 1;
        break;
      case 'c':
        cgroup = optarg;
        break;
      case 'e':
        exec_pid = optarg;
        break;
      default:
        fprintf (stderr, "usage: floor [-N] [-G] [-V] [-c CGROUP] ROOTFS [CMD...] | floor -e PID [CMD...]\n");
        return 2;
      }
  if (exec_pid)
    {
      cmd = optind < argc ? argv + optind : default_cmd;
      return exec_in (exec_pid);
    }
  if (optind >= argc)
    {
      fprintf (stderr, "usage: floor [-N] [-G] [-V] [-c CGROUP] ROOTFS [CMD...] | floor -e PID [CMD...]\n");
      return 2;
    }
  rootfs = argv[optind];
  cmd = optind + 1 < argc ? argv + optind + 1 : default_cmd;
  if (cgroup_tree || cgroup)
    list_hierarchies ();
  if (cgroup && pipe2 (gate, O_CLOEXEC) < 0)
    die ("pipe", NULL);
  if (share_vm)
    {
      /* The child runs on its own stack in our address space until execve:
       * no page tables to copy. It only makes syscalls and never returns. */
      static char stack[256 * 1024] __attribute__ ((aligned (16)));
      vm_args[0] = cgroup_tree;
      vm_args[1] = gate[0];
      pid = clone (child_vm, stack + sizeof stack, flags | CLONE_VM | SIGCHLD, vm_args);
    }
  else /* fork-like clone: the child runs on a copy of our stack. */
    pid = syscall (SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    die ("clone", NULL);
  if (pid == 0)
    return child (cgroup_tree, gate[0]);
  if (cgroup)
    {
      cgroup_create (cgroup, pid);
      if (write (gate[1], "x", 1) != 1)
        die ("write", "gate");
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      die ("waitpid", NULL);
  if (cgroup)
    cgroup_remove (cgroup);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
