/* One file per command. Each parses its own flags and calls the library. */
#ifndef HUSK_CLI_COMMANDS_H
#define HUSK_CLI_COMMANDS_H

#include <stdbool.h>

struct husk_global
{
  const char *root;       /* --root, default /run/husk */
  const char *log;        /* --log */
  const char *log_format; /* --log-format */
  bool debug;
  bool systemd_cgroup;
  bool rootless_set, rootless;
  int argc; /* main's, for a re-exec from a sealed copy */
  char **argv, **envp;
};

typedef int (*husk_cmd_fn) (struct husk_global *g, int argc, char **argv);

/* Commands return the process exit status. argv[0] is the command name. */
#define HUSK_COMMANDS(X)                                                                                     \
  X (create)                                                                                                 \
  X (start)                                                                                                  \
  X (run)                                                                                                    \
  X (state)                                                                                                  \
  X (kill)                                                                                                   \
  X (delete)                                                                                                 \
  X (list)                                                                                                   \
  X (spec) X (features) X (exec) X (update) X (pause) X (resume) X (ps) X (events) X (checkpoint) X (restore)

#define HUSK_DECLARE_CMD(name)                                                                               \
  int husk_cmd_##name (struct husk_global *g, int argc, char **argv) __attribute__ ((weak));
HUSK_COMMANDS (HUSK_DECLARE_CMD)
#undef HUSK_DECLARE_CMD

/* Shared by commands: print err via the log (and stderr), return status. */
struct husk_error_s;
int husk_cli_fail (struct husk_error_s **err);
/* getopt_long helpers: "--flag value" and "--flag=value" both work; a bad
 * flag prints "husk <cmd>: unknown flag ..." and returns status 1. */

#endif
