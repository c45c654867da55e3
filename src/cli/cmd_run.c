/* husk run [-d] [create flags] ID: create + start; in the foreground wait
 * for the container, forward signals to it, exit with its status and
 * delete it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/create_opts.h"
#include "linux/tty_relay.h"
#include "oci/config.h"
#include "util/log.h"

static const char usage[]
    = "Usage: husk run [options] CONTAINER_ID\n\n"
      "Create and start a container. In the foreground, husk forwards signals to it and\n"
      "exits with its exit code (128+N if killed by signal N), then deletes it.\n\n"
      "Options:\n"
      "  --detach, -d            return once the container runs\n"
      "  --bundle, -b DIR        bundle directory (default: current directory)\n"
      "  --pid-file FILE         write the init's pid to FILE\n"
      "  --console-socket PATH   unix socket that receives the pty master\n"
      "  --preserve-fds N        pass N extra fds (from 3) to the container\n"
      "  --no-pivot              chroot instead of pivot_root\n"
      "  --no-new-keyring        keep the caller's session keyring\n"
      "  --keep                  do not delete the container after it exits\n";

static int
wait_forwarding (pid_t pid, const sigset_t *set)
{
  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (set, &si), status;
      pid_t r;
      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        {
          kill (pid, sig);
          continue;
        }
      while ((r = waitpid (-1, &status, WNOHANG)) > 0)
        if (r == pid)
          return WIFSIGNALED (status) ? 128 + WTERMSIG (status) : WEXITSTATUS (status);
    }
}

static int
finish (struct husk_global *g, struct create_flags *f, pid_t pid, const sigset_t *set, int master)
{
  husk_error_t err = NULL;
  int status = master >= 0 ? husk_foreground_wait (master, pid, &err) : wait_forwarding (pid, set);
  if (status < 0)
    {
      husk_warn ("%s", err->msg);
      husk_error_free (&err);
      status = 1;
    }
  if (!f->keep && husk_container_delete (g->root, f->o.id, true, &err) < 0)
    {
      husk_warn ("delete after run: %s", err->msg);
      husk_error_free (&err);
    }
  return status;
}

/* Foreground with process.terminal and no --console-socket: husk relays
 * the terminal itself, receiving the pty master on a private socket. */
static bool
want_relay (struct create_flags *f)
{
  return !f->detach && f->o.console_socket == NULL && f->o.cfg->process->terminal;
}

static int
relay_master (int listen_fd, int *master, husk_error_t *err)
{
  if (husk_console_accept_master (listen_fd, master, err) < 0)
    return -1;
  /* Before the start, so the process never sees another size. */
  husk_tty_copy_size (*master);
  return 0;
}

int
husk_cmd_run (struct husk_global *g, int argc, char **argv)
{
  struct create_flags f = { .o = { .root = g->root } };
  husk_error_t err = NULL;
  sigset_t all, old;
  pid_t pid;
  int release_fd = -1, r, listen_fd = -1, master = -1;
  cleanup_free char *console = NULL, *text = NULL;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, husk_create_options, husk_create_opt, &f, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  f.o.id = argv[first];
  if (husk_id_validate (f.o.id, &err) < 0 || husk_cli_create_prepare (g, &f, &text, &err) < 0)
    return husk_cli_fail (&err);
  /* Block signals before the container exists so none is lost between
   * its start and our wait; the init unblocks them for itself. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  if (want_relay (&f))
    {
      if (husk_console_listen (&console, &listen_fd, &err) < 0)
        {
          husk_config_free (f.o.cfg);
          return husk_cli_fail (&err);
        }
      f.o.console_socket = console;
    }
  f.o.start_now = true;
  /* With our own relay, the pty gets its size before the start. */
  f.o.start_early = listen_fd < 0;
  r = husk_container_create (&f.o, &pid, &release_fd, &err);
  if (r == 0 && listen_fd >= 0
      && (relay_master (listen_fd, &master, &err) < 0 || husk_container_send_start (release_fd, &err) < 0))
    {
      husk_error_t e2 = NULL;
      husk_container_delete (g->root, f.o.id, true, &e2);
      husk_error_free (&e2);
      r = -1;
    }
  if (listen_fd >= 0)
    {
      close (listen_fd);
      husk_console_unlink (console);
    }
  if (r < 0)
    {
      husk_config_free (f.o.cfg);
      return husk_cli_fail (&err);
    }
  r = husk_container_wait_started (g->root, f.o.id, release_fd, f.o.cfg->hooks[HUSK_HOOK_POSTSTART].n > 0,
                                   &err);
  close (release_fd);
  husk_config_free (f.o.cfg);
  if (r < 0)
    {
      husk_error_t e2 = NULL;
      husk_container_delete (g->root, f.o.id, true, &e2);
      husk_error_free (&e2);
      return husk_cli_fail (&err);
    }
  if (f.detach)
    return 0;
  return finish (g, &f, pid, &all, master);
}
