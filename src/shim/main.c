/* containerd-shim-husk-v2: the containerd runtime v2 shim for husk.
 *
 *   shim [flags] start    create the socket, spawn the daemon, print its address
 *   shim [flags] delete   clean up after a shim that died
 *   shim [flags]          the daemon itself (listening socket on fd 3)
 *
 * Flags follow Go's flag package, as containerd passes them:
 * -namespace NS -address A -publish-binary P -id ID [-bundle B] [-debug]. */
#include "shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim/events.h"
#include "shim/loop.h"
#include "shim/proto/task.pb-c.h"
#include "shim/task.h"
#include "shim/ttrpc.h"
#include "util/fs.h"

#define SOCKET_DIR "/run/containerd/s"
#define DEFAULT_ROOT "/run/containerd/husk"

struct shim_config shim_cfg;

static const char *bundle_flag, *publish_binary;

static int
parse_flags (int argc, char **argv, const char **action)
{
  static const struct
  {
    const char *name;
    const char **dst;
  } str_flags[] = {
    { "namespace", &shim_cfg.ns }, { "address", &shim_cfg.address },      { "id", &shim_cfg.id },
    { "bundle", &bundle_flag },    { "publish-binary", &publish_binary }, { "socket", NULL },
  };
  *action = NULL;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i], *val;
      size_t k, nlen;
      if (a[0] != '-')
        {
          *action = a;
          continue;
        }
      a += a[1] == '-' ? 2 : 1;
      val = strchr (a, '=');
      nlen = val ? (size_t)(val - a) : strlen (a);
      if (strncmp (a, "debug", nlen) == 0 && nlen == 5)
        {
          shim_cfg.debug = val == NULL || strcmp (val + 1, "true") == 0 || strcmp (val + 1, "1") == 0;
          continue;
        }
      if (strncmp (a, "v", nlen) == 0 && nlen == 1)
        {
          printf ("containerd-shim-husk-v2:\n  Version: 0.1\n");
          exit (0);
        }
      for (k = 0; k < sizeof str_flags / sizeof str_flags[0]; k++)
        if (strlen (str_flags[k].name) == nlen && strncmp (a, str_flags[k].name, nlen) == 0)
          break;
      if (k == sizeof str_flags / sizeof str_flags[0])
        {
          fprintf (stderr, "flag provided but not defined: -%.*s\n", (int)nlen, a);
          return -1;
        }
      if (val == NULL && i + 1 >= argc)
        {
          fprintf (stderr, "flag needs an argument: -%s\n", a);
          return -1;
        }
      val = val ? val + 1 : argv[++i];
      if (str_flags[k].dst)
        *str_flags[k].dst = val;
    }
  if (shim_cfg.ns == NULL || *shim_cfg.ns == '\0')
    shim_cfg.ns = "default";
  if (shim_cfg.id == NULL)
    shim_cfg.id = "";
  return 0;
}

/* husk next to our own binary unless HUSK_RUNTIME names another. */
static void
default_runtime (void)
{
  static char self[PATH_MAX], rt[PATH_MAX + 8], root[PATH_MAX];
  const char *env = getenv ("HUSK_RUNTIME");
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (env && *env)
    shim_cfg.runtime = env;
  else if (n > 0)
    {
      self[n] = '\0';
      snprintf (rt, sizeof rt, "%s/husk", dirname (self));
      shim_cfg.runtime = rt;
    }
  else
    shim_cfg.runtime = "husk";
  snprintf (root, sizeof root, "%s/%s", DEFAULT_ROOT, shim_cfg.ns);
  shim_cfg.root = root;
}

/* A short, stable socket name per (containerd address, namespace, id). */
static void
socket_path (char *buf, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  const char *parts[] = { shim_cfg.address ? shim_cfg.address : "", shim_cfg.ns, shim_cfg.id };
  for (size_t i = 0; i < 3; i++)
    for (const char *c = parts[i];; c++)
      {
        h = (h ^ (uint8_t)*c) * 1099511628211ULL;
        if (*c == '\0')
          break;
      }
  snprintf (buf, len, SOCKET_DIR "/husk-%016llx", (unsigned long long)h);
}

static int
can_connect (const struct sockaddr_un *addr)
{
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int ok = fd >= 0 && connect (fd, (const struct sockaddr *)addr, sizeof *addr) == 0;
  if (fd >= 0)
    close (fd);
  return ok;
}

