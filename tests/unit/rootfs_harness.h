/* Shared by the rootfs unit tests: a busybox rootfs template in a temp
 * dir, and run_container, which forks a child that unshares a mount (and
 * pid...) namespace and runs prepare/pivot/finalize in a grandchild (pid 1
 * of the new pid namespace) that checks the result from inside. The mount
 * namespace dies with the child, so nothing is left mounted on the host.
 * Each test binary includes this once; not every binary uses every helper. */
#ifndef HUSK_TESTS_ROOTFS_HARNESS_H
#define HUSK_TESTS_ROOTFS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/rootfs.h"
#include "oci/config.h"
#include "util/fs.h"

#pragma GCC diagnostic ignored "-Wunused-function"

static char tmpdir[] = "/tmp/husk-rootfs-unit-XXXXXX";
static bool have_root, have_template;
static int test_no;

#define BASE_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)

/* The mounts and paths `runc spec` writes (as tests/integration). */
static const char base_config[]
    = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
      "\"mounts\": ["
      "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
      "{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      " \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
      "{\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
      " \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\","
      " \"mode=0620\", \"gid=5\"]},"
      "{\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
      " \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
      "{\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
      " \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
      "{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
      " \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
      "{\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
      " \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],"
      "\"linux\": {"
      "\"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
      " \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
      " \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"
      "\"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
      " \"/proc/sysrq-trigger\"]}}";

/* ---- harness ------------------------------------------------------ */

struct env
{
  char dir[PATH_MAX - 64]; /* per-test scratch dir on the host */
  char rootfs[PATH_MAX];   /* dir/rootfs */
  json_object *cfg;
  struct husk_rootfs_opts opts;
  bool shared_host;  /* "host" mounts shared, rootfs a shared mount point */
  const char *idmap; /* uid/gid map with CLONE_NEWUSER (default identity) */
};

static int
sh (const char *fmt, ...)
{
  char *cmd = NULL;
  va_list ap;
  int r;
  va_start (ap, fmt);
  r = vasprintf (&cmd, fmt, ap);
  va_end (ap);
  if (r < 0)
    return -1;
  r = system (cmd);
  free (cmd);
  return r;
}

static void
env_init (struct env *e)
{
  const char *src = getenv ("HUSK_SRCDIR");
  if (!have_root)
    skip ();
  memset (e, 0, sizeof (*e));
  snprintf (e->dir, sizeof e->dir, "%s/t%d", tmpdir, ++test_no);
  snprintf (e->rootfs, sizeof e->rootfs, "%s/rootfs", e->dir);
  assert_int_equal (mkdir (e->dir, 0755), 0);
  /* One busybox rootfs per run (make-rootfs.sh forks per applet), copied. */
  if (!have_template)
    {
      assert_int_equal (sh ("%s/scripts/make-rootfs.sh %s/template >/dev/null", src ? src : ".", tmpdir), 0);
      have_template = true;
    }
  assert_int_equal (sh ("cp -a %s/template %s", tmpdir, e->rootfs), 0);
  e->cfg = json_tokener_parse (base_config);
  assert_non_null (e->cfg);
  e->opts.rootfs = e->rootfs;
}

static void
env_free (struct env *e)
{
  json_object_put (e->cfg);
}

static json_object *
linux_obj (struct env *e)
{
  json_object *lx = NULL;
  json_object_object_get_ex (e->cfg, "linux", &lx);
  return lx;
}

static void
add_mount (struct env *e, const char *dest, const char *type, const char *source, const char *const *opts)
{
  json_object *mounts = NULL, *m = json_object_new_object (), *o = json_object_new_array ();
  json_object_object_get_ex (e->cfg, "mounts", &mounts);
  json_object_object_add (m, "destination", json_object_new_string (dest));
  if (type)
    json_object_object_add (m, "type", json_object_new_string (type));
  if (source)
    json_object_object_add (m, "source", json_object_new_string (source));
  for (; opts && *opts; opts++)
    json_object_array_add (o, json_object_new_string (*opts));
  json_object_object_add (m, "options", o);
  json_object_array_add (mounts, m);
}

static struct husk_config *
make_config (struct env *e)
{
  struct husk_config *cfg = NULL;
  husk_error_t err = NULL;
  const char *text = json_object_to_json_string (e->cfg);
  if (husk_config_parse (text, strlen (text), "test", false, &cfg, &err) < 0)
    fail_msg ("config: %s", err->msg);
  return cfg;
}

