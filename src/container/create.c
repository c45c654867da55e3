/* `create`, the parent's side of the handshake with the init. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/init.h"
#include "container/internal.h"
#include "container/sync.h"
#include "linux/cgroups/cgroup.h"
#include "linux/hooks.h"
#include "linux/namespaces.h"
#include "linux/seal_check.h"
#include "linux/sealed.h"
#include "linux/terminal.h"
#include "linux/userns.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timefmt.h"

/* What a half-made container holds, so one function can undo it all. */
struct creation
{
  struct husk_init_ctx ctx;
  char *dir;
  bool dir_made;
  struct husk_cgroup *cg;
  pid_t pid;
  bool cfg_borrowed; /* ctx.cfg is the caller's */
};

char *
husk_init_state_json (const struct husk_init_ctx *ctx, const char *status)
{
  json_object *o = json_object_new_object ();
  char *s;
  json_object_object_add (o, "ociVersion", json_object_new_string (HUSK_OCI_VERSION));
  json_object_object_add (o, "id", json_object_new_string (ctx->opts->id));
  json_object_object_add (o, "status", json_object_new_string (status));
  json_object_object_add (o, "pid", json_object_new_int (ctx->host_pid));
  json_object_object_add (o, "bundle", json_object_new_string (ctx->bundle));
  json_object_object_add (o, "annotations",
                          ctx->cfg->annotations ? json_object_get (ctx->cfg->annotations)
                                                : json_object_new_object ());
  s = strdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return s;
}

