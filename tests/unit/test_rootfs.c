/* The rootfs module against the real kernel: each test builds a busybox
 * rootfs in a temp dir, forks a child that unshares a mount (and pid...)
 * namespace, runs prepare/pivot/finalize in a grandchild (pid 1 of the new
 * pid namespace) and checks the result from inside. The mount namespace
 * dies with the child, so nothing is left mounted on the host. Needs root. */
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

static char tmpdir[] = "/tmp/husk-rootfs-unit-XXXXXX";
static bool have_root;
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
  assert_int_equal (sh ("%s/scripts/make-rootfs.sh %s >/dev/null", src ? src : ".", e->rootfs), 0);
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

static void
test_default_config (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  expect_ok (&e, BASE_FLAGS, check_default, NULL);
  env_free (&e);
}

static void
test_no_pivot (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  e.opts.no_pivot = true;
  expect_ok (&e, BASE_FLAGS, check_default, NULL);
  env_free (&e);
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

static void
test_cgroup_mount (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  expect_ok (&e, BASE_FLAGS, check_cgroup_v1, NULL);
  env_free (&e);
}

static void
test_cgroup_mount_cgroupns (void **state)
{
  struct env e;
  json_object *ns = json_object_new_array (), *cg = json_object_new_object ();
  (void)state;
  env_init (&e);
  json_object_object_add (cg, "type", json_object_new_string ("cgroup"));
  json_object_array_add (ns, cg);
  json_object_object_add (linux_obj (&e), "namespaces", ns);
  expect_ok (&e, BASE_FLAGS | CLONE_NEWCGROUP, check_cgroup_v1, NULL);
  env_free (&e);
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

/* A mount target reached through symlinks that point out of the rootfs
 * (relative "../../..", absolute host path, "/") lands inside the rootfs;
 * nothing is created on the host. */
static void
test_symlink_escape (void **state)
{
  static const char *const none[] = { NULL };
  struct env e;
  struct escape x;
  char link[PATH_MAX * 2], rel[PATH_MAX * 2];
  char *inside = NULL;
  struct stat st;
  (void)state;
  env_init (&e);
  snprintf (x.host, sizeof x.host, "%s/hostside", e.dir);
  assert_int_equal (mkdir (x.host, 0755), 0);
  snprintf (rel, sizeof rel, "../../../../../../../..%s", x.host);
  snprintf (link, sizeof link, "%s/rel", e.rootfs);
  assert_int_equal (symlink (rel, link), 0);
  snprintf (link, sizeof link, "%s/abs", e.rootfs);
  assert_int_equal (symlink (x.host, link), 0);
  snprintf (link, sizeof link, "%s/up", e.rootfs);
  assert_int_equal (symlink ("/", link), 0);
  add_mount (&e, "/rel/sub", "tmpfs", "tmpfs", none);
  add_mount (&e, "/abs/abs", "tmpfs", "tmpfs", none);
  add_mount (&e, "/up/../../sub", "tmpfs", "tmpfs", none);
  expect_ok (&e, BASE_FLAGS, check_escape, &x);
  snprintf (link, sizeof link, "%s/sub", x.host);
  assert_int_equal (stat (link, &st), -1);
  snprintf (link, sizeof link, "%s/abs", x.host);
  assert_int_equal (stat (link, &st), -1);
  /* It went to the rootfs copy of the path instead. */
  assert_true (asprintf (&inside, "%s%s/sub", e.rootfs, x.host) > 0);
  assert_int_equal (stat (inside, &st), 0);
  free (inside);
  env_free (&e);
}

/* CVE-2019-19921: /proc as a symlink must not redirect the proc mount. */
static void
test_proc_symlink_refused (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  assert_int_equal (sh ("rmdir %s/proc && ln -s etc %s/proc", e.rootfs, e.rootfs), 0);
  expect_error (&e, "mount `proc` to `/proc`", "must be mounted on ordinary directory");
  env_free (&e);
}

/* CVE-2019-16884: nothing may be mounted over a procfs file such as
 * /proc/self/attr/exec; lxcfs-style files are allowed. */
static void
test_mount_over_proc_refused (void **state)
{
  struct env e;
  char src[PATH_MAX + 16];
  const char *const ro[] = { "bind", "ro", NULL };
  (void)state;
  env_init (&e);
  snprintf (src, sizeof src, "%s/fake", e.dir);
  assert_int_equal (sh ("echo fake > %s", src), 0);
  add_mount (&e, "/proc/self/attr/exec", "bind", src, ro);
  expect_error (&e, "to `/proc/self/attr/exec`", "inside /proc");
  env_free (&e);
  env_init (&e);
  snprintf (src, sizeof src, "%s/fake", e.dir);
  assert_int_equal (sh ("echo fake > %s", src), 0);
  add_mount (&e, "/proc", "bind", src, ro);
  expect_error (&e, "to `/proc`", "not of type proc");
  env_free (&e);
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

static void
test_lxcfs_style_allowed (void **state)
{
  struct env e;
  char src[PATH_MAX + 16];
  const char *const opts[] = { "bind", "ro", NULL };
  (void)state;
  env_init (&e);
  snprintf (src, sizeof src, "%s/uptime", e.dir);
  assert_int_equal (sh ("echo '42.00 1.00' > %s", src), 0);
  add_mount (&e, "/proc/uptime", NULL, src, opts);
  expect_ok (&e, BASE_FLAGS, check_uptime, NULL);
  env_free (&e);
}

/* CVE-2025-31133: maskedPaths must never bind something else than the
 * real null device. Here /dev comes from a bind of a host dir whose
 * "null" is a symlink to a procfs file, then a regular file. */
static void
test_masked_devnull_swapped (void **state)
{
  static const char *const kinds[] = { "ln -s /proc/sys/kernel/core_pattern %s/null", "echo x > %s/null" };
  const char *const rbind[] = { "rbind", NULL };
  size_t i;
  (void)state;
  for (i = 0; i < 2; i++)
    {
      struct env e;
      char dev[PATH_MAX + 16], before[256] = "", after[256] = "";
      husk_error_t err = NULL;
      char *t = NULL;
      env_init (&e);
      snprintf (dev, sizeof dev, "%s/fakedev", e.dir);
      assert_int_equal (mkdir (dev, 0755), 0);
      assert_int_equal (sh (kinds[i], dev), 0);
      add_mount (&e, "/dev", "bind", dev, rbind);
      if (husk_read_file ("/proc/sys/kernel/core_pattern", &t, NULL, &err) == 0)
        snprintf (before, sizeof before, "%s", t), free (t);
      expect_error (&e, "mask `/proc/keys`", "not the null device");
      if (husk_read_file ("/proc/sys/kernel/core_pattern", &t, NULL, &err) == 0)
        snprintf (after, sizeof after, "%s", t), free (t);
      assert_string_equal (before, after);
      env_free (&e);
    }
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
  /* /etc/resolv.conf was a dangling symlink: its target was created. */
  f = fopen ("/var/lib/net/resolv.conf", "r");
  CHECK (f && fgets (buf, sizeof buf, f) && strcmp (buf, "conf\n") == 0, "resolv.conf target: `%s`", buf);
  fclose (f);
  return NULL;
}

static void
test_bind_and_tmpfs_options (void **state)
{
  struct env e;
  char data[PATH_MAX + 16], file[PATH_MAX + 16], dev[PATH_MAX + 16];
  const char *const nosuid_ro[] = { "rbind", "ro", "nosuid", NULL };
  const char *const rro[] = { "rbind", "rro", NULL };
  const char *const ro[] = { "rbind", "ro", NULL };
  const char *const fro[] = { "bind", "ro", NULL };
  const char *const run[] = { "nosuid", "nodev", "mode=700", NULL };
  const char *const tmp[] = { "nosuid", "tmpcopyup", NULL };
  const char *const none[] = { NULL };
  (void)state;
  env_init (&e);
  snprintf (data, sizeof data, "%s/data", e.dir);
  snprintf (file, sizeof file, "%s/hostfile", e.dir);
  assert_int_equal (sh ("mkdir -p %s && echo hello > %s/f && echo conf > %s", data, data, file), 0);
  assert_int_equal (sh ("mkdir -p %s/tmp/keep && touch %s/tmp/keep/me", e.rootfs, e.rootfs), 0);
  /* The container's own /dev, with its submounts, as an rbind source. */
  snprintf (dev, sizeof dev, "%s/dev", e.rootfs);
  add_mount (&e, "/data", "bind", data, nosuid_ro);
  add_mount (&e, "/devro", "bind", dev, rro);
  add_mount (&e, "/devrw", NULL, dev, ro);
  add_mount (&e, "/etc/hostfile.conf", "none", file, fro);
  assert_int_equal (sh ("ln -s ../var/lib/net/resolv.conf %s/etc/resolv.conf", e.rootfs), 0);
  add_mount (&e, "/etc/resolv.conf", NULL, file, fro);
  add_mount (&e, "/run", "tmpfs", "tmpfs", run);
  add_mount (&e, "/tmp", "tmpfs", "tmpfs", tmp);
  add_mount (&e, "/mnt/new/dir", "tmpfs", "tmpfs", none);
  expect_ok (&e, BASE_FLAGS, check_binds, NULL);
  env_free (&e);
}

static void
test_errors_name_the_mount (void **state)
{
  struct env e;
  const char *const none[] = { NULL };
  const char *const bad[] = { "size=notanumber", NULL };
  (void)state;
  env_init (&e);
  add_mount (&e, "/mnt", "nosuchfs", "weird", none);
  expect_error (&e, "prepare: mount `weird` to `/mnt`: fsopen `nosuchfs`", "No such device");
  env_free (&e);
  env_init (&e);
  add_mount (&e, "/mnt", "tmpfs", "tmpfs", bad);
  expect_error (&e, "mount `tmpfs` to `/mnt`", "size");
  env_free (&e);
  env_init (&e);
  add_mount (&e, "/mnt", "bind", "/nonexistent-husk-source", none);
  expect_error (&e, "mount `/nonexistent-husk-source` to `/mnt`", "No such file");
  env_free (&e);
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

static void
test_linux_devices (void **state)
{
  struct env e;
  json_object *devs = json_tokener_parse (
      "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 384,"
      " \"uid\": 1000, \"gid\": 1001},"
      " {\"path\": \"/dev/deep/er/kmsg\", \"type\": \"u\", \"major\": 1, \"minor\": 11},"
      " {\"path\": \"/dev/fifo0\", \"type\": \"p\"},"
      " {\"path\": \"/dev/null\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"fileMode\": 432}]");
  (void)state;
  assert_non_null (devs);
  env_init (&e);
  json_object_object_add (linux_obj (&e), "devices", devs);
  expect_ok (&e, BASE_FLAGS, check_devices, NULL);
  env_free (&e);
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

static void
test_user_namespace (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  e.opts.in_userns = true;
  expect_ok (&e, BASE_FLAGS | CLONE_NEWUSER, check_userns, NULL);
  env_free (&e);
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

/* As with a real user-namespaced container: root is host uid 100000 and
 * owns the rootfs. */
static void
test_user_namespace_mapped (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  assert_int_equal (sh ("chown -R 100000:100000 %s", e.rootfs), 0);
  e.opts.in_userns = true;
  e.idmap = "0 100000 65536\n";
  expect_ok (&e, BASE_FLAGS | CLONE_NEWUSER, check_mapped_userns, NULL);
  env_free (&e);
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

static void
test_rootfs_propagation (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  json_object_object_add (linux_obj (&e), "rootfsPropagation", json_object_new_string ("rshared"));
  expect_ok (&e, BASE_FLAGS, check_shared, NULL);
  env_free (&e);
  env_init (&e);
  json_object_object_add (linux_obj (&e), "rootfsPropagation", json_object_new_string ("bogus"));
  expect_error (&e, "rootfsPropagation", "bogus");
  env_free (&e);
}

/* A host whose mounts are shared (systemd) and a rootfs that is a shared
 * mount point: pivot_root still works, and none of the container's mounts
 * propagates back, with the default rslave or with "slave"/"private". */
static void
test_shared_host_no_leak (void **state)
{
  static const char *const props[] = { NULL, "slave", "rprivate" };
  size_t i;
  (void)state;
  for (i = 0; i < 3; i++)
    {
      struct env e;
      env_init (&e);
      e.shared_host = true;
      if (props[i])
        json_object_object_add (linux_obj (&e), "rootfsPropagation", json_object_new_string (props[i]));
      expect_ok (&e, BASE_FLAGS, check_default, NULL);
      env_free (&e);
    }
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

/* /dev with "ro" is filled first and made read-only at the end. */
static void
test_dev_readonly (void **state)
{
  struct env e;
  json_object *mounts = NULL, *dev, *opts;
  (void)state;
  env_init (&e);
  json_object_object_get_ex (e.cfg, "mounts", &mounts);
  dev = json_object_array_get_idx (mounts, 1);
  json_object_object_get_ex (dev, "options", &opts);
  json_object_array_add (opts, json_object_new_string ("ro"));
  expect_ok (&e, BASE_FLAGS, check_dev_ro, NULL);
  env_free (&e);
}

static char *
check_console (void *arg)
{
  husk_error_t err = NULL;
  struct stat st, pst;
  int master, slave;
  (void)arg;
  master = posix_openpt (O_RDWR | O_NOCTTY);
  CHECK (master >= 0 && grantpt (master) == 0 && unlockpt (master) == 0, "ptmx: %s", strerror (errno));
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  CHECK (slave >= 0, "open %s: %s", ptsname (master), strerror (errno));
  CHECK (husk_rootfs_mount_console (slave, &err) == 0, "%s", err->msg);
  CHECK (stat ("/dev/console", &st) == 0 && fstat (slave, &pst) == 0, "stat /dev/console");
  CHECK (S_ISCHR (st.st_mode) && st.st_rdev == pst.st_rdev, "/dev/console is not the pty");
  TRY_CHECK (check_mount ("/dev/console", "devpts", NULL));
  return NULL;
}

/* The terminal's pty, from the container's own devpts, on /dev/console. */
static void
test_console (void **state)
{
  struct env e;
  json_object *root;
  (void)state;
  env_init (&e);
  json_object_object_get_ex (e.cfg, "root", &root);
  json_object_object_add (root, "readonly", json_object_new_boolean (false));
  expect_ok (&e, BASE_FLAGS, check_console, NULL);
  env_free (&e);
}

/* After all of the above, the host has no mount from any test. */
static void
test_no_host_mounts_left (void **state)
{
  char *text = NULL;
  husk_error_t err = NULL;
  (void)state;
  if (!have_root)
    skip ();
  assert_int_equal (husk_read_file ("/proc/self/mountinfo", &text, NULL, &err), 0);
  assert_null (strstr (text, tmpdir));
  free (text);
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

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_default_config),
    cmocka_unit_test (test_no_pivot),
    cmocka_unit_test (test_cgroup_mount),
    cmocka_unit_test (test_cgroup_mount_cgroupns),
    cmocka_unit_test (test_symlink_escape),
    cmocka_unit_test (test_proc_symlink_refused),
    cmocka_unit_test (test_mount_over_proc_refused),
    cmocka_unit_test (test_lxcfs_style_allowed),
    cmocka_unit_test (test_masked_devnull_swapped),
    cmocka_unit_test (test_bind_and_tmpfs_options),
    cmocka_unit_test (test_errors_name_the_mount),
    cmocka_unit_test (test_linux_devices),
    cmocka_unit_test (test_user_namespace),
    cmocka_unit_test (test_user_namespace_mapped),
    cmocka_unit_test (test_rootfs_propagation),
    cmocka_unit_test (test_shared_host_no_leak),
    cmocka_unit_test (test_dev_readonly),
    cmocka_unit_test (test_console),
    cmocka_unit_test (test_no_host_mounts_left),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
