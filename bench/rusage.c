/* rusage: fork/exec a command (or a short sequence of them), wait with
 * wait4 and print the wall time and the peak RSS (ru_maxrss) the kernel
 * recorded. Timing happens here, in C, so the harness's own overhead
 * (Python, a shell) is not part of any measurement.
 *
 *   rusage [-u] [-n COUNT] [-p PAR] -- CMD ARGS... [';' CMD ARGS...]
 *     -u        first enter a private mount namespace with a tmpfs over
 *               /sys/fs/cgroup/unified (crun 1.8.1 refuses the hybrid layout)
 *     -n COUNT  run the sequence COUNT times one after another
 *     -p PAR    run PAR copies of the sequence at once
 *     ';'       separates commands of the sequence; the command `@wait`
 *               waits for every child that was reparented to us (we are a
 *               child subreaper), i.e. a container started by create/start
 *   "{i}" in an argument is replaced by the copy's index (0, 1, ...).
 *
 * Prints one line: "wall_us=N maxrss_kb=N cpu_us=N fails=N" (cpu: user+system
 * time of all reaped processes, which a loaded machine disturbs less than wall
 * time; Linux's wait4 folds reaped descendants in); exits 1 if any command
 * failed (non-zero status), 2 on usage errors. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct acc
{
  long maxrss_kb;
  long cpu_us; /* user + system time of everything reaped */
  int fails;
};

static void
note (struct acc *a, int status, const struct rusage *ru)
{
  if (ru->ru_maxrss > a->maxrss_kb)
    a->maxrss_kb = ru->ru_maxrss;
  a->cpu_us += ru->ru_utime.tv_sec * 1000000L + ru->ru_utime.tv_usec + ru->ru_stime.tv_sec * 1000000L
               + ru->ru_stime.tv_usec;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    a->fails++;
}

/* Copy argv with every "{i}" replaced by idx. */
static char **
subst (char **argv, int argc, int idx)
{
  char **out = calloc (argc + 1, sizeof *out);
  char num[16];

  if (!out)
    abort ();
  snprintf (num, sizeof num, "%d", idx);
  for (int k = 0; k < argc; k++)
    {
      const char *p = strstr (argv[k], "{i}");
      if (!p)
        {
          out[k] = argv[k];
          continue;
        }
      size_t n = strlen (argv[k]) + strlen (num);
      out[k] = malloc (n);
      if (!out[k])
        abort ();
      snprintf (out[k], n, "%.*s%s%s", (int)(p - argv[k]), argv[k], num, p + 3);
    }
  return out;
}

static void
run_one (char **argv, int argc, int idx, struct acc *a)
{
  char **args = subst (argv, argc, idx);
  struct rusage ru;
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    {
      perror ("rusage: fork");
      a->fails++;
      return;
    }
  if (pid == 0)
    {
      execvp (args[0], args);
      fprintf (stderr, "rusage: exec %s: %s\n", args[0], strerror (errno));
      _exit (127);
    }
  while (wait4 (pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      {
        a->fails++;
        return;
      }
  note (a, status, &ru);
}

/* Reap every remaining child: the orphaned container processes. */
static void
wait_all (struct acc *a)
{
  struct rusage ru;
  int status;

  for (;;)
    {
      pid_t p = wait4 (-1, &status, 0, &ru);
      if (p < 0 && errno == EINTR)
        continue;
      if (p < 0)
        break;
      note (a, status, &ru);
    }
}

static void
run_sequence (char **cmd, int ncmd, int idx, struct acc *a)
{
  int start = 0;

  for (int k = 0; k <= ncmd; k++)
    {
      if (k < ncmd && strcmp (cmd[k], ";") != 0)
        continue;
      if (k > start)
        {
          if (k - start == 1 && strcmp (cmd[start], "@wait") == 0)
            wait_all (a);
          else
            run_one (cmd + start, k - start, idx, a);
        }
      start = k + 1;
    }
}

static int
hide_unified (void)
{
  if (unshare (CLONE_NEWNS) < 0)
    return perror ("rusage: unshare"), -1;
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return perror ("rusage: make / private"), -1;
  if (mount ("tmpfs", "/sys/fs/cgroup/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return perror ("rusage: hide /sys/fs/cgroup/unified"), -1;
  return 0;
}

static long
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

int
main (int argc, char **argv)
{
  int count = 1, par = 1, opt;
  struct acc a = { 0, 0, 0 };
  long t0, t1;

  while ((opt = getopt (argc, argv, "+un:p:")) != -1)
    switch (opt)
      {
      case 'u':
        if (hide_unified () < 0)
          return 2;
        break;
      case 'n':
        count = atoi (optarg);
        break;
      case 'p':
        par = atoi (optarg);
        break;
      default:
        fprintf (stderr, "usage: rusage [-u] [-n COUNT] [-p PAR] -- CMD... [';' CMD...]\n");
        return 2;
      }
  if (optind >= argc || count < 1 || par < 1)
    {
      fprintf (stderr, "usage: rusage [-u] [-n COUNT] [-p PAR] -- CMD... [';' CMD...]\n");
      return 2;
    }
  char **cmd = argv + optind;
  int ncmd = argc - optind;

  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  t0 = now_us ();
  if (par == 1)
    for (int i = 0; i < count; i++)
      run_sequence (cmd, ncmd, i, &a);
  else
    {
      for (int w = 0; w < par; w++)
        {
          pid_t pid = fork ();
          if (pid < 0)
            {
              a.fails++;
              continue;
            }
          if (pid == 0)
            {
              struct acc wa = { 0, 0, 0 };
              prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
              for (int i = 0; i < count; i++)
                run_sequence (cmd, ncmd, w * count + i, &wa);
              _exit (wa.fails ? 1 : 0);
            }
        }
      wait_all (&a);
    }
  t1 = now_us ();
  printf ("wall_us=%ld maxrss_kb=%ld cpu_us=%ld fails=%d\n", t1 - t0, a.maxrss_kb, a.cpu_us, a.fails);
  return a.fails ? 1 : 0;
}
