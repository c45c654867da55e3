/* `husk pause ID`: freeze every process of the container. */
#include <stdio.h>

#include "cli/cli.h"
#include "linux/cgroups/container_cg.h"

static const char usage[] = "Usage: husk pause CONTAINER_ID\n\n"
                            "Suspend all processes of the container (cgroup freezer). `state` then\n"
                            "reports \"paused\".\n";

/* Shared by pause and resume: freeze or thaw, checking the status first. */
int husk_cmd_freeze_common (struct husk_global *g, int argc, char **argv, bool freeze, const char *usage);

int
husk_cmd_freeze_common (struct husk_global *g, int argc, char **argv, bool freeze, const char *use)
{
  husk_error_t err = NULL;
  struct husk_container *c = NULL;
  struct husk_cgroup *cg = NULL;
  bool done;
  int first = husk_cli_parse (argc, argv, use, NULL, husk_cli_no_opt, NULL, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, use) < 0)
    return 1;
  if (husk_container_load (g->root, argv[first], &c, &err) < 0)
    return husk_cli_fail (&err);
  enum husk_status s = husk_container_status (c);
  if (freeze && s != HUSK_STATUS_RUNNING && s != HUSK_STATUS_CREATED)
    husk_error (&err, 0, "container `%s` is not running", c->id);
  else if (!freeze && s != HUSK_STATUS_PAUSED)
    husk_error (&err, 0, "container `%s` is not paused", c->id);
  else if (husk_container_cgroup (c, &cg, &err) == 0)
    husk_cgroup_freeze (cg, freeze, &err);
  husk_cgroup_free (cg);
  husk_container_free (c);
  return err ? husk_cli_fail (&err) : 0;
}

int
husk_cmd_pause (struct husk_global *g, int argc, char **argv)
{
  return husk_cmd_freeze_common (g, argc, argv, true, usage);
}
