/* `exec`: start another process inside a running container. */
#ifndef HUSK_CONTAINER_EXEC_H
#define HUSK_CONTAINER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct husk_exec_opts
{
  const char *root;
  const char *id;
  const char *process_path; /* --process: the whole process, flags below ignored */
  char **args;              /* the command (NULL-terminated), without --process */
  bool tty;                 /* -t */
  const char *console_socket;
  bool detach;
  const char *pid_file;
  char **env; /* -e K=V, NULL-terminated, may be NULL */
  const char *cwd;
  const char *user;       /* UID[:GID] */
  char **additional_gids; /* strings, NULL-terminated, may be NULL */
  char **caps;            /* --cap, NULL-terminated, may be NULL */
  bool no_new_privs;
  const char *process_label;
  const char *apparmor;
  int preserve_fds;
  bool ignore_paused;
  char **cgroups; /* --cgroup [CTRL[,CTRL]:]PATH, may be NULL */
};

/* Foreground: returns the process's exit status (128+N on signal N) in
 * *status. Detached: returns once the process runs; *status = 0.
 * Errors before the exec of the process come back as one message. */
int husk_container_exec (const struct husk_exec_opts *o, int *status, husk_error_t *err);

/* Build the process to run from the container's config and the flags
 * (or from --process). *json_keep holds the strings *out borrows. */
int husk_exec_build_process (const struct husk_exec_opts *o, struct husk_config *cfg,
                             struct husk_process **out, json_object **json_keep, husk_error_t *err);

/* Environment as runc passes it: one entry per name, the last one wins;
 * HOME added from `home` when missing. Returns a malloc'd vector of
 * borrowed strings (plus the HOME string, malloc'd into *home_out). */
char **husk_exec_env (char **env, const char *home, char **home_out);

/* Move pid into the container's cgroup, or into the sub-cgroups named by
 * --cgroup (runc's format). cgroup_json is the container's stored cgroup
 * (NULL: nothing to join). */
int husk_exec_enter_cgroup (json_object *cgroup_json, char **subs, pid_t pid, husk_error_t *err);

#endif
