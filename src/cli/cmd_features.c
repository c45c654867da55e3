#include <stdio.h>

#include "cli/cli.h"
#include "oci/spec.h"

static const char usage[] = "Usage: husk features\n\nPrint the features husk supports (OCI features JSON).\n";

int
husk_cmd_features (struct husk_global *g, int argc, char **argv)
{
  json_object *f;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, NULL, husk_cli_no_opt, NULL, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 0, 0, usage) < 0)
    return 1;
  f = husk_features ();
  puts (json_object_to_json_string_ext (f, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                               | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (f);
  return 0;
}
