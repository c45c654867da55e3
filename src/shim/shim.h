/* Shared state of the shim daemon: one task (the container) and its
 * processes. The init process has exec id "". */
#ifndef HUSK_SHIM_SHIM_H
#define HUSK_SHIM_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util/error.h"

enum proc_status
{
  PROC_UNKNOWN = 0,
  PROC_CREATED = 1,
  PROC_RUNNING = 2,
  PROC_STOPPED = 3,
  PROC_PAUSED = 4,
};

struct waiter
{
  uint64_t conn;
  uint32_t stream;
  struct waiter *next;
};

struct pump;

struct proc
{
  struct proc *next;
  char *id; /* exec id; "" for init */
  pid_t pid;
  int status;
  uint32_t exit_status;
  struct timespec exited_at;
  bool terminal;
  char *stdin_path, *stdout_path, *stderr_path;
  int out_hold[2];       /* our readers on stdout/stderr fifos (no EPIPE when the client leaves) */
  int master;            /* pty master, or -1 */
  struct pump *pumps[2]; /* stdin -> process, terminal -> stdout */
  struct waiter *waiters;
};

struct task
{
  char *id;
  char *bundle;
  char *ns;
  bool mounted;       /* we mounted the rootfs and unmount it on Delete */
  struct proc *procs; /* init first */
};

struct shim_config
{
  const char *ns;
  const char *id;
  const char *address; /* containerd's grpc address */
  const char *ttrpc_address;
  const char *runtime; /* the husk (or runc) binary */
  const char *root;    /* --root for the runtime */
  bool debug;
};

extern struct shim_config shim_cfg;
extern struct task *shim_task;

/* process table */
struct proc *proc_find (const char *exec_id);
struct proc *proc_new (const char *exec_id);
void proc_free (struct proc *p);
void proc_remove (struct proc *p);
/* Reap every exited child and record exits (SIGCHLD handler). */
void proc_reap (void);
/* Drop the pending Waits of a closed connection. */
void proc_conn_closed (uint64_t conn);
/* Record an exit: publish TaskExit, answer waiters. */
void proc_exited (struct proc *p, int wstatus);

/* runtime.c: run `runtime --root R --log L --log-format json ARGS...`
 * with the given stdio (-1: /dev/null) and wait for it. out, when not
 * NULL, receives its stdout. The error carries the runtime's message. */
int runtime_run (const char *const *args, const int stdio[3], char **out, husk_error_t *err);
/* Root directory of the runtime state for this namespace. */
const char *runtime_root (void);

/* io.c */
int io_setup (struct proc *p, int fds[3], husk_error_t *err);
void io_close_fds (int fds[3]);
int io_console_socket (char **dir, char **path, int *listen_fd, husk_error_t *err);
int io_console_receive (struct proc *p, int listen_fd, husk_error_t *err);
void io_console_cleanup (char *dir, char *path, int listen_fd);
int io_resize (struct proc *p, unsigned width, unsigned height, husk_error_t *err);
void io_close_stdin (struct proc *p);
void io_drain (struct proc *p);
void io_release (struct proc *p);

/* logger.c: spawn a binary:// logger; returns the pipes' write ends */
int io_binary_logger (const char *uri, int *out_w, int *err_w, husk_error_t *err);

/* mount.c */
struct Containerd__Task__V2__Mount;
int mount_rootfs (const char *bundle, struct Containerd__Task__V2__Mount **mounts, size_t n,
                  husk_error_t *err);
int unmount_rootfs (const char *bundle, husk_error_t *err);

/* stats.c: TaskOOM events for the init's memory cgroup */
void oom_watch_start (pid_t pid);
void oom_watch_stop (void);

/* slog.c */
enum
{
  SHIM_LOG_ERROR,
  SHIM_LOG_WARNING,
  SHIM_LOG_INFO,
  SHIM_LOG_DEBUG
};
void shim_log (int level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define shim_debug(...) shim_log (SHIM_LOG_DEBUG, __VA_ARGS__)
#define shim_warn(...) shim_log (SHIM_LOG_WARNING, __VA_ARGS__)

/* helpers */
char *shim_strdup (const char *s);
char *shim_path (const char *dir, const char *name);
void shim_now (struct timespec *ts);

#endif