static void
undo_creation (struct creation *cr)
{
  husk_error_t err = NULL;
  if (cr->pid > 0)
    {
      kill (cr->pid, SIGKILL);
      while (waitpid (cr->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (cr->cg)
    {
      if (husk_cgroup_destroy (cr->cg, &err) < 0)
        husk_warn ("cleanup: %s", err->msg);
      husk_error_free (&err);
    }
  if (cr->dir_made && husk_rm_rf (cr->dir, &err) < 0)
    {
      husk_warn ("cleanup: %s", err->msg);
      husk_error_free (&err);
    }
}

static int
resolve_paths (struct creation *cr, husk_error_t *err)
{
  const struct husk_create_opts *o = cr->ctx.opts;
  char buf[PATH_MAX];
  cleanup_free char *rootfs = NULL;
  struct stat st;
  if (realpath (o->bundle ? o->bundle : ".", buf) == NULL)
    return husk_error (err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
  cr->ctx.bundle = strdup (buf);
  if (cr->ctx.cfg->root_path[0] == '/')
    rootfs = strdup (cr->ctx.cfg->root_path);
  else if (asprintf (&rootfs, "%s/%s", cr->ctx.bundle, cr->ctx.cfg->root_path) < 0)
    rootfs = NULL;
  if (cr->ctx.bundle == NULL || rootfs == NULL)
    return husk_error (err, ENOMEM, "bundle");
  if (o->rootfs_real)
    strcpy (buf, o->rootfs_real); /* resolved by the seal decision */
  else if (realpath (rootfs, buf) == NULL)
    return husk_error (err, errno, "root.path: rootfs `%s`", rootfs);
  if (stat (buf, &st) < 0)
    return husk_error (err, errno, "root.path: rootfs `%s`", rootfs);
  if (!S_ISDIR (st.st_mode))
    return husk_error (err, 0, "root.path: rootfs `%s` is not a directory", rootfs);
  cr->ctx.rootfs = strdup (buf);
  return cr->ctx.rootfs ? 0 : husk_error (err, ENOMEM, "bundle");
}

/* `run`: <root>/<id> is the state file, empty (so "does not exist" to
 * other commands) until write_state fills it under the lock. */
/* An empty state file nobody holds locked is what a husk killed while
 * creating leaves behind: it must not block the id forever. */
static bool
remove_stale_state_file (const char *path)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)
      || st.st_size != 0)
    return false;
  return unlink (path) == 0;
}

static int
make_state_file (struct creation *cr, husk_error_t *err)
{
  int fd = open (cr->dir, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    {
      if (remove_stale_state_file (cr->dir))
        fd = open (cr->dir, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      else
        errno = EEXIST;
    }
  if (fd < 0)
    {
      if (errno == EEXIST)
        return husk_error (err, 0, "container `%s` already exists", cr->ctx.opts->id);
      return husk_error (err, errno, "create state file `%s`", cr->dir);
    }
  cr->dir_made = true;
  cr->ctx.lock_fd = fd;
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return husk_error (err, errno, "lock `%s`", cr->dir);
  return 0;
}

static int
make_state_dir (struct creation *cr, husk_error_t *err)
{
  const struct husk_create_opts *o = cr->ctx.opts;
  cleanup_free char *fifo = NULL;
  if (husk_mkdir_p (o->root, 0700, err) < 0)
    return husk_error_prefix (err, "--root");
  if (asprintf (&cr->dir, "%s/%s", o->root, o->id) < 0)
    return husk_error (err, ENOMEM, "state");
  if (o->start_now)
    return make_state_file (cr, err);
  if (mkdir (cr->dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return husk_error (err, 0, "container `%s` already exists", o->id);
      return husk_error (err, errno, "create state directory `%s`", cr->dir);
    }
  cr->dir_made = true;
  cr->ctx.lock_fd = husk_container_lock (cr->dir, false, err);
  if (cr->ctx.lock_fd < 0)
    return -1;
  if (asprintf (&fifo, "%s/exec.fifo", cr->dir) < 0)
    return husk_error (err, ENOMEM, "state");
  if (mkfifo (fifo, 0600) < 0)
    return husk_error (err, errno, "create exec fifo `%s`", fifo);
  /* O_RDWR: the init blocks reading it; `start` opens it for writing
   * without blocking because a reader exists. */
  cr->ctx.fifo_fd = open (fifo, O_RDWR | O_CLOEXEC);
  if (cr->ctx.fifo_fd < 0)
    return husk_error (err, errno, "open exec fifo `%s`", fifo);
  /* start.fifo carries the outcome of the steps after `start` back to it:
   * an error text, or EOF when the init's exec closes its CLOEXEC end. */
  free (fifo);
  if (asprintf (&fifo, "%s/start.fifo", cr->dir) < 0)
    return husk_error (err, ENOMEM, "state");
  if (mkfifo (fifo, 0600) < 0)
    return husk_error (err, errno, "create start fifo `%s`", fifo);
  cr->ctx.start_fd = open (fifo, O_RDWR | O_CLOEXEC);
  if (cr->ctx.start_fd < 0)
    return husk_error (err, errno, "open start fifo `%s`", fifo);
  return 0;
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  husk_rfc3339 (&ts, buf, sizeof buf);
  return strdup (buf);
}

/* Which hook kinds the config has, so start/delete parse the saved
 * config only when there is a hook to run. */
static int
hook_kinds (const struct husk_config *cfg)
{
  int mask = 0;
  for (int k = 0; k < HUSK_HOOK_KIND_COUNT; k++)
    if (cfg->hooks[k].n)
      mask |= 1 << k;
  return mask;
}

static int
write_state (struct creation *cr, const char *config_text, size_t config_len, husk_error_t *err)
{
  struct husk_init_ctx *ctx = &cr->ctx;
  json_object *o = json_object_new_object ();
  cleanup_free char *created = now_rfc3339 ();
  cleanup_free char *path = NULL;
  const char *text;
  int r;
  json_object_object_add (o, "ociVersion", json_object_new_string (HUSK_OCI_VERSION));
  json_object_object_add (o, "id", json_object_new_string (ctx->opts->id));
  json_object_object_add (o, "pid", json_object_new_int (cr->pid));
  json_object_object_add (o, "pidStart", json_object_new_uint64 (husk_pid_start_time (cr->pid, NULL)));
  json_object_object_add (o, "bundle", json_object_new_string (ctx->bundle));
  json_object_object_add (o, "rootfs", json_object_new_string (ctx->rootfs));
  json_object_object_add (o, "created", json_object_new_string (created ? created : ""));
  json_object_object_add (o, "owner", json_object_new_string (""));
  json_object_object_add (o, "inUserns", json_object_new_boolean (ctx->new_userns));
  /* exec keeps the caller's keyring too (runc stores it in its config). */
  if (ctx->opts->no_new_keyring)
    json_object_object_add (o, "noNewKeyring", json_object_new_boolean (true));
  json_object_object_add (o, "hookKinds", json_object_new_int (hook_kinds (ctx->cfg)));
  if (ctx->cfg->annotations)
    json_object_object_add (o, "annotations", json_object_get (ctx->cfg->annotations));
  if (cr->cg)
    json_object_object_add (o, "cgroup", husk_cgroup_to_json (cr->cg));
  /* exec and the hooks of start/delete need it; the bundle may change. */
  json_object_object_add (o, "config", json_object_new_string_len (config_text, (int)config_len));
  text = json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (ctx->opts->start_now)
    {
      size_t len = strlen (text);
      /* Others wait on our lock, so they never read it half-written. */
      r = pwrite (ctx->lock_fd, text, len, 0) == (ssize_t)len
              ? 0
              : husk_error (err, errno, "write `%s`", cr->dir);
    }
  else if (asprintf (&path, "%s/state.json", cr->dir) < 0)
    r = husk_error (err, ENOMEM, "state");
  else
    r = husk_write_file_atomic (path, text, strlen (text), 0600, err);
  json_object_put (o);
  return r;
}

static int
write_pid_file (const char *path, pid_t pid, husk_error_t *err)
{
  char buf[16];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  if (path == NULL)
    return 0;
  if (husk_write_file_atomic (path, buf, (size_t)n, 0644, err) < 0)
    return husk_error_prefix (err, "--pid-file");
  return 0;
}

/* A new user namespace: the init is nobody until we have put it in its
 * cgroup (it could not write the host's cgroup files) and written its
 * maps. Otherwise it joins its cgroup itself and nothing is waited for. */
static int
setup_userns (struct creation *cr, husk_error_t *err)
{
  struct husk_init_ctx *ctx = &cr->ctx;
  if (cr->cg && husk_cgroup_enter (cr->cg, cr->pid, err) < 0)
    return -1;
  if (husk_userns_write_maps (cr->pid, ctx->cfg, err) < 0)
    return -1;
  return husk_sync_send (ctx->parent_sync_fd, HUSK_SYNC_SETUP_DONE, cr->pid, NULL, err);
}

static int
handshake (struct creation *cr, husk_error_t *err)
{
  struct husk_init_ctx *ctx = &cr->ctx;
  struct husk_sync_msg m;
  ctx->host_pid = cr->pid;
  if (ctx->new_userns && setup_userns (cr, err) < 0)
    {
      /* The init may have failed meanwhile: its message says why, and
       * ours (a write to a dead init) is only the consequence. */
      husk_error_t ierr = NULL;
      if (husk_sync_pending_error (ctx->parent_sync_fd, &ierr) < 0)
        {
          husk_error_free (err);
          *err = ierr;
        }
      return -1;
    }
  for (;;)
    {
      if (husk_sync_recv (ctx->parent_sync_fd, &m, err) < 0)
        return -1;
      if (m.type == HUSK_SYNC_READY)
        return 0;
      if (m.type != HUSK_SYNC_HOOKS)
        return husk_error (err, 0, "unexpected message `%s` from the init", husk_sync_name (m.type));
      {
        cleanup_free char *state = husk_init_state_json (ctx, "creating");
        if (husk_hooks_run (ctx->cfg, HUSK_HOOK_PRESTART, state, err) < 0
            || husk_hooks_run (ctx->cfg, HUSK_HOOK_CREATE_RUNTIME, state, err) < 0)
          return -1;
      }
      if (husk_sync_send (ctx->parent_sync_fd, HUSK_SYNC_HOOKS_DONE, 0, NULL, err) < 0)
        return -1;
    }
}

static int
prepare (struct creation *cr, const char *text, size_t len, husk_error_t *err)
{
  struct husk_init_ctx *ctx = &cr->ctx;
  const struct husk_create_opts *o = ctx->opts;
  int sv[2];
  if (ctx->cfg == NULL && husk_config_parse (text, len, "config.json", true, &ctx->cfg, err) < 0)
    return -1;
  ctx->new_userns = husk_ns_is_new (ctx->cfg, HUSK_NS_USER);
  /* systemd's protocol, as runc (go-systemd): the fds are for us only if
   * LISTEN_PID names us; otherwise the variables were meant for an
   * ancestor and leaked through the environment. */
  if (getenv ("LISTEN_FDS") && getenv ("LISTEN_PID") && atoi (getenv ("LISTEN_PID")) == getpid ())
    ctx->listen_fds = atoi (getenv ("LISTEN_FDS"));
  if (ctx->cfg->process->terminal && o->console_socket == NULL)
    return husk_error (err, 0, "process.terminal is true but no --console-socket was given");
  if (resolve_paths (cr, err) < 0 || husk_ns_open_paths (ctx->cfg, ctx->ns_fds, err) < 0)
    return -1;
  if (o->console_socket && (ctx->console_fd = husk_console_socket_connect (o->console_socket, err)) < 0)
    return -1;
  if (make_state_dir (cr, err) < 0)
    return -1;
  /* Before the clone: the init joins it as its first step. */
  if (husk_cgroup_create (ctx->cfg, o->id, &cr->cg, err) < 0)
    return husk_error_prefix (err, "cgroup");
  ctx->cg = cr->cg;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error (err, errno, "socketpair");
  ctx->parent_sync_fd = sv[0];
  ctx->sync_fd = sv[1];
  return 0;
}

static void
release_ctx (struct creation *cr)
{
  struct husk_init_ctx *ctx = &cr->ctx;
  int *fds[] = { &ctx->sync_fd, &ctx->parent_sync_fd, &ctx->console_fd,
                 &ctx->lock_fd, &ctx->fifo_fd,        &ctx->start_fd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
  husk_ns_close (ctx->ns_fds);
  husk_cgroup_free (cr->cg);
  if (!cr->cfg_borrowed)
    husk_config_free (ctx->cfg);
  free (ctx->bundle);
  free (ctx->rootfs);
  free (cr->dir);
}

int
husk_container_create (const struct husk_create_opts *o, pid_t *init_pid, int *release_fd, husk_error_t *err)
{
  struct creation cr = { .ctx = { .opts = o,
                                  .sync_fd = -1,
                                  .parent_sync_fd = -1,
                                  .fifo_fd = -1,
                                  .console_fd = -1,
                                  .lock_fd = -1,
                                  .start_fd = -1 } };
  cleanup_free char *cfgpath = NULL, *own_text = NULL;
  const char *text = o->config_text;
  size_t len = o->config_len;
  int r = -1;
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    cr.ctx.ns_fds[t] = -1;
  cr.ctx.cfg = o->cfg;
  cr.cfg_borrowed = o->cfg != NULL;
  if (husk_id_validate (o->id, err) < 0)
    goto out;
  if (text == NULL)
    {
      if (asprintf (&cfgpath, "%s/config.json", o->bundle ? o->bundle : ".") < 0)
        {
          husk_error (err, ENOMEM, "config");
          goto out;
        }
      if (husk_read_file (cfgpath, &own_text, &len, err) < 0)
        goto out;
      text = own_text;
    }
  cr.ctx.sealed = husk_is_sealed ();
  if (!cr.ctx.sealed && o->self_known)
    cr.ctx.self = o->self;
  else if (!cr.ctx.sealed && husk_self_id (&cr.ctx.self) < 0)
    {
      husk_error (err, errno, "stat /proc/self/exe");
      goto out;
    }
  if (prepare (&cr, text, len, err) < 0 || husk_spawn_init (&cr.ctx, &cr.pid, err) < 0)
    goto out;
  close (cr.ctx.sync_fd);
  cr.ctx.sync_fd = -1;
  /* `run` (start_early): the init goes on after READY without waiting
   * for START, and execs while we write the state. */
  if (handshake (&cr, err) < 0 || write_state (&cr, text, len, err) < 0
      || write_pid_file (o->pid_file, cr.pid, err) < 0)
    goto out;
  if (init_pid)
    *init_pid = cr.pid;
  if (release_fd)
    *release_fd = o->start_now ? steal_fd (cr.ctx.parent_sync_fd) : steal_fd (cr.ctx.fifo_fd);
  cr.pid = 0;
  cr.dir_made = false;
  husk_cgroup_free (cr.cg);
  cr.cg = NULL;
  r = 0;
out:
  if (r < 0)
    undo_creation (&cr);
  release_ctx (&cr);
  return r;
}
