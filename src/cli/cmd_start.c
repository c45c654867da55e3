#include "cli/cli.h"
#include "container/lifecycle.h"

static const char usage[] = "Usage: husk start CONTAINER_ID\n\nStart a created container.\n";

int
husk_cmd_start (struct husk_global *g, int argc, char **argv)
{
  husk_error_t err = NULL;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, NULL, husk_cli_no_opt, NULL, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  if (husk_container_start (g->root, argv[first], &err) < 0)
    return husk_cli_fail (&err);
  return 0;
}