typedef char *(*check_fn) (void *arg);

static void
report (int fd, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) >= 0 && husk_write_all (fd, msg, strlen (msg)) < 0)
    _exit (3);
  va_end (ap);
  free (msg);
}

static void __attribute__ ((noreturn))
container_init (const struct husk_config *cfg, const struct husk_rootfs_opts *o, check_fn check, void *arg,
                int out)
{
  husk_error_t err = NULL;
  char *msg;
  if (husk_rootfs_prepare (cfg, o, &err) < 0)
    report (out, "prepare: %s", err->msg), _exit (1);
  if (husk_rootfs_pivot (cfg, o, &err) < 0)
    report (out, "pivot: %s", err->msg), _exit (1);
  if (husk_rootfs_finalize (cfg, o, &err) < 0)
    report (out, "finalize: %s", err->msg), _exit (1);
  msg = check ? check (arg) : NULL;
  if (msg)
    report (out, "check: %s", msg), _exit (1);
  report (out, "OK");
  _exit (0);
}

static void
write_map (pid_t pid, const char *file, const char *map)
{
  char path[64];
  husk_error_t err = NULL;
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  if (husk_write_existing_at (AT_FDCWD, path, map, strlen (map), &err) < 0)
    fail_msg ("%s", err->msg);
}

/* Plays a systemd host: everything rshared, the rootfs its own shared
 * mount point (like an overlay from containerd). */
static int
shared_host_setup (struct env *e, int out)
{
  if (mount (NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0
      || mount (e->rootfs, e->rootfs, NULL, MS_BIND, NULL) < 0
      || mount (NULL, e->rootfs, NULL, MS_SHARED, NULL) < 0)
    {
      report (out, "shared host: %s", strerror (errno));
      return -1;
    }
  return 0;
}

/* After the container: did any of its mounts reach the "host"? */
static bool
leaked (struct env *e, int out)
{
  char *text = NULL, *line, *save = NULL;
  husk_error_t err = NULL;
  int n = 0;
  bool bad;
  if (husk_read_file ("/proc/self/mountinfo", &text, NULL, &err) < 0)
    return true;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strstr (line, e->rootfs))
      n++;
  free (text);
  /* Only our own bind of the rootfs may be there. */
  bad = n != 1;
  if (bad)
    report (out, "%d mounts under the rootfs reached the host", n);
  return bad;
}

/* Runs the three phases in new namespaces; returns what the container
 * reported ("OK" or the failure), caller frees. */
