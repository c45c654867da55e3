/* husk create [--bundle B] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot]
 *             [--no-new-keyring] ID */
#include <stdio.h>

#include "cli/create_opts.h"

const struct option husk_create_options[] = {
  { "bundle", required_argument, NULL, OPT_BUNDLE },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_KEYRING },
  { "detach", no_argument, NULL, OPT_DETACH },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { 0 },
};

int
husk_create_opt (int opt, const char *arg, void *data)
{
  struct create_flags *f = data;
  long n;
  switch (opt)
    {
    case OPT_BUNDLE:
      f->o.bundle = arg;
      break;
    case OPT_PID_FILE:
      f->o.pid_file = arg;
      break;
    case OPT_CONSOLE:
      f->o.console_socket = arg;
      break;
    case OPT_PRESERVE:
      if (husk_parse_int (arg, 0, 65536, &n) < 0)
        return husk_cli_error ("--preserve-fds", "`%s` is not a number of fds", arg);
      f->o.preserve_fds = (int)n;
      break;
    case OPT_NO_PIVOT:
      f->o.no_pivot = true;
      break;
    case OPT_NO_KEYRING:
      f->o.no_new_keyring = true;
      break;
    case OPT_DETACH:
      f->detach = true;
      break;
    case OPT_KEEP:
      f->keep = true;
      break;
    case OPT_NO_SUBREAPER:
      break;
    default:
      return -1;
    }
  return 0;
}

static const char usage[]
    = "Usage: husk create [options] CONTAINER_ID\n\n"
      "Create a container from the bundle; its process waits until `husk start`.\n\n"
      "Options:\n"
      "  --bundle, -b DIR        bundle directory (default: current directory)\n"
      "  --pid-file FILE         write the init's pid to FILE\n"
      "  --console-socket PATH   unix socket that receives the pty master (process.terminal)\n"
      "  --preserve-fds N        pass N extra fds (from 3) to the container\n"
      "  --no-pivot              chroot instead of pivot_root\n"
      "  --no-new-keyring        keep the caller's session keyring\n";

int
husk_cmd_create (struct husk_global *g, int argc, char **argv)
{
  struct create_flags f = { .o = { .root = g->root } };
  cleanup_free char *text = NULL;
  husk_error_t err = NULL;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, husk_create_options, husk_create_opt, &f, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  f.o.id = argv[first];
  if (husk_id_validate (f.o.id, &err) < 0 || husk_cli_create_prepare (g, &f, &text, &err) < 0
      || husk_container_create (&f.o, NULL, NULL, &err) < 0)
    {
      husk_config_free (f.o.cfg);
      return husk_cli_fail (&err);
    }
  husk_config_free (f.o.cfg);
  return 0;
}
