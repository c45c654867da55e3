/* The containerd.task.v2.Task service. */
#ifndef HUSK_SHIM_TASK_H
#define HUSK_SHIM_TASK_H

#include "shim/shim.h"
#include "shim/ttrpc.h"

extern const struct ttrpc_method task_methods[];

/* shared by task.c and task_ops.c */
struct proc *task_lookup (const struct ttrpc_call *call, const char *id, const char *exec_id);
void task_reply_err (const struct ttrpc_call *call, husk_error_t *err, int code);
void task_reply_empty (const struct ttrpc_call *call);
/* Read a pid file written by the runtime. */
pid_t task_read_pid (const char *path, husk_error_t *err);

void task_exec (const struct ttrpc_call *call);
void task_pids (const struct ttrpc_call *call);
void task_kill (const struct ttrpc_call *call);
void task_pause (const struct ttrpc_call *call);
void task_resume (const struct ttrpc_call *call);
void task_update (const struct ttrpc_call *call);
void task_stats (const struct ttrpc_call *call);
void task_close_io (const struct ttrpc_call *call);
void task_resize_pty (const struct ttrpc_call *call);
/* Start of an exec process (Start with an exec id). */
int task_start_exec (struct proc *p, husk_error_t *err);

#endif