static char *
run_container (struct env *e, int flags, check_fn check, void *arg)
{
  struct husk_config *cfg = make_config (e);
  char buf[8192];
  int out[2], sync_in[2], sync_out[2], status;
  ssize_t n;
  pid_t pid;
  assert_int_equal (pipe2 (out, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (sync_in, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (sync_out, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c = 0;
      pid_t init;
      close (out[0]);
      /* With a user namespace the parent writes our id maps first. */
      if ((flags & CLONE_NEWUSER)
          && (unshare (CLONE_NEWUSER) < 0 || write (sync_in[1], &c, 1) != 1 || read (sync_out[0], &c, 1) != 1
              || setgroups (0, NULL) < 0 || setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
        report (out[1], "userns: %s", strerror (errno)), _exit (1);
      if (unshare (flags & ~CLONE_NEWUSER) < 0)
        report (out[1], "unshare: %s", strerror (errno)), _exit (1);
      if (e->shared_host && shared_host_setup (e, out[1]) < 0)
        _exit (1);
      init = fork ();
      if (init == 0)
        {
          /* The init's mount ns is a copy of ours: with shared_host, its
           * mounts are peers of ours, as on a systemd host. */
          if (e->shared_host && unshare (CLONE_NEWNS) < 0)
            report (out[1], "unshare: %s", strerror (errno)), _exit (1);
          container_init (cfg, &e->opts, check, arg, out[1]);
        }
      if (init < 0 || waitpid (init, &status, 0) < 0)
        _exit (2);
      if (e->shared_host && WIFEXITED (status) && WEXITSTATUS (status) == 0 && leaked (e, out[1]))
        _exit (1);
      _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 2);
    }
  close (out[1]);
  close (sync_in[1]);
  close (sync_out[0]);
  if (flags & CLONE_NEWUSER)
    {
      char c;
      if (read (sync_in[0], &c, 1) == 1)
        {
          const char *map = e->idmap ? e->idmap : "0 0 4294967295\n";
          write_map (pid, "uid_map", map);
          write_map (pid, "gid_map", map);
        }
      assert_int_equal (write (sync_out[1], &c, 1), 1);
    }
  n = husk_read_all (out[0], buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = '\0';
  close (out[0]);
  close (sync_in[0]);
  close (sync_out[1]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  husk_config_free (cfg);
  return strdup (buf);
}

static void
expect_ok (struct env *e, int flags, check_fn check, void *arg)
{
  char *r = run_container (e, flags, check, arg);
  if (strcmp (r, "OK") != 0)
    fail_msg ("%s", r);
  free (r);
}

static void
expect_error (struct env *e, const char *part1, const char *part2)
{
  char *r = run_container (e, BASE_FLAGS, NULL, NULL);
  if (strstr (r, part1) == NULL || (part2 && strstr (r, part2) == NULL))
    fail_msg ("expected an error with `%s` and `%s`, got: %s", part1, part2 ? part2 : "", r);
  free (r);
}

/* ---- checks run inside the container ------------------------------- */

#define CHECK(cond, ...)                                                                                     \
  do                                                                                                         \
    {                                                                                                        \
      if (!(cond))                                                                                           \
        {                                                                                                    \
          char *_m = NULL;                                                                                   \
          if (asprintf (&_m, __VA_ARGS__) < 0)                                                               \
            _m = NULL;                                                                                       \
          return _m ? _m : strdup ("?");                                                                     \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

/* fstype and per-mount options of the topmost mount at `mp`. */
static bool
find_mount (const char *mp, char *fstype, char *opts)
{
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  char line[4096], m[PATH_MAX], o[512], t[64];
  bool found = false;
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    {
      char *dash = strstr (line, " - ");
      if (sscanf (line, "%*s %*s %*s %*s %4095s %511s", m, o) != 2 || dash == NULL
          || sscanf (dash + 3, "%63s", t) != 1 || strcmp (m, mp) != 0)
        continue;
      found = true;
      if (fstype)
        strcpy (fstype, t);
      if (opts)
        strcpy (opts, o);
    }
  fclose (f);
  return found;
}

static bool
has_opt (const char *opts, const char *o)
{
  size_t l = strlen (o);
  const char *p = opts;
  while ((p = strstr (p, o)))
    {
      if ((p == opts || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
        return true;
      p += l;
    }
  return false;
}

static char *
check_mount (const char *mp, const char *fstype, const char *opt)
{
  char t[64] = "", o[512] = "";
  CHECK (find_mount (mp, t, o), "no mount at %s", mp);
  CHECK (strcmp (t, fstype) == 0, "%s is %s, want %s", mp, t, fstype);
  CHECK (opt == NULL || has_opt (o, opt), "%s has options %s, want %s", mp, o, opt);
  return NULL;
}

static char *
check_char (const char *path, unsigned maj, unsigned min, mode_t mode)
{
  struct stat st;
  CHECK (stat (path, &st) == 0, "stat %s: %s", path, strerror (errno));
  CHECK (S_ISCHR (st.st_mode), "%s is not a char device", path);
  CHECK (major (st.st_rdev) == maj && minor (st.st_rdev) == min, "%s is %u:%u", path, major (st.st_rdev),
         minor (st.st_rdev));
  CHECK (mode == 0 || (st.st_mode & 07777) == mode, "%s has mode %o", path, st.st_mode & 07777);
  return NULL;
}

static char *
check_link (const char *path, const char *want)
{
  char buf[PATH_MAX];
  ssize_t n = readlink (path, buf, sizeof buf - 1);
  CHECK (n > 0, "readlink %s: %s", path, strerror (errno));
  buf[n] = '\0';
  CHECK (strcmp (buf, want) == 0, "%s -> %s, want %s", path, buf, want);
  return NULL;
}

static bool
is_ro (const char *path)
{
  struct statvfs sv;
  return statvfs (path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static bool
is_fs (const char *path, long magic)
{
  struct statfs sf;
  return statfs (path, &sf) == 0 && sf.f_type == magic;
}

#define TRY_CHECK(expr)                                                                                      \
  do                                                                                                         \
    {                                                                                                        \
      char *_r = (expr);                                                                                     \
      if (_r)                                                                                                \
        return _r;                                                                                           \
    }                                                                                                        \
  while (0)

/* arg: non-NULL in a user namespace that does not map the host root. */
static char *
check_default (void *arg)
{
  static const char *const devs[][2]
      = { { "/dev/zero", "5" }, { "/dev/full", "7" }, { "/dev/random", "8" }, { "/dev/urandom", "9" } };
  char buf[16];
  int fd;
  size_t i;
  (void)arg;
  CHECK (getpid () == 1, "not pid 1");
  CHECK (access ("/bin/busybox", X_OK) == 0, "no /bin/busybox in the new root");
  CHECK (access (tmpdir, F_OK) < 0, "the host's %s is visible", tmpdir);
  TRY_CHECK (check_char ("/dev/null", 1, 3, 0666));
  for (i = 0; i < 4; i++)
    TRY_CHECK (check_char (devs[i][0], 1, (unsigned)atoi (devs[i][1]), 0666));
  TRY_CHECK (check_char ("/dev/tty", 5, 0, 0666));
  TRY_CHECK (check_link ("/dev/ptmx", "pts/ptmx"));
  TRY_CHECK (check_link ("/dev/fd", "/proc/self/fd"));
  TRY_CHECK (check_link ("/dev/stdin", "/proc/self/fd/0"));
  TRY_CHECK (check_link ("/dev/stderr", "/proc/self/fd/2"));
  TRY_CHECK (check_mount ("/proc", "proc", NULL));
  TRY_CHECK (check_mount ("/dev", "tmpfs", "nosuid"));
  TRY_CHECK (check_mount ("/dev/pts", "devpts", "noexec"));
  TRY_CHECK (check_mount ("/dev/shm", "tmpfs", "nodev"));
  TRY_CHECK (check_mount ("/dev/mqueue", "mqueue", "nosuid"));
  TRY_CHECK (check_mount ("/sys", "sysfs", "ro"));
  TRY_CHECK (check_mount ("/sys/fs/cgroup", "tmpfs", "ro"));
  /* maskedPaths: a file shows the null device, a directory an empty ro tmpfs. */
  TRY_CHECK (check_char ("/proc/keys", 1, 3, 0));
  fd = open ("/proc/keys", O_RDONLY);
  CHECK (fd >= 0 && read (fd, buf, sizeof buf) == 0, "/proc/keys is readable");
  CHECK (access ("/proc/kcore", F_OK) < 0 || check_char ("/proc/kcore", 1, 3, 0) == NULL,
         "/proc/kcore unmasked");
  close (fd);
  CHECK (is_fs ("/sys/firmware", TMPFS_MAGIC) && is_ro ("/sys/firmware"), "/sys/firmware not masked");
  /* readonlyPaths keep procfs, read-only. */
  CHECK (is_fs ("/proc/sys", PROC_SUPER_MAGIC) && is_ro ("/proc/sys"), "/proc/sys not read-only procfs");
  fd = open ("/proc/sys/kernel/domainname", O_WRONLY);
  /* (With a mapped userns, the unmapped owner already refuses.) */
  CHECK (fd < 0 && (errno == EROFS || (arg && errno == EACCES)), "/proc/sys/kernel/domainname writable (%s)",
         strerror (errno));
  TRY_CHECK (check_mount ("/proc/sys", "proc", "ro"));
  /* root.readonly: "/" only; /dev/shm stays writable. */
  CHECK (mkdir ("/newdir", 0755) < 0 && errno == EROFS, "/ is writable");
  fd = open ("/dev/shm/x", O_CREAT | O_WRONLY, 0644);
  CHECK (fd >= 0, "/dev/shm not writable: %s", strerror (errno));
  close (fd);
  return NULL;
}

static char *
check_cgroup_v1 (void *arg)
{
  char path[PATH_MAX], t[64];
  (void)arg;
  if (is_fs ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
    return NULL;
  TRY_CHECK (check_mount ("/sys/fs/cgroup/memory", "cgroup", "ro"));
  CHECK (access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0, "no memory.limit_in_bytes");
  CHECK (is_ro ("/sys/fs/cgroup/memory"), "/sys/fs/cgroup/memory is writable");
  CHECK (find_mount ("/sys/fs/cgroup/cpu", t, NULL), "no cpu hierarchy");
  /* The init sees its own cgroup as the root of each hierarchy. */
  snprintf (path, sizeof path, "/sys/fs/cgroup/pids/cgroup.procs");
  CHECK (access (path, R_OK) == 0, "no %s", path);
  return NULL;
}

struct escape
{
  char host[PATH_MAX];
};

static char *
check_escape (void *arg)
{
  struct escape *x = arg;
  char p[PATH_MAX + 16];
  (void)x;
  /* The symlinks resolved inside the rootfs: the mounts are there. */
  snprintf (p, sizeof p, "%s/sub", x->host);
  CHECK (is_fs (p, TMPFS_MAGIC), "no tmpfs at %s inside the container", p);
  snprintf (p, sizeof p, "%s/abs", x->host);
  CHECK (is_fs (p, TMPFS_MAGIC), "no tmpfs at %s inside the container", p);
  CHECK (is_fs ("/up/sub", TMPFS_MAGIC) || is_fs ("/sub", TMPFS_MAGIC), "no tmpfs at /sub");
  return NULL;
}

static char *
check_uptime (void *arg)
{
  char buf[64] = "";
  FILE *f = fopen ("/proc/uptime", "r");
  (void)arg;
  CHECK (f && fgets (buf, sizeof buf, f), "read /proc/uptime");
  fclose (f);
  CHECK (strcmp (buf, "42.00 1.00\n") == 0, "/proc/uptime is `%s`", buf);
  return NULL;
}

static char *
check_binds (void *arg)
{
  struct statvfs sv;
  char buf[64] = "";
  FILE *f;
  int fd;
  (void)arg;
  f = fopen ("/data/f", "r");
  CHECK (f && fgets (buf, sizeof buf, f) && strcmp (buf, "hello\n") == 0, "/data/f: `%s`", buf);
  fclose (f);
  CHECK (statvfs ("/data", &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID), "/data flags %lx",
         sv.f_flag);
  fd = open ("/data/f", O_WRONLY);
  CHECK (fd < 0 && errno == EROFS, "/data/f writable");
  CHECK (access ("/reldata/f", R_OK) == 0, "relative bind source not taken from the bundle");
  /* rro reaches the submounts too; plain ro only the top. */
  CHECK (is_ro ("/devro") && is_ro ("/devro/shm"), "/devro/shm writable (rro not recursive)");
  CHECK (is_ro ("/devrw") && !is_ro ("/devrw/shm"), "ro on an rbind changed a submount");
  f = fopen ("/etc/hostfile.conf", "r");
  CHECK (f && fgets (buf, sizeof buf, f) && strcmp (buf, "conf\n") == 0, "/etc/hostfile.conf: `%s`", buf);
  fclose (f);
  CHECK (open ("/etc/hostfile.conf", O_WRONLY) < 0 && errno == EROFS, "/etc/hostfile.conf writable");
  TRY_CHECK (check_mount ("/run", "tmpfs", "nodev"));
  {
    struct stat st;
    CHECK (stat ("/run", &st) == 0 && (st.st_mode & 07777) == 0700, "/run mode %o", st.st_mode & 07777);
    CHECK (stat ("/tmp", &st) == 0 && (st.st_mode & 07777) == 01777, "/tmp mode %o (kept)",
           st.st_mode & 07777);
  }
  CHECK (is_fs ("/tmp", TMPFS_MAGIC), "/tmp not a tmpfs");
  CHECK (access ("/tmp/keep/me", F_OK) == 0, "tmpcopyup lost /tmp/keep/me");
  CHECK (is_fs ("/mnt/new/dir", TMPFS_MAGIC), "no tmpfs at the created /mnt/new/dir");
  /* /etc/resolv.conf was a symlink to a missing file: that was created. */
  f = fopen ("/var/resolv.conf", "r");
  CHECK (f && fgets (buf, sizeof buf, f) && strcmp (buf, "conf\n") == 0, "resolv.conf target: `%s`", buf);
  fclose (f);
  return NULL;
}

static char *
check_devices (void *arg)
{
  struct stat st;
  (void)arg;
  TRY_CHECK (check_char ("/dev/fuse", 10, 229, 0600));
  CHECK (stat ("/dev/fuse", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001, "/dev/fuse owner %u:%u",
         st.st_uid, st.st_gid);
  TRY_CHECK (check_char ("/dev/deep/er/kmsg", 1, 11, 0666));
  CHECK (stat ("/dev/fifo0", &st) == 0 && S_ISFIFO (st.st_mode), "no /dev/fifo0");
  /* A listed default device takes the config's mode. */
  TRY_CHECK (check_char ("/dev/null", 1, 3, 0660));
  return NULL;
}

static char *
check_userns (void *arg)
{
  (void)arg;
  /* mknod is refused in a user namespace: the host's nodes are bound. */
  TRY_CHECK (check_char ("/dev/null", 1, 3, 0));
  CHECK (find_mount ("/dev/null", NULL, NULL), "/dev/null is not a bind mount");
  return check_default (NULL);
}

static char *
check_mapped_userns (void *arg)
{
  struct stat st;
  (void)arg;
  CHECK (stat ("/bin/busybox", &st) == 0 && st.st_uid == 0, "rootfs not owned by the mapped root");
  /* Files the host root owns show as the overflow id. */
  CHECK (stat ("/dev/null", &st) == 0 && st.st_uid == 65534, "/dev/null owner %u", st.st_uid);
  TRY_CHECK (check_mount ("/sys/fs/cgroup/memory", "cgroup", "ro"));
  return check_default ("mapped");
}

static char *
check_shared (void *arg)
{
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  char line[4096];
  bool ok = false;
  (void)arg;
  CHECK (f, "mountinfo");
  while (fgets (line, sizeof line, f))
    {
      char mp[PATH_MAX];
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp (mp, "/") == 0)
        ok = strstr (line, " shared:") != NULL;
    }
  fclose (f);
  CHECK (ok, "/ is not shared");
  return NULL;
}

static char *
check_dev_ro (void *arg)
{
  (void)arg;
  TRY_CHECK (check_char ("/dev/null", 1, 3, 0666));
  TRY_CHECK (check_link ("/dev/ptmx", "pts/ptmx"));
  TRY_CHECK (check_mount ("/dev", "tmpfs", "ro"));
  CHECK (mknod ("/dev/new", S_IFCHR | 0600, makedev (1, 3)) < 0 && errno == EROFS, "/dev is writable");
  CHECK (!is_ro ("/dev/shm"), "/dev/shm became read-only");
  return NULL;
}

static char *
check_remount_propagation (void *arg)
{
  struct statfs sf;
  char o[512] = "";
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  char line[4096];
  bool shared = false;
  (void)arg;
  CHECK (is_ro ("/mnt/r"), "/mnt/r not read-only after remount");
  CHECK (statfs ("/mnt/r", &sf) == 0 && sf.f_blocks * sf.f_bsize == 2 * 1024 * 1024, "/mnt/r size %llu",
         (unsigned long long)(sf.f_blocks * sf.f_bsize));
  CHECK (find_mount ("/mnt/r", NULL, o) && has_opt (o, "nosuid"), "/mnt/r lost nosuid: %s", o);
  CHECK (f, "mountinfo");
  while (fgets (line, sizeof line, f))
    if (strstr (line, " /mnt/s ") && strstr (line, " shared:"))
      shared = true;
  fclose (f);
  CHECK (shared, "/mnt/s is not shared");
  return NULL;
}

static char *
check_sys_bound (void *arg)
{
  (void)arg;
  CHECK (is_fs ("/sys", SYSFS_MAGIC) && is_ro ("/sys"), "/sys is not a read-only sysfs");
  CHECK (access ("/sys/kernel", F_OK) == 0, "/sys is empty");
  return NULL;
}

static int
setup (void **state)
{
  (void)state;
  have_root = geteuid () == 0;
  /* Searchable by a user-namespaced root too. */
  if (have_root && (mkdtemp (tmpdir) == NULL || chmod (tmpdir, 0711) < 0))
    return -1;
  return 0;
}

static int
teardown (void **state)
{
  husk_error_t err = NULL;
  (void)state;
  if (have_root && husk_rm_rf (tmpdir, &err) < 0)
    fprintf (stderr, "cleanup: %s\n", err->msg);
  return 0;
}

#endif
