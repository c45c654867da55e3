/* Task service: lifecycle of the container's init process (Create,
 * Start, State, Wait, Delete), Connect and Shutdown. */
#include "shim/task.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/events.h"
#include "shim/loop.h"
#include "shim/proto/events.pb-c.h"
#include "shim/proto/options.pb-c.h"
#include "shim/proto/task.pb-c.h"
#include "shim/shim.h"
#include "util/fs.h"

#define UNPACK(type, fn, call)                                                                               \
  type *req = fn (NULL, (call)->len, (call)->payload);                                                       \
  if (req == NULL)                                                                                           \
    {                                                                                                        \
      ttrpc_reply_error ((call)->conn, (call)->stream, RPC_INVALID_ARGUMENT, "malformed " #type);            \
      return;                                                                                                \
    }

void
task_reply_err (const struct ttrpc_call *call, husk_error_t *err, int code)
{
  ttrpc_reply_error (call->conn, call->stream, code, "%s", *err && (*err)->msg ? (*err)->msg : "failed");
  husk_error_free (err);
}

void
task_reply_empty (const struct ttrpc_call *call)
{
  Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
  ttrpc_reply (call->conn, call->stream, &e.base);
}

struct proc *
task_lookup (const struct ttrpc_call *call, const char *id, const char *exec_id)
{
  struct proc *p = NULL;
  if (shim_task && (id == NULL || *id == '\0' || strcmp (id, shim_task->id) == 0))
    p = proc_find (exec_id);
  if (p == NULL)
    ttrpc_reply_error (call->conn, call->stream, RPC_NOT_FOUND, "process %s%s%s does not exist", id ? id : "",
                       exec_id && *exec_id ? "/" : "", exec_id ? exec_id : "");
  return p;
}

pid_t
task_read_pid (const char *path, husk_error_t *err)
{
  cleanup_free char *data = NULL;
  long pid;
  if (husk_read_file (path, &data, NULL, err) < 0)
    return -1;
  pid = strtol (data, NULL, 10);
  if (pid <= 0)
    return husk_error (err, EINVAL, "bad pid in `%s`", path);
  return (pid_t)pid;
}

static void
fill_ts (Google__Protobuf__Timestamp *ts, const struct timespec *t)
{
  ts->seconds = t->tv_sec;
  ts->nanos = (int32_t)t->tv_nsec;
}

/* containerd.runc.v1.Options may name the runtime binary and root. */
static void
apply_options (const Google__Protobuf__Any *any)
{
  Containerd__Runc__V1__Options *o;
  static char *binary, *root;
  if (any == NULL || strstr (any->type_url, "containerd.runc.v1.Options") == NULL)
    return;
  o = containerd__runc__v1__options__unpack (NULL, any->value.len, any->value.data);
  if (o == NULL)
    return;
  if (*o->binary_name)
    shim_cfg.runtime = binary = shim_strdup (o->binary_name);
  if (*o->root)
    {
      if (asprintf (&root, "%s/%s", o->root, shim_cfg.ns) < 0)
        abort ();
      shim_cfg.root = root;
    }
  containerd__runc__v1__options__free_unpacked (o, NULL);
}

/* The `delete` action runs without containerd's options: leave it the
 * runtime and root we used. */
static void
save_runtime_info (const char *bundle)
{
  cleanup_free char *path = shim_path (bundle, "husk-shim.runtime");
  cleanup_free char *data = NULL;
  husk_error_t err = NULL;
  if (asprintf (&data, "%s\n%s\n", shim_cfg.runtime, shim_cfg.root) < 0)
    return;
  if (husk_write_file (path, data, strlen (data), 0600, &err) < 0)
    husk_error_free (&err);
}

static void
task_free (void)
{
  oom_watch_stop ();
  while (shim_task->procs)
    proc_remove (shim_task->procs);
  free (shim_task->id);
  free (shim_task->bundle);
  free (shim_task->ns);
  free (shim_task);
  shim_task = NULL;
}

static int
create_init (struct proc *p, const char *id, const char *bundle, husk_error_t *err)
{
  cleanup_free char *pidfile = shim_path (bundle, "init.pid");
  char *cdir = NULL, *cpath = NULL;
  int clisten = -1, fds[3], r;
  const char *args[12];
  size_t n = 0;

  if (io_setup (p, fds, err) < 0)
    return -1;
  if (p->terminal && io_console_socket (&cdir, &cpath, &clisten, err) < 0)
    {
      io_console_cleanup (cdir, cpath, clisten);
      return -1;
    }
  args[n++] = "create";
  args[n++] = "--bundle";
  args[n++] = bundle;
  args[n++] = "--pid-file";
  args[n++] = pidfile;
  if (cpath)
    {
      args[n++] = "--console-socket";
      args[n++] = cpath;
    }
  args[n++] = id;
  args[n] = NULL;
  r = runtime_run (args, fds, NULL, err);
  io_close_fds (fds);
  if (r == 0)
    {
      p->pid = task_read_pid (pidfile, err);
      r = p->pid < 0 ? -1 : 0;
    }
  if (r == 0 && p->terminal)
    r = io_console_receive (p, clisten, err);
  io_console_cleanup (cdir, cpath, clisten);
  return r;
}

static void
task_create (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__CreateTaskRequest, containerd__task__v2__create_task_request__unpack, call);
  Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
  Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
  Containerd__Events__TaskIO tio = CONTAINERD__EVENTS__TASK_IO__INIT;
  husk_error_t err = NULL;
  struct proc *p;

  if (shim_task)
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_ALREADY_EXISTS, "task %s already exists",
                         shim_task->id);
      goto out;
    }
  if (*req->checkpoint)
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_UNIMPLEMENTED,
                         "restore from checkpoint is not supported");
      goto out;
    }
  apply_options (req->options);
  shim_task = calloc (1, sizeof *shim_task);
  if (shim_task == NULL)
    abort ();
  shim_task->id = shim_strdup (req->id);
  shim_task->bundle = shim_strdup (req->bundle);
  shim_task->ns = shim_strdup (shim_cfg.ns);
  save_runtime_info (req->bundle);
  if (mount_rootfs (req->bundle, req->rootfs, req->n_rootfs, &err) < 0)
    goto fail;
  shim_task->mounted = req->n_rootfs > 0;
  p = proc_new ("");
  p->terminal = req->terminal;
  p->stdin_path = shim_strdup (req->stdin);
  p->stdout_path = shim_strdup (req->stdout);
  p->stderr_path = shim_strdup (req->stderr);
  if (create_init (p, req->id, req->bundle, &err) < 0)
    goto fail;
  p->status = PROC_CREATED;
  oom_watch_start (p->pid);

  tio.stdin = req->stdin;
  tio.stdout = req->stdout;
  tio.stderr = req->stderr;
  tio.terminal = req->terminal;
  ev.container_id = req->id;
  ev.bundle = req->bundle;
  ev.rootfs = (Containerd__Task__V2__Mount **)req->rootfs;
  ev.n_rootfs = req->n_rootfs;
  ev.io = &tio;
  ev.pid = (uint32_t)p->pid;
  events_publish (TOPIC_TASK_CREATE, "containerd.events.TaskCreate", &ev.base);
  resp.pid = (uint32_t)p->pid;
  ttrpc_reply (call->conn, call->stream, &resp.base);
  goto out;

