/* `husk ps [--format table|json] ID [-- PS_ARGS]`: the processes of the
 * container's cgroup. json is what containerd reads: an array of pids. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "linux/cgroups/container_cg.h"

static const char usage[] = "Usage: husk ps [--format table|json] CONTAINER_ID [-- PS_ARGS...]\n\n"
                            "List the processes running inside the container. table (default) runs\n"
                            "ps(1) with PS_ARGS (default -ef) and keeps the container's lines.\n";

static int
ps_opt (int opt, const char *arg, void *data)
{
  *(const char **)data = arg;
  return 0;
}

static int
print_json (const pid_t *pids, size_t n)
{
  putchar ('[');
  for (size_t i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int)pids[i]);
  puts ("]");
  return 0;
}

/* The column titled PID in ps's header line. */
static int
pid_column (const char *header)
{
  int col = 0;
  cleanup_free char *h = strdup (header);
  for (char *save = NULL, *t = h ? strtok_r (h, " \t", &save) : NULL; t;
       t = strtok_r (NULL, " \t", &save), col++)
    if (strcmp (t, "PID") == 0)
      return col;
  return -1;
}

static bool
line_matches (const char *line, int col, const pid_t *pids, size_t n)
{
  cleanup_free char *l = strdup (line);
  char *save = NULL, *t = l ? strtok_r (l, " \t", &save) : NULL;
  for (int i = 0; t && i < col; i++)
    t = strtok_r (NULL, " \t", &save);
  if (t == NULL)
    return false;
  long p = strtol (t, NULL, 10);
  for (size_t i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

static int
print_table (char **ps_args, int n_args, const pid_t *pids, size_t n)
{
  cleanup_free char **argv = calloc (n_args + 3, sizeof (char *));
  int fds[2];
  if (argv == NULL || pipe (fds) < 0)
    return husk_cli_error ("ps", "pipe: %s", strerror (errno)), 1;
  argv[0] = "ps";
  for (int i = 0; i < n_args; i++)
    argv[i + 1] = ps_args[i];
  if (n_args == 0)
    argv[1] = "-ef";
  fflush (stdout);
  pid_t child = fork ();
  if (child == 0)
    {
      dup2 (fds[1], 1);
      dup2 (fds[1], 2);
      close (fds[0]);
      close (fds[1]);
      execvp ("ps", argv);
      _exit (127);
    }
  close (fds[1]);
  FILE *f = fdopen (fds[0], "r");
  char *line = NULL;
  size_t cap = 0;
  int col = -1, first = 1, rc = 0;
  while (f && getline (&line, &cap, f) > 0)
    {
      if (first)
        {
          first = 0;
          if ((col = pid_column (line)) < 0)
            {
              fputs (line, stderr);
              husk_cli_error ("ps", "couldn't find PID field in ps output");
              rc = 1;
              break;
            }
          fputs (line, stdout);
          continue;
        }
      if (line_matches (line, col, pids, n))
        fputs (line, stdout);
    }
  free (line);
  if (f)
    fclose (f);
  int st = 0;
  waitpid (child, &st, 0);
  if (rc == 0 && (!WIFEXITED (st) || WEXITSTATUS (st) != 0))
    return husk_cli_error ("ps", "ps exited with status %d", WIFEXITED (st) ? WEXITSTATUS (st) : 128), 1;
  return rc;
}

int
husk_cmd_ps (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
  const char *format = "table";
  husk_error_t err = NULL;
  struct husk_container *c = NULL;
  struct husk_cgroup *cg = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, opts, ps_opt, &format, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, -1, usage) < 0)
    return 1;
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return husk_cli_error ("ps", "invalid format option `%s`", format), 1;
  if (husk_container_load (g->root, argv[first], &c, &err) < 0)
    return husk_cli_fail (&err);
  int r = husk_container_cgroup_running (c, &cg, &err);
  husk_container_free (c);
  if (r < 0 || husk_cgroup_pids (cg, &pids, &n, &err) < 0)
    {
      husk_cgroup_free (cg);
      return husk_cli_fail (&err);
    }
  husk_cgroup_free (cg);
  if (strcmp (format, "json") == 0)
    return print_json (pids, n);
  /* Operands after the id go to ps ("ID -- -o pid" too). */
  first++;
  if (first < argc && strcmp (argv[first], "--") == 0)
    first++;
  return print_table (argv + first, argc - first, pids, n);
}
