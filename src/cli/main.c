/* husk: global flags, then one command per file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "linux/sealed.h"
#include "util/log.h"

#define HUSK_VERSION "0.1.0"

static const char usage[] = "Usage: husk [global options] COMMAND [options] [arguments]\n"
                            "\n"
                            "An OCI container runtime, command-line compatible with runc.\n"
                            "\n"
                            "Commands:\n"
                            "  create     create a container\n"
                            "  start      start a created container\n"
                            "  run        create and start a container\n"
                            "  exec       run a process inside a running container\n"
                            "  state      print the state of a container\n"
                            "  list       list containers\n"
                            "  kill       send a signal to a container's init\n"
                            "  delete     delete a container\n"
                            "  pause      pause all processes of a container\n"
                            "  resume     resume a paused container\n"
                            "  ps         list the processes of a container\n"
                            "  events     print container events and statistics\n"
                            "  update     update a container's resource limits\n"
                            "  spec       write a default config.json\n"
                            "  features   print the features husk supports (JSON)\n"
                            "\n"
                            "Global options:\n"
                            "  --root DIR          state directory (default /run/husk)\n"
                            "  --log FILE          log file (default stderr)\n"
                            "  --log-format FMT    text or json\n"
                            "  --debug             debug logging\n"
                            "  --systemd-cgroup    use the systemd cgroup driver (needs systemd)\n"
                            "  --rootless VALUE    true, false or auto (accepted for runc compatibility)\n"
                            "  --version, -v       print the version\n"
                            "  --help, -h          print this help\n";

static void
print_version (void)
{
  printf ("husk version %s\nspec: 1.2.0\njson-c: %s\n", HUSK_VERSION, json_c_version ());
}

/* "--name=value", "--name value", "-name value". Returns the value or NULL
 * when argv[*i] is not this flag; advances *i past a separate value. */
static const char *
flag_value (int argc, char **argv, int *i, const char *name, bool *missing)
{
  const char *a = argv[*i];
  size_t n = strlen (name);
  if (a[0] != '-')
    return NULL;
  a += (a[1] == '-') ? 2 : 1;
  if (strncmp (a, name, n) != 0)
    return NULL;
  if (a[n] == '=')
    return a + n + 1;
  if (a[n] != '\0')
    return NULL;
  if (*i + 1 >= argc)
    {
      *missing = true;
      return NULL;
    }
  return argv[++*i];
}

static bool
is_flag (const char *arg, const char *name)
{
  if (arg[0] != '-')
    return false;
  arg += (arg[1] == '-') ? 2 : 1;
  return strcmp (arg, name) == 0
         || (strncmp (arg, name, strlen (name)) == 0 && arg[strlen (name)] == '='
             && strcmp (arg + strlen (name) + 1, "true") == 0);
}

/* Returns the index of the command, or -1 (exit status in *status). */
static int
parse_globals (int argc, char **argv, struct husk_global *g, int *status)
{
  int i;
  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      bool missing = false;
      const char *v;
      if ((v = flag_value (argc, argv, &i, "root", &missing)))
        g->root = v;
      else if ((v = flag_value (argc, argv, &i, "log-format", &missing)))
        g->log_format = v;
      else if ((v = flag_value (argc, argv, &i, "log", &missing)))
        g->log = v;
      else if ((v = flag_value (argc, argv, &i, "rootless", &missing)))
        g->rootless_set = true, g->rootless = strcmp (v, "true") == 0;
      else if ((v = flag_value (argc, argv, &i, "criu", &missing)))
        ;
      else if (missing)
        {
          fprintf (stderr, "husk: flag `%s` needs a value\n", argv[i]);
          return *status = 1, -1;
        }
      else if (is_flag (argv[i], "debug"))
        g->debug = true;
      else if (is_flag (argv[i], "systemd-cgroup"))
        g->systemd_cgroup = true;
      else if (is_flag (argv[i], "version") || strcmp (argv[i], "-v") == 0)
        return print_version (), *status = 0, -1;
      else if (is_flag (argv[i], "help") || strcmp (argv[i], "-h") == 0)
        return fputs (usage, stdout), *status = 0, -1;
      else
        {
          fprintf (stderr, "husk: unknown global flag `%s`\n%s", argv[i], usage);
          return *status = 1, -1;
        }
    }
  if (i >= argc)
    {
      fputs (usage, stderr);
      return *status = 1, -1;
    }
  return i;
}

static const struct
{
  const char *name;
  husk_cmd_fn *fn;
} commands[] = {
#define HUSK_CMD_ENTRY(n) { #n, NULL },
  HUSK_COMMANDS (HUSK_CMD_ENTRY)
#undef HUSK_CMD_ENTRY
};

static husk_cmd_fn
find_command (const char *name)
{
#define HUSK_CMD_FIND(n)                                                                                     \
  if (strcmp (name, #n) == 0)                                                                                \
    return husk_cmd_##n;
  HUSK_COMMANDS (HUSK_CMD_FIND)
#undef HUSK_CMD_FIND
  (void)commands;
  return NULL;
}

/* `exec` always runs sealed: the container's processes can see it.
 * create/run decide once they have read the config (cli/create_prep.c). */
static bool
needs_seal_now (const char *cmd)
{
  return strcmp (cmd, "exec") == 0 || getenv ("_HUSK_SEALED") != NULL;
}

int
main (int argc, char **argv, char **envp)
{
  struct husk_global g = { .root = "/run/husk", .argc = argc, .argv = argv, .envp = envp };
  int status = 0, ci;
  husk_cmd_fn fn;
  /* Nothing in a container may ptrace husk or open its /proc/PID files,
   * whatever the command (hooks run from start/delete too). */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  ci = parse_globals (argc, argv, &g, &status);
  if (ci < 0)
    return status;
  if (husk_log_init (g.log, g.log_format, g.debug) < 0)
    return 1;
  fn = find_command (argv[ci]);
  if (fn == NULL)
    {
      char msg[256];
      bool known = false;
      for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        known |= strcmp (commands[k].name, argv[ci]) == 0;
      snprintf (msg, sizeof msg, known ? "command `%s` is not implemented yet" : "unknown command `%s`",
                argv[ci]);
      husk_log_error_msg (msg);
      return 1;
    }
  if (g.systemd_cgroup && (strcmp (argv[ci], "create") == 0 || strcmp (argv[ci], "run") == 0))
    {
      husk_log_error_msg ("--systemd-cgroup: the systemd cgroup driver needs a running systemd, and husk "
                          "does not have one yet; use the default cgroupfs driver");
      return 1;
    }
  if (needs_seal_now (argv[ci]) && husk_ensure_sealed (argc, argv, envp) < 0)
    return 1;
  return fn (&g, argc - ci, argv + ci);
}
