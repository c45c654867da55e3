/* `start`: release the init blocked on the exec fifo. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container/internal.h"
#include "container/sync.h"
#include "linux/hooks.h"
#include "oci/config.h"
#include "util/fs.h"
#include "util/log.h"

static char *
state_string (struct husk_container *c)
{
  json_object *o = husk_container_state_json (c);
  char *s
      = strdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return s;
}

/* Hooks come from the config saved at create time, not the bundle, which
 * may have changed since. */
int
husk_container_run_hooks (struct husk_container *c, enum husk_hook_kind kind, husk_error_t *err)
{
  cleanup_free char *state = NULL;
  struct husk_config *cfg = NULL;
  int r;
  json_object *kinds;
  if (json_object_object_get_ex (c->state, "hookKinds", &kinds)
      && !(json_object_get_int (kinds) & (1 << kind)))
    return 0;
  if (husk_container_config (c, &cfg, err) < 0)
    return -1;
  if (cfg->hooks[kind].n == 0)
    {
      husk_config_free (cfg);
      return 0;
    }
  state = state_string (c);
  r = husk_hooks_run (cfg, kind, state, err);
  husk_config_free (cfg);
  return r;
}

/* Wait for the init to exec (EOF on start.fifo, whose only writer is the
 * init's close-on-exec fd) or to report why it could not. */
static int
wait_started (struct husk_container *c, int start_fd, husk_error_t *err)
{
  char buf[4096];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf - 1 && (r = read (start_fd, buf + n, sizeof buf - 1 - n)) != 0)
    {
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return husk_error (err, errno, "start container `%s`: read start fifo", c->id);
      n += (size_t)r;
    }
  if (n == 0)
    return 0;
  buf[n] = '\0';
  return husk_error (err, 0, "start container `%s`: %s", c->id, buf);
}

/* poststart failures are logged, not fatal (runtime-spec). */
static void
poststart (struct husk_container *c)
{
  husk_error_t herr = NULL;
  if (husk_container_run_hooks (c, HUSK_HOOK_POSTSTART, &herr) < 0)
    {
      husk_warn ("%s", herr->msg);
      husk_error_free (&herr);
    }
}

int
husk_container_release (struct husk_container *c, int fifo_fd, husk_error_t *err)
{
  cleanup_free char *fifo = NULL, *start_fifo = NULL;
  cleanup_close int start_fd = -1;
  int r;
  if (asprintf (&fifo, "%s/exec.fifo", c->dir) < 0 || asprintf (&start_fifo, "%s/start.fifo", c->dir) < 0)
    return husk_error (err, ENOMEM, "start");
  /* Open before the release so the init's message cannot be lost; the
   * init holds the fifo open, so this does not block. */
  start_fd = open (start_fifo, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (start_fd < 0)
    return husk_error (err, errno, "start container `%s`: open start fifo", c->id);
  {
    int fl = fcntl (start_fd, F_GETFL);
    fcntl (start_fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  if (husk_write_all (fifo_fd, "0", 1) < 0)
    return husk_error (err, errno, "start container `%s`: write exec fifo", c->id);
  /* No fifo means "running" to every later command. */
  unlink (fifo);
  r = wait_started (c, start_fd, err);
  unlink (start_fifo);
  if (r < 0)
    return -1;
  poststart (c);
  return 0;
}

int
husk_container_send_start (int sync_fd, husk_error_t *err)
{
  return husk_sync_send (sync_fd, HUSK_SYNC_START, 0, NULL, err);
}

int
husk_container_wait_started (const char *root, const char *id, int sync_fd, bool poststart_hooks,
                             husk_error_t *err)
{
  struct husk_container *c = NULL;
  if (husk_sync_wait_exec (sync_fd, err) < 0)
    return husk_error_prefix (err, "start container `%s`", id);
  if (!poststart_hooks)
    return 0;
  if (husk_container_load (root, id, &c, err) < 0)
    return -1;
  poststart (c);
  husk_container_free (c);
  return 0;
}

int
husk_container_start (const char *root, const char *id, husk_error_t *err)
{
  struct husk_container *c = NULL;
  cleanup_free char *fifo = NULL;
  cleanup_close int fd = -1;
  enum husk_status s;
  int r = -1;
  if (husk_container_load (root, id, &c, err) < 0)
    return -1;
  s = husk_container_status (c);
  if (s != HUSK_STATUS_CREATED)
    {
      husk_error (err, 0, "cannot start container `%s`: it is %s, not created", id, husk_status_name (s));
      goto out;
    }
  if (asprintf (&fifo, "%s/exec.fifo", c->dir) < 0)
    {
      husk_error (err, ENOMEM, "start");
      goto out;
    }
  /* O_NONBLOCK: if the init died there is no reader and we get ENXIO
   * instead of hanging. */
  fd = open (fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      husk_error (err, errno, "cannot start container `%s`: open exec fifo", id);
      goto out;
    }
  if (husk_container_release (c, fd, err) < 0)
    goto out;
  r = 0;
out:
  husk_container_free (c);
  return r;
}
