#include <signal.h>

#include "cli/cli.h"
#include "container/lifecycle.h"

static const char usage[] = "Usage: husk kill [--all] CONTAINER_ID [SIGNAL]\n\n"
                            "Send SIGNAL (default SIGTERM; a name with or without SIG, or a number) to the\n"
                            "container's init, or with --all to every process in its cgroup.\n";

static int
kill_opt (int opt, const char *arg, void *data)
{
  *(bool *)data = true;
  return 0;
}

int
husk_cmd_kill (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { 0 } };
  husk_error_t err = NULL;
  bool all = false, done;
  int sig = SIGTERM;
  int first = husk_cli_parse (argc, argv, usage, opts, kill_opt, &all, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 2, usage) < 0)
    return 1;
  if (argc - first == 2 && (sig = husk_signal_parse (argv[first + 1])) < 0)
    return husk_cli_error ("kill", "unknown signal `%s`", argv[first + 1]), 1;
  if (husk_container_kill (g->root, argv[first], sig, all, &err) < 0)
    return husk_cli_fail (&err);
  return 0;
}