fail:
  if (shim_task->mounted || req->n_rootfs)
    {
      husk_error_t e2 = NULL;
      unmount_rootfs (req->bundle, &e2);
      husk_error_free (&e2);
    }
  task_free ();
  task_reply_err (call, &err, RPC_UNKNOWN);
out:
  containerd__task__v2__create_task_request__free_unpacked (req, NULL);
}

static int
start_init (struct proc *p, husk_error_t *err)
{
  const char *args[] = { "start", shim_task->id, NULL };
  Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
  if (p->status != PROC_CREATED)
    return husk_error (err, 0, "container %s is not in created state", shim_task->id);
  if (runtime_run (args, (int[3]){ -1, -1, -1 }, NULL, err) < 0)
    return -1;
  p->status = PROC_RUNNING;
  ev.container_id = shim_task->id;
  ev.pid = (uint32_t)p->pid;
  events_publish (TOPIC_TASK_START, "containerd.events.TaskStart", &ev.base);
  return 0;
}

static void
task_start (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__StartRequest, containerd__task__v2__start_request__unpack, call);
  Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
  husk_error_t err = NULL;
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p)
    {
      int r = *p->id ? task_start_exec (p, &err) : start_init (p, &err);
      if (r < 0)
        task_reply_err (call, &err, RPC_UNKNOWN);
      else
        {
          resp.pid = (uint32_t)p->pid;
          ttrpc_reply (call->conn, call->stream, &resp.base);
        }
    }
  containerd__task__v2__start_request__free_unpacked (req, NULL);
}

static void
task_state (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__StateRequest, containerd__task__v2__state_request__unpack, call);
  Containerd__Task__V2__StateResponse resp = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p)
    {
      resp.id = *p->id ? p->id : shim_task->id;
      resp.exec_id = p->id;
      resp.bundle = shim_task->bundle;
      resp.pid = (uint32_t)p->pid;
      resp.status = (Containerd__Task__V2__Status)p->status;
      resp.stdin = p->stdin_path;
      resp.stdout = p->stdout_path;
      resp.stderr = p->stderr_path;
      resp.terminal = p->terminal;
      resp.exit_status = p->exit_status;
      if (p->status == PROC_STOPPED)
        {
          fill_ts (&ts, &p->exited_at);
          resp.exited_at = &ts;
        }
      ttrpc_reply (call->conn, call->stream, &resp.base);
    }
  containerd__task__v2__state_request__free_unpacked (req, NULL);
}

