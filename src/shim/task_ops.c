/* Task service: operations on running processes (Exec, Kill, Pids,
 * Pause, Resume, Update, CloseIO, ResizePty). */
#include "shim/task.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/events.h"
#include "shim/parse.h"
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

static char *
exec_file (const char *exec_id, const char *suffix)
{
  char *r;
  if (asprintf (&r, "%s/exec-%s.%s", shim_task->bundle, exec_id, suffix) < 0)
    abort ();
  return r;
}

static bool
valid_exec_id (const char *id)
{
  if (*id == '\0' || strlen (id) > 76 || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return false;
  for (const char *c = id; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'
          || *c == '_' || *c == '.'))
      return false;
  return true;
}

void
task_exec (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__ExecProcessRequest, containerd__task__v2__exec_process_request__unpack, call);
  Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
  husk_error_t err = NULL;
  cleanup_free char *spec = NULL;
  struct proc *p;
  if (task_lookup (call, req->id, "") == NULL)
    goto out;
  if (!valid_exec_id (req->exec_id))
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_INVALID_ARGUMENT, "invalid exec id `%s`",
                         req->exec_id);
      goto out;
    }
  if (proc_find (req->exec_id))
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_ALREADY_EXISTS, "id %s: already exists", req->exec_id);
      goto out;
    }
  if (req->spec == NULL)
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_INVALID_ARGUMENT, "exec %s has no process spec",
                         req->exec_id);
      goto out;
    }
  spec = exec_file (req->exec_id, "json");
  if (husk_write_file (spec, (const char *)req->spec->value.data, req->spec->value.len, 0600, &err) < 0)
    {
      task_reply_err (call, &err, RPC_INTERNAL);
      goto out;
    }
  p = proc_new (req->exec_id);
  p->terminal = req->terminal;
  p->stdin_path = shim_strdup (req->stdin);
  p->stdout_path = shim_strdup (req->stdout);
  p->stderr_path = shim_strdup (req->stderr);
  p->status = PROC_CREATED;
  ev.container_id = shim_task->id;
  ev.exec_id = req->exec_id;
  events_publish (TOPIC_TASK_EXEC_ADDED, "containerd.events.TaskExecAdded", &ev.base);
  task_reply_empty (call);
out:
  containerd__task__v2__exec_process_request__free_unpacked (req, NULL);
}

int
task_start_exec (struct proc *p, husk_error_t *err)
{
  cleanup_free char *spec = exec_file (p->id, "json");
  cleanup_free char *pidfile = exec_file (p->id, "pid");
  Containerd__Events__TaskExecStarted ev = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
  char *cdir = NULL, *cpath = NULL;
  int clisten = -1, fds[3], r;
  const char *args[12];
  size_t n = 0;

  if (p->status != PROC_CREATED)
    return husk_error (err, 0, "exec %s was already started", p->id);
  if (io_setup (p, fds, err) < 0)
    return -1;
  if (p->terminal && io_console_socket (&cdir, &cpath, &clisten, err) < 0)
    {
      io_close_fds (fds);
      io_console_cleanup (cdir, cpath, clisten);
      return -1;
    }
  args[n++] = "exec";
  args[n++] = "--process";
  args[n++] = spec;
  args[n++] = "--detach";
  args[n++] = "--pid-file";
  args[n++] = pidfile;
  if (cpath)
    {
      args[n++] = "--console-socket";
      args[n++] = cpath;
    }
  args[n++] = shim_task->id;
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
  unlink (spec);
  unlink (pidfile);
  if (r < 0)
    {
      io_release (p);
      return -1;
    }
  p->status = PROC_RUNNING;
  ev.container_id = shim_task->id;
  ev.exec_id = p->id;
  ev.pid = (uint32_t)p->pid;
  events_publish (TOPIC_TASK_EXEC_STARTED, "containerd.events.TaskExecStarted", &ev.base);
  return 0;
}

void
task_kill (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__KillRequest, containerd__task__v2__kill_request__unpack, call);
  husk_error_t err = NULL;
  char sig[16];
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p == NULL)
    goto out;
  if (p->status == PROC_STOPPED && !(req->all && *p->id == '\0'))
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_NOT_FOUND, "process already finished");
      goto out;
    }
  if (*p->id)
    {
      if (p->status == PROC_CREATED || kill (p->pid, (int)req->signal) < 0)
        {
          ttrpc_reply_error (call->conn, call->stream, RPC_NOT_FOUND, "process %s: %s", p->id,
                             p->status == PROC_CREATED ? "not started" : strerror (errno));
          goto out;
        }
    }
  else
    {
      const char *args[6];
      size_t n = 0;
      snprintf (sig, sizeof sig, "%u", req->signal);
      args[n++] = "kill";
      if (req->all)
        args[n++] = "--all";
      args[n++] = shim_task->id;
      args[n++] = sig;
      args[n] = NULL;
      if (runtime_run (args, (int[3]){ -1, -1, -1 }, NULL, &err) < 0)
        {
          task_reply_err (call, &err, p->status == PROC_STOPPED ? RPC_NOT_FOUND : RPC_UNKNOWN);
          goto out;
        }
    }
  task_reply_empty (call);
out:
  containerd__task__v2__kill_request__free_unpacked (req, NULL);
}

