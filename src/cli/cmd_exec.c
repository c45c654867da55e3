/* husk exec [options] ID [COMMAND [ARG...]] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "container/exec.h"

enum
{
  OPT_PROCESS = 'p',
  OPT_TTY = 't',
  OPT_DETACH = 'd',
  OPT_ENV = 'e',
  OPT_USER = 'u',
  OPT_GIDS = 'g',
  OPT_CAP = 'c',
  OPT_CONSOLE = 1000,
  OPT_PID_FILE,
  OPT_CWD,
  OPT_NNP,
  OPT_LABEL,
  OPT_APPARMOR,
  OPT_PRESERVE,
  OPT_IGNORE_PAUSED,
  OPT_CGROUP,
  OPT_NO_SUBREAPER
};

static const struct option options[] = {
  { "process", required_argument, NULL, OPT_PROCESS },
  { "tty", no_argument, NULL, OPT_TTY },
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "detach", no_argument, NULL, OPT_DETACH },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "env", required_argument, NULL, OPT_ENV },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "user", required_argument, NULL, OPT_USER },
  { "additional-gids", required_argument, NULL, OPT_GIDS },
  { "cap", required_argument, NULL, OPT_CAP },
  { "no-new-privs", no_argument, NULL, OPT_NNP },
  { "process-label", required_argument, NULL, OPT_LABEL },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { 0 },
};

static const char usage[]
    = "Usage: husk exec [options] CONTAINER_ID [COMMAND [ARG...]]\n\n"
      "Run a process inside a running container. In the foreground husk forwards signals to it\n"
      "and exits with its exit code (128+N if killed by signal N).\n\n"
      "Options:\n"
      "  --process, -p FILE       the process as OCI process JSON (COMMAND and the flags below\n"
      "                           that describe the process are then ignored)\n"
      "  --tty, -t                allocate a pseudo-terminal\n"
      "  --console-socket PATH    unix socket that receives the pty master\n"
      "  --detach, -d             return once the process runs\n"
      "  --pid-file FILE          write the process's pid to FILE\n"
      "  --env, -e NAME=VALUE     set an environment variable (repeatable)\n"
      "  --cwd DIR                working directory (absolute)\n"
      "  --user, -u UID[:GID]     user and group ids\n"
      "  --additional-gids, -g G  an additional group id (repeatable)\n"
      "  --cap, -c CAP            add a capability (repeatable)\n"
      "  --no-new-privs           set no_new_privs\n"
      "  --process-label LABEL    SELinux label of the process\n"
      "  --apparmor PROFILE       AppArmor profile of the process\n"
      "  --preserve-fds N         pass N extra fds (from 3) to the process\n"
      "  --ignore-paused          exec even if the container is paused\n"
      "  --cgroup [CTRL:]PATH     run in an existing sub-cgroup of the container (repeatable)\n";

struct exec_flags
{
  struct husk_exec_opts o;
  size_t n_env, n_gids, n_caps, n_cgroups;
};

static int
push (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof *nv);
  if (nv == NULL)
    return husk_cli_error ("exec", "out of memory");
  nv[(*n)++] = (char *)s;
  nv[*n] = NULL;
  *v = nv;
  return 0;
}

static int
on_opt (int opt, const char *arg, void *data)
{
  struct exec_flags *f = data;
  struct husk_exec_opts *o = &f->o;
  long n;
  switch (opt)
    {
    case OPT_PROCESS:
      o->process_path = arg;
      break;
    case OPT_TTY:
      o->tty = true;
      break;
    case OPT_CONSOLE:
      o->console_socket = arg;
      break;
    case OPT_DETACH:
      o->detach = true;
      break;
    case OPT_PID_FILE:
      o->pid_file = arg;
      break;
    case OPT_ENV:
      return push (&o->env, &f->n_env, arg);
    case OPT_CWD:
      o->cwd = arg;
      break;
    case OPT_USER:
      o->user = arg;
      break;
    case OPT_GIDS:
      return push (&o->additional_gids, &f->n_gids, arg);
    case OPT_CAP:
      return push (&o->caps, &f->n_caps, arg);
    case OPT_NNP:
      o->no_new_privs = true;
      break;
    case OPT_LABEL:
      o->process_label = arg;
      break;
    case OPT_APPARMOR:
      o->apparmor = arg;
      break;
    case OPT_PRESERVE:
      if (husk_parse_int (arg, 0, 65536, &n) < 0)
        return husk_cli_error ("exec", "--preserve-fds: `%s` is not a number of fds", arg);
      o->preserve_fds = (int)n;
      break;
    case OPT_IGNORE_PAUSED:
      o->ignore_paused = true;
      break;
    case OPT_CGROUP:
      return push (&o->cgroups, &f->n_cgroups, arg);
    case OPT_NO_SUBREAPER:
      break;
    default:
      return -1;
    }
  return 0;
}

/* runc (urfave/cli) also takes boolean flags as --tty=true/--tty=false:
 * rewrite them to the plain flag, or drop them, before getopt sees them.
 * Only flags before the container id are touched. Returns the new argc. */
static int
normalize_bools (int argc, char **argv)
{
  int out = 1;
  bool value_next = false;
  for (int i = 1; i < argc; i++)
    {
      char *a = argv[i], *eq;
      const struct option *o = NULL;
      bool flag = a[0] == '-' && !value_next && strcmp (a, "--") != 0;
      if (!flag)
        {
          argv[out++] = a;
          if (!value_next)
            {
              while (++i < argc)
                argv[out++] = argv[i];
              break;
            }
          value_next = false;
          continue;
        }
      {
        const char *name = a + (a[1] == '-' ? 2 : 1);
        size_t len = (eq = strchr (name, '=')) ? (size_t)(eq - name) : strlen (name);
        for (const struct option *k = options; k->name; k++)
          if (strlen (k->name) == len && strncmp (name, k->name, len) == 0)
            o = k;
      }
      value_next = eq == NULL
                   && ((o && o->has_arg == required_argument)
                       || (a[1] != '-' && strchr ("peugc", a[1]) && a[2] == '\0'));
      if (o && o->has_arg == no_argument && eq)
        {
          if (strcmp (eq + 1, "false") == 0)
            continue;
          if (strcmp (eq + 1, "true") == 0)
            *eq = '\0';
        }
      argv[out++] = a;
    }
  argv[out] = NULL;
  return out;
}

int
husk_cmd_exec (struct husk_global *g, int argc, char **argv)
{
  struct exec_flags f = { .o = { .root = g->root } };
  husk_error_t err = NULL;
  int status = 0, r;
  bool done;
  int first;
  argc = normalize_bools (argc, argv);
  first = husk_cli_parse (argc, argv, usage, options, on_opt, &f, &done);
  if (first < 0 || done)
    r = first < 0;
  else if (husk_cli_operands (argc, argv, first, 1, -1, usage) < 0)
    r = 1;
  else if (f.o.process_path == NULL && first + 1 >= argc)
    r = husk_cli_error ("exec", "missing the command to run (or --process)\n%s", usage) < 0;
  else
    {
      f.o.id = argv[first];
      f.o.args = argv + first + 1;
      /* As runc: 255 when the exec itself failed, so that it cannot be
       * mistaken for the exit code of the process. */
      if (husk_container_exec (&f.o, &status, &err) < 0)
        {
          err->status = 255;
          r = husk_cli_fail (&err);
        }
      else
        r = status;
    }
  free (f.o.env);
  free (f.o.additional_gids);
  free (f.o.caps);
  free (f.o.cgroups);
  return r;
}