/* Wait keeps the call pending until the process exits. */
static void
task_wait (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__WaitRequest, containerd__task__v2__wait_request__unpack, call);
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p && p->status == PROC_STOPPED)
    {
      Containerd__Task__V2__WaitResponse resp = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
      Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
      fill_ts (&ts, &p->exited_at);
      resp.exit_status = p->exit_status;
      resp.exited_at = &ts;
      ttrpc_reply (call->conn, call->stream, &resp.base);
    }
  else if (p)
    {
      struct waiter *w = calloc (1, sizeof *w);
      if (w == NULL)
        abort ();
      w->conn = call->conn;
      w->stream = call->stream;
      w->next = p->waiters;
      p->waiters = w;
    }
  containerd__task__v2__wait_request__free_unpacked (req, NULL);
}

static int
delete_init (struct proc *p, husk_error_t *err)
{
  const char *args[] = { "delete", "--force", shim_task->id, NULL };
  Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  if (p->status == PROC_RUNNING || p->status == PROC_PAUSED)
    return husk_error (err, 0, "cannot delete task %s: it is still running", shim_task->id);
  if (runtime_run (args, (int[3]){ -1, -1, -1 }, NULL, err) < 0)
    return -1;
  if (p->status != PROC_STOPPED)
    {
      /* created but never started: the runtime killed it */
      p->status = PROC_STOPPED;
      p->exit_status = 128 + 9;
      shim_now (&p->exited_at);
    }
  if (shim_task->mounted && unmount_rootfs (shim_task->bundle, err) < 0)
    return -1;
  shim_task->mounted = false;
  fill_ts (&ts, &p->exited_at);
  ev.container_id = shim_task->id;
  ev.pid = (uint32_t)p->pid;
  ev.exit_status = p->exit_status;
  ev.exited_at = &ts;
  ev.id = shim_task->id;
  events_publish (TOPIC_TASK_DELETE, "containerd.events.TaskDelete", &ev.base);
  return 0;
}

static void
task_delete (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__DeleteRequest, containerd__task__v2__delete_request__unpack, call);
  Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  husk_error_t err = NULL;
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p == NULL)
    goto out;
  if (*p->id && p->status != PROC_STOPPED && p->status != PROC_CREATED)
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_FAILED_PRECONDITION, "exec %s is still running",
                         p->id);
      goto out;
    }
  if (*p->id == '\0' && delete_init (p, &err) < 0)
    {
      task_reply_err (call, &err, RPC_FAILED_PRECONDITION);
      goto out;
    }
  resp.pid = (uint32_t)p->pid;
  resp.exit_status = p->exit_status;
  fill_ts (&ts, &p->exited_at);
  resp.exited_at = &ts;
  ttrpc_reply (call->conn, call->stream, &resp.base);
  if (*p->id)
    proc_remove (p);
  else
    task_free (); /* the init is gone: so is everything else */
out:
  containerd__task__v2__delete_request__free_unpacked (req, NULL);
}

static void
task_connect (const struct ttrpc_call *call)
{
  Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  struct proc *init = proc_find ("");
  resp.shim_pid = (uint32_t)getpid ();
  resp.task_pid = init ? (uint32_t)init->pid : 0;
  resp.version = "husk";
  ttrpc_reply (call->conn, call->stream, &resp.base);
}

/* containerd calls Shutdown after Delete: exit once no task is left. */
static void
task_shutdown (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__ShutdownRequest, containerd__task__v2__shutdown_request__unpack, call);
  bool now = req->now;
  containerd__task__v2__shutdown_request__free_unpacked (req, NULL);
  task_reply_empty (call);
  if (shim_task == NULL || now)
    shim_loop_quit ();
}

static void
task_checkpoint (const struct ttrpc_call *call)
{
  ttrpc_reply_error (call->conn, call->stream, RPC_UNIMPLEMENTED, "checkpoint is not supported by husk");
}

#define TASK_SERVICE "containerd.task.v2.Task"

const struct ttrpc_method task_methods[] = {
  { TASK_SERVICE, "State", task_state },
  { TASK_SERVICE, "Create", task_create },
  { TASK_SERVICE, "Start", task_start },
  { TASK_SERVICE, "Delete", task_delete },
  { TASK_SERVICE, "Pids", task_pids },
  { TASK_SERVICE, "Pause", task_pause },
  { TASK_SERVICE, "Resume", task_resume },
  { TASK_SERVICE, "Checkpoint", task_checkpoint },
  { TASK_SERVICE, "Kill", task_kill },
  { TASK_SERVICE, "Exec", task_exec },
  { TASK_SERVICE, "ResizePty", task_resize_pty },
  { TASK_SERVICE, "CloseIO", task_close_io },
  { TASK_SERVICE, "Update", task_update },
  { TASK_SERVICE, "Wait", task_wait },
  { TASK_SERVICE, "Stats", task_stats },
  { TASK_SERVICE, "Connect", task_connect },
  { TASK_SERVICE, "Shutdown", task_shutdown },
  { NULL, NULL, NULL },
};
