#include <string.h>

#include "cli/cli.h"
#include "container/lifecycle.h"

static const char usage[] = "Usage: husk delete [--force] CONTAINER_ID\n\n"
                            "Delete a stopped (or created) container; --force kills a running one first.\n";

static int
delete_opt (int opt, const char *arg, void *data)
{
  *(bool *)data = true;
  return 0;
}

int
husk_cmd_delete (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
  husk_error_t err = NULL;
  bool force = false, done;
  int first = husk_cli_parse (argc, argv, usage, opts, delete_opt, &force, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  if (husk_container_delete (g->root, argv[first], force, &err) < 0)
    {
      /* runc: --force on a container that is already gone is not an error. */
      if (force && err && strstr (err->msg, "does not exist"))
        {
          husk_error_free (&err);
          return 0;
        }
      return husk_cli_fail (&err);
    }
  return 0;
}
