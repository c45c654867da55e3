/* `husk resume ID`: thaw a paused container. */
#include "cli/cli.h"

static const char usage[] = "Usage: husk resume CONTAINER_ID\n\n"
                            "Resume all processes of a paused container.\n";

int husk_cmd_freeze_common (struct husk_global *g, int argc, char **argv, bool freeze, const char *usage);

int
husk_cmd_resume (struct husk_global *g, int argc, char **argv)
{
  return husk_cmd_freeze_common (g, argc, argv, false, usage);
}
