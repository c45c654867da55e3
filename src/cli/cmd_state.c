#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"

static const char usage[] = "Usage: husk state CONTAINER_ID\n\nPrint the OCI state of a container as JSON.\n";

int
husk_cmd_state (struct husk_global *g, int argc, char **argv)
{
  husk_error_t err = NULL;
  struct husk_container *c = NULL;
  json_object *o;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, NULL, husk_cli_no_opt, NULL, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  if (husk_container_load (g->root, argv[first], &c, &err) < 0)
    return husk_cli_fail (&err);
  o = husk_container_state_json (c);
  puts (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                               | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  husk_container_free (c);
  return 0;
}