static void
pids_reply (const struct ttrpc_call *call, const pid_t *pids, size_t n)
{
  Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
  Containerd__Task__V2__ProcessInfo *infos = calloc (n + 1, sizeof *infos);
  Containerd__Task__V2__ProcessInfo **ptrs = calloc (n + 1, sizeof *ptrs);
  Google__Protobuf__Any *anys = calloc (n + 1, sizeof *anys);
  Containerd__Runc__V1__ProcessDetails *det = calloc (n + 1, sizeof *det);
  uint8_t (*bufs)[96] = calloc (n + 1, sizeof *bufs);
  if (!infos || !ptrs || !anys || !det || !bufs)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      pid_t pid = pids[i];
      containerd__task__v2__process_info__init (&infos[i]);
      infos[i].pid = (uint32_t)pid;
      for (struct proc *p = shim_task->procs; p; p = p->next)
        if (*p->id && p->pid == pid && strlen (p->id) < 80)
          {
            containerd__runc__v1__process_details__init (&det[i]);
            google__protobuf__any__init (&anys[i]);
            det[i].exec_id = p->id;
            anys[i].type_url = "containerd.runc.v1.ProcessDetails";
            anys[i].value.len = containerd__runc__v1__process_details__pack (&det[i], bufs[i]);
            anys[i].value.data = bufs[i];
            infos[i].info = &anys[i];
          }
      ptrs[i] = &infos[i];
    }
  resp.processes = ptrs;
  resp.n_processes = n;
  ttrpc_reply (call->conn, call->stream, &resp.base);
  free (infos);
  free (ptrs);
  free (anys);
  free (det);
  free (bufs);
}

void
task_pids (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__PidsRequest, containerd__task__v2__pids_request__unpack, call);
  husk_error_t err = NULL;
  cleanup_free char *out = NULL;
  pid_t *pids = NULL;
  ssize_t n;
  if (task_lookup (call, req->id, "") == NULL)
    goto done;
  const char *args[] = { "ps", "--format", "json", shim_task->id, NULL };
  if (runtime_run (args, (int[3]){ -1, -1, -1 }, &out, &err) < 0)
    {
      task_reply_err (call, &err, RPC_UNKNOWN);
      goto done;
    }
  n = shim_parse_pid_array (out, &pids);
  if (n < 0)
    ttrpc_reply_error (call->conn, call->stream, RPC_INTERNAL, "unexpected output of `ps --format json`");
  else
    pids_reply (call, pids, (size_t)n);
  free (pids);
done:
  containerd__task__v2__pids_request__free_unpacked (req, NULL);
}

static void
pause_resume (const struct ttrpc_call *call, const char *id, bool pause)
{
  Containerd__Events__TaskPaused pev = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
  Containerd__Events__TaskResumed rev = CONTAINERD__EVENTS__TASK_RESUMED__INIT;
  husk_error_t err = NULL;
  struct proc *p = task_lookup (call, id, "");
  const char *args[] = { pause ? "pause" : "resume", shim_task ? shim_task->id : "", NULL };
  if (p == NULL)
    return;
  if (runtime_run (args, (int[3]){ -1, -1, -1 }, NULL, &err) < 0)
    {
      task_reply_err (call, &err, RPC_UNKNOWN);
      return;
    }
  if (p->status != PROC_STOPPED)
    p->status = pause ? PROC_PAUSED : PROC_RUNNING;
  if (pause)
    {
      pev.container_id = shim_task->id;
      events_publish (TOPIC_TASK_PAUSED, "containerd.events.TaskPaused", &pev.base);
    }
  else
    {
      rev.container_id = shim_task->id;
      events_publish (TOPIC_TASK_RESUMED, "containerd.events.TaskResumed", &rev.base);
    }
  task_reply_empty (call);
}

void
task_pause (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__PauseRequest, containerd__task__v2__pause_request__unpack, call);
  pause_resume (call, req->id, true);
  containerd__task__v2__pause_request__free_unpacked (req, NULL);
}

void
task_resume (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__ResumeRequest, containerd__task__v2__resume_request__unpack, call);
  pause_resume (call, req->id, false);
  containerd__task__v2__resume_request__free_unpacked (req, NULL);
}

/* resources arrive as an Any holding the OCI LinuxResources JSON */
void
task_update (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__UpdateTaskRequest, containerd__task__v2__update_task_request__unpack, call);
  husk_error_t err = NULL;
  cleanup_free char *path = NULL;
  if (task_lookup (call, req->id, "") == NULL)
    goto out;
  if (req->resources == NULL)
    {
      ttrpc_reply_error (call->conn, call->stream, RPC_INVALID_ARGUMENT, "no resources given");
      goto out;
    }
  path = shim_path (shim_task->bundle, "husk-update.json");
  const char *args[] = { "update", "--resources", path, shim_task->id, NULL };
  if (husk_write_file (path, (const char *)req->resources->value.data, req->resources->value.len, 0600, &err)
          < 0
      || runtime_run (args, (int[3]){ -1, -1, -1 }, NULL, &err) < 0)
    task_reply_err (call, &err, RPC_UNKNOWN);
  else
    task_reply_empty (call);
  unlink (path);
out:
  containerd__task__v2__update_task_request__free_unpacked (req, NULL);
}

void
task_close_io (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__CloseIORequest, containerd__task__v2__close_iorequest__unpack, call);
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p)
    {
      if (req->stdin)
        io_close_stdin (p);
      task_reply_empty (call);
    }
  containerd__task__v2__close_iorequest__free_unpacked (req, NULL);
}

void
task_resize_pty (const struct ttrpc_call *call)
{
  UNPACK (Containerd__Task__V2__ResizePtyRequest, containerd__task__v2__resize_pty_request__unpack, call);
  husk_error_t err = NULL;
  struct proc *p = task_lookup (call, req->id, req->exec_id);
  if (p)
    {
      if (io_resize (p, req->width, req->height, &err) < 0)
        task_reply_err (call, &err, RPC_FAILED_PRECONDITION);
      else
        task_reply_empty (call);
    }
  containerd__task__v2__resize_pty_request__free_unpacked (req, NULL);
}