/* Returns the listening fd, or -2 when a live shim already serves it. */
static int
listen_socket (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  husk_error_t err = NULL;
  int fd;
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (husk_mkdir_p (SOCKET_DIR, 0711, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      husk_error_free (&err);
      return -1;
    }
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    {
      if (errno != EADDRINUSE)
        goto fail;
      if (can_connect (&addr))
        {
          close (fd);
          return -2;
        }
      unlink (path);
      if (bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        goto fail;
    }
  if (listen (fd, 64) < 0)
    goto fail;
  return fd;
fail:
  fprintf (stderr, "socket `%s`: %s\n", path, strerror (errno));
  close (fd);
  return -1;
}

static pid_t
spawn_daemon (int lfd, char **argv)
{
  pid_t pid = fork ();
  if (pid != 0)
    return pid;
  int null;
  const char *args[10];
  size_t n = 0;
  setsid ();
  if (lfd != 3)
    {
      dup2 (lfd, 3);
      close (lfd);
    }
  husk_set_cloexec (3, false);
  {
    /* keep nothing of containerd's but the socket */
    husk_error_t err = NULL;
    if (husk_close_fds_from (4, &err) < 0)
      husk_error_free (&err);
  }
  null = open ("/dev/null", O_RDWR);
  dup2 (null, 0);
  dup2 (null, 1);
  dup2 (null, 2);
  if (null > 3)
    close (null);
  args[n++] = argv[0];
  args[n++] = "-namespace";
  args[n++] = shim_cfg.ns;
  args[n++] = "-id";
  args[n++] = shim_cfg.id;
  args[n++] = "-address";
  args[n++] = shim_cfg.address ? shim_cfg.address : "";
  if (shim_cfg.debug)
    args[n++] = "-debug";
  args[n] = NULL;
  execv ("/proc/self/exe", (char *const *)args);
  _exit (127);
}

/* containerd writes the runtime options (an Any) to start's stdin; Create
 * carries them again, so they are read and dropped here, and only from a
 * pipe or file so a shell's terminal never blocks us. */
static void
drain_options (void)
{
  struct stat st;
  char buf[4096];
  size_t total = 0;
  if (fstat (0, &st) < 0 || !(S_ISFIFO (st.st_mode) || S_ISREG (st.st_mode)))
    return;
  for (;;)
    {
      ssize_t r = read (0, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || (total += (size_t)r) > (1u << 20))
        return;
    }
}

static int
action_start (char **argv)
{
  char path[108], addr[128], pidbuf[32];
  husk_error_t err = NULL;
  int lfd;
  pid_t pid;
  drain_options ();
  socket_path (path, sizeof path);
  snprintf (addr, sizeof addr, "unix://%s", path);
  lfd = listen_socket (path);
  if (lfd == -1)
    return 1;
  if (lfd >= 0)
    {
      pid = spawn_daemon (lfd, argv);
      close (lfd);
      if (pid < 0)
        {
          unlink (path);
          fprintf (stderr, "fork: %s\n", strerror (errno));
          return 1;
        }
      snprintf (pidbuf, sizeof pidbuf, "%d", pid);
      if (husk_write_file ("shim.pid", pidbuf, strlen (pidbuf), 0644, &err) < 0)
        husk_error_free (&err);
    }
  if (husk_write_file ("address", addr, strlen (addr), 0644, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      husk_error_free (&err);
      return 1;
    }
  printf ("%s", addr);
  return fflush (stdout) == 0 ? 0 : 1;
}

static void
load_runtime_info (void)
{
  static char *data;
  husk_error_t err = NULL;
  char *nl;
  if (husk_read_file ("husk-shim.runtime", &data, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return;
    }
  nl = strchr (data, '\n');
  if (nl == NULL)
    return;
  *nl = '\0';
  shim_cfg.runtime = data;
  shim_cfg.root = nl + 1;
  nl = strchr (nl + 1, '\n');
  if (nl)
    *nl = '\0';
}

/* Clean up after a shim that is gone: force-delete the container,
 * unmount the rootfs, remove the socket; report exit status 137. */
static int
action_delete (void)
{
  Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  const char *args[] = { "delete", "--force", shim_cfg.id, NULL };
  cleanup_free char *address = NULL;
  husk_error_t err = NULL;
  struct timespec now;
  uint8_t buf[64];
  size_t len;

  if (bundle_flag && chdir (bundle_flag) < 0)
    {
      fprintf (stderr, "chdir `%s`: %s\n", bundle_flag, strerror (errno));
      return 1;
    }
  load_runtime_info ();
  if (runtime_run (args, (int[3]){ -1, -1, -1 }, NULL, &err) < 0)
    husk_error_free (&err); /* already gone is fine */
  if (unmount_rootfs (".", &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      husk_error_free (&err);
    }
  if (husk_read_file ("address", &address, NULL, &err) == 0)
    {
      if (strncmp (address, "unix://" SOCKET_DIR "/husk-", strlen ("unix://" SOCKET_DIR "/husk-")) == 0)
        unlink (address + 7);
    }
  else
    husk_error_free (&err);
  shim_now (&now);
  ts.seconds = now.tv_sec;
  ts.nanos = (int32_t)now.tv_nsec;
  resp.exit_status = 128 + SIGKILL;
  resp.exited_at = &ts;
  {
    pid_t pid = task_read_pid ("init.pid", &err);
    if (pid > 0)
      resp.pid = (uint32_t)pid;
    else
      husk_error_free (&err);
  }
  len = containerd__task__v2__delete_response__pack (&resp, buf);
  return husk_write_all (1, buf, len) == (ssize_t)len ? 0 : 1;
}

static void
signal_event (struct shim_watch *w, uint32_t events)
{
  struct signalfd_siginfo si;
  while (read (w->fd, &si, sizeof si) == sizeof si)
    {
      if (si.ssi_signo == SIGCHLD)
        proc_reap ();
      else if (shim_task == NULL)
        shim_loop_quit ();
    }
}

/* containerd reads the shim's log from the "log" fifo in the bundle. */
static void
open_log (void)
{
  struct stat st;
  int fd;
  if (stat ("log", &st) < 0 || !S_ISFIFO (st.st_mode))
    return;
  fd = open ("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return;
  dup2 (fd, 2);
  close (fd);
}

static int
daemon_main (void)
{
  static struct shim_watch sigw;
  struct sockaddr_un addr;
  socklen_t alen = sizeof addr;
  const char *ttrpc_addr = getenv ("TTRPC_ADDRESS");
  char fallback[PATH_MAX];
  sigset_t set;
  int lfd = 3;

  signal (SIGPIPE, SIG_IGN);
  open_log ();
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    shim_warn ("cannot become a subreaper: %s", strerror (errno));
  if (fcntl (lfd, F_GETFD) < 0 || getsockname (lfd, (struct sockaddr *)&addr, &alen) < 0)
    {
      fprintf (stderr, "containerd-shim-husk-v2: no listening socket on fd 3; use the `start` action\n");
      return 1;
    }
  husk_set_cloexec (lfd, true);
  fcntl (lfd, F_SETFL, fcntl (lfd, F_GETFL) | O_NONBLOCK);
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigprocmask (SIG_BLOCK, &set, NULL);
  sigw.fd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  sigw.cb = signal_event;
  if (ttrpc_addr == NULL && shim_cfg.address && *shim_cfg.address)
    {
      snprintf (fallback, sizeof fallback, "%s.ttrpc", shim_cfg.address);
      ttrpc_addr = fallback;
    }
  if (shim_loop_init () < 0 || sigw.fd < 0 || shim_loop_add (&sigw, EPOLLIN) < 0
      || events_init (ttrpc_addr, shim_cfg.ns) < 0 || ttrpc_server_start (lfd, task_methods) < 0)
    {
      shim_log (SHIM_LOG_ERROR, "shim setup failed: %s", strerror (errno));
      return 1;
    }
  ttrpc_on_close (proc_conn_closed);
  shim_debug ("shim %s/%s serving on %s, events to %s", shim_cfg.ns, shim_cfg.id, addr.sun_path,
              ttrpc_addr ? ttrpc_addr : "(none)");
  shim_loop_run ();
  /* give queued events (TaskDelete) a moment to reach containerd */
  for (int i = 0; i < 40 && events_pending (); i++)
    shim_loop_once (50);
  if (alen > offsetof (struct sockaddr_un, sun_path) && addr.sun_path[0])
    unlink (addr.sun_path);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *action;
  if (parse_flags (argc, argv, &action) < 0)
    return 2;
  default_runtime ();
  if (action && strcmp (action, "start") == 0)
    return action_start (argv);
  if (action && strcmp (action, "delete") == 0)
    return action_delete ();
  if (action)
    {
      fprintf (stderr, "unknown action `%s`\n", action);
      return 2;
    }
  return daemon_main ();
}
