/* The process table and exits. We are the subreaper of everything the
 * runtime starts: every exit comes to us as SIGCHLD, is recorded on its
 * process and kept until containerd deletes the process, so an exit that
 * happens while containerd is away is still there when it comes back. */
#include "shim/shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim/events.h"
#include "shim/proto/events.pb-c.h"
#include "shim/proto/task.pb-c.h"
#include "shim/ttrpc.h"

struct task *shim_task;

struct proc *
proc_find (const char *exec_id)
{
  if (shim_task == NULL)
    return NULL;
  for (struct proc *p = shim_task->procs; p; p = p->next)
    if (strcmp (p->id, exec_id ? exec_id : "") == 0)
      return p;
  return NULL;
}

struct proc *
proc_new (const char *exec_id)
{
  struct proc *p = calloc (1, sizeof *p), **tail;
  if (p == NULL)
    abort ();
  p->id = shim_strdup (exec_id);
  p->out_hold[0] = p->out_hold[1] = p->master = -1;
  for (tail = &shim_task->procs; *tail; tail = &(*tail)->next)
    ;
  *tail = p;
  return p;
}

void
proc_free (struct proc *p)
{
  io_release (p);
  while (p->waiters)
    {
      struct waiter *w = p->waiters;
      p->waiters = w->next;
      ttrpc_reply_error (w->conn, w->stream, RPC_NOT_FOUND, "process %s deleted", p->id);
      free (w);
    }
  free (p->id);
  free (p->stdin_path);
  free (p->stdout_path);
  free (p->stderr_path);
  free (p);
}

void
proc_remove (struct proc *p)
{
  for (struct proc **pp = &shim_task->procs; *pp; pp = &(*pp)->next)
    if (*pp == p)
      {
        *pp = p->next;
        break;
      }
  proc_free (p);
}

/* A client that goes away takes its pending Waits with it. */
void
proc_conn_closed (uint64_t conn)
{
  if (shim_task == NULL)
    return;
  for (struct proc *p = shim_task->procs; p; p = p->next)
    for (struct waiter **w = &p->waiters; *w;)
      if ((*w)->conn == conn)
        {
          struct waiter *dead = *w;
          *w = dead->next;
          free (dead);
        }
      else
        w = &(*w)->next;
}

static void
answer_waiters (struct proc *p)
{
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  Containerd__Task__V2__WaitResponse resp = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
  ts.seconds = p->exited_at.tv_sec;
  ts.nanos = (int32_t)p->exited_at.tv_nsec;
  resp.exit_status = p->exit_status;
  resp.exited_at = &ts;
  while (p->waiters)
    {
      struct waiter *w = p->waiters;
      p->waiters = w->next;
      ttrpc_reply (w->conn, w->stream, &resp.base);
      free (w);
    }
}

void
proc_exited (struct proc *p, int wstatus)
{
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
  if (p->status == PROC_STOPPED)
    return;
  p->status = PROC_STOPPED;
  p->exit_status
      = WIFSIGNALED (wstatus) ? 128 + (uint32_t)WTERMSIG (wstatus) : (uint32_t)WEXITSTATUS (wstatus);
  shim_now (&p->exited_at);
  shim_debug ("process %s (pid %d) exited with %u", *p->id ? p->id : "init", p->pid, p->exit_status);
  /* stdin has no reader left; terminal output still in the master
   * goes out before containerd hears about the exit */
  io_close_stdin (p);
  io_drain (p);
  ts.seconds = p->exited_at.tv_sec;
  ts.nanos = (int32_t)p->exited_at.tv_nsec;
  ev.container_id = shim_task->id;
  ev.id = *p->id ? p->id : shim_task->id;
  ev.pid = (uint32_t)p->pid;
  ev.exit_status = p->exit_status;
  ev.exited_at = &ts;
  events_publish (TOPIC_TASK_EXIT, "containerd.events.TaskExit", &ev.base);
  answer_waiters (p);
}

static struct proc *
proc_by_pid (pid_t pid)
{
  if (shim_task == NULL)
    return NULL;
  for (struct proc *p = shim_task->procs; p; p = p->next)
    if (p->pid == pid && p->status != PROC_STOPPED)
      return p;
  return NULL;
}

void
proc_reap (void)
{
  for (;;)
    {
      int wstatus;
      pid_t pid = waitpid (-1, &wstatus, WNOHANG);
      if (pid < 0 && errno == EINTR)
        continue;
      if (pid <= 0)
        return;
      struct proc *p = proc_by_pid (pid);
      if (p)
        proc_exited (p, wstatus);
    }
}
