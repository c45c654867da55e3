/* Flags shared by `create` and `run`. */
#ifndef HUSK_CLI_CREATE_OPTS_H
#define HUSK_CLI_CREATE_OPTS_H

#include <limits.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "container/lifecycle.h"

enum
{
  OPT_BUNDLE = 'b',
  OPT_DETACH = 'd',
  OPT_PID_FILE = 1000,
  OPT_CONSOLE,
  OPT_PRESERVE,
  OPT_NO_PIVOT,
  OPT_NO_KEYRING,
  OPT_KEEP,
  OPT_NO_SUBREAPER
};

struct create_flags
{
  struct husk_create_opts o;
  char rootfs_real[PATH_MAX]; /* storage for o.rootfs_real */
  bool detach, keep;
};

extern const struct option husk_create_options[];
int husk_create_opt (int opt, const char *arg, void *data);
/* Read and parse the bundle's config into f->o (*text: the file's text,
 * the caller frees it), and re-exec from a sealed copy of husk unless the
 * container provably cannot reach the binary. */
int husk_cli_create_prepare (struct husk_global *g, struct create_flags *f, char **text, husk_error_t *err);

#endif
