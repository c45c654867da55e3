/* `start`: release the init blocked on the exec fifo. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container/internal.h"
#include "linux/hooks.h"
#include "oci/config.h"
#include "util/fs.h"
#include "util/log.h"

static char *
state_string (struct husk_container *c)
{
  json_object *o = husk_container_state_json (c);
  char *s = strdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return s;
}

/* Hooks come from the config saved at create time, not the bundle, which
 * may have changed since. */
int
husk_container_run_hooks (struct husk_container *c, enum husk_hook_kind kind, husk_error_t *err)
{
  cleanup_free char *path = NULL, *state = NULL;
  struct husk_config *cfg = NULL;
  int r;
  if (asprintf (&path, "%s/config.json", c->dir) < 0)
    return husk_error (err, ENOMEM, "hooks");
  if (husk_config_load (path, false, &cfg, err) < 0)
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

int
husk_container_release (struct husk_container *c, int fifo_fd, husk_error_t *err)
{
  cleanup_free char *fifo = NULL;
  if (asprintf (&fifo, "%s/exec.fifo", c->dir) < 0)
    return husk_error (err, ENOMEM, "start");
  if (husk_write_all (fifo_fd, "0", 1) < 0)
    return husk_error (err, errno, "start container `%s`: write exec fifo", c->id);
  /* No fifo means "running" to every later command. */
  unlink (fifo);
  /* poststart failures are logged, not fatal (runtime-spec). */
  {
    husk_error_t herr = NULL;
    if (husk_container_run_hooks (c, HUSK_HOOK_POSTSTART, &herr) < 0)
      {
        husk_warn ("%s", herr->msg);
        husk_error_free (&herr);
      }
  }
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
