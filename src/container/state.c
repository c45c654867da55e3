/* Containers on disk. `create`: <root>/<id>/{state.json,exec.fifo,
 * start.fifo}; `run`, which needs no fifos: the file <root>/<id> is the
 * state ("flat"). The state carries the config saved at create time, and
 * <root>/<id> itself (directory or file) is the lock. Every inode is
 * allocated and freed per container, and on ext4 (/run on some hosts, the
 * benchmark's --root) a directory costs ~0.3 ms to make and remove, so
 * `run` keeps one file. */
#include "container/container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/internal.h"
#include "linux/cgroups/cgroup.h"
#include "util/fs.h"

int
husk_id_validate (const char *id, husk_error_t *err)
{
  if (id == NULL || *id == '\0')
    return husk_error (err, 0, "container id must not be empty");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return husk_error (err, 0, "invalid container id `%s`", id);
  if (strlen (id) > 1024)
    return husk_error (err, 0, "invalid container id: longer than 1024 characters");
  for (const char *p = id; *p; p++)
    if (!isalnum ((unsigned char)*p) && !strchr ("_+-.", *p))
      return husk_error (err, 0, "invalid container id `%s`: only letters, digits and _+-. are allowed", id);
  return 0;
}

unsigned long long
husk_pid_start_time (pid_t pid, char *state)
{
  char path[64], buf[1024], *p;
  unsigned long long start = 0;
  int fd;
  ssize_t n;
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* The comm field may hold spaces and parens: parse after the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  if (state)
    *state = p[2];
  /* Field 22 is starttime; after ')' come fields 3.. */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
              &start)
      != 1)
    return 0;
  return start;
}

int
husk_container_lock (const char *dir, bool flat, husk_error_t *err)
{
  /* A flat state file is rewritten in place through this fd (update). */
  int fd = open (dir, (flat ? O_RDWR : O_RDONLY | O_DIRECTORY) | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "open `%s`", dir);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return husk_error (err, e, "lock `%s`", dir);
      }
  return fd;
}

int
husk_container_config (struct husk_container *c, struct husk_config **cfg, husk_error_t *err)
{
  json_object *v;
  cleanup_free char *path = NULL;
  if (json_object_object_get_ex (c->state, "config", &v) && json_object_is_type (v, json_type_string))
    return husk_config_parse (json_object_get_string (v), (size_t)json_object_get_string_len (v),
                              "the saved config", false, cfg, err);
  /* State written by an older husk: config.json beside it. */
  if (asprintf (&path, "%s/config.json", c->dir) < 0)
    return husk_error (err, ENOMEM, "config");
  return husk_config_load (path, false, cfg, err);
}

static int
fill_from_state (struct husk_container *c, husk_error_t *err)
{
  json_object *v;
  if (json_object_object_get_ex (c->state, "pid", &v))
    c->pid = json_object_get_int (v);
  if (json_object_object_get_ex (c->state, "pidStart", &v))
    c->pid_start = json_object_get_uint64 (v);
  if (json_object_object_get_ex (c->state, "bundle", &v))
    c->bundle = json_object_get_string (v);
  if (json_object_object_get_ex (c->state, "rootfs", &v))
    c->rootfs = json_object_get_string (v);
  if (json_object_object_get_ex (c->state, "created", &v))
    c->created = json_object_get_string (v);
  if (json_object_object_get_ex (c->state, "inUserns", &v))
    c->in_userns = json_object_get_boolean (v);
  if (json_object_object_get_ex (c->state, "noNewKeyring", &v))
    c->no_new_keyring = json_object_get_boolean (v);
  json_object_object_get_ex (c->state, "annotations", &c->annotations);
  json_object_object_get_ex (c->state, "cgroup", &c->cgroup);
  if (c->bundle == NULL || c->pid <= 0)
    return husk_error (err, 0, "container `%s`: corrupt state file", c->id);
  return 0;
}

int
husk_container_load (const char *root, const char *id, struct husk_container **out, husk_error_t *err)
{
  struct husk_container *c;
  struct stat st;
  if (husk_id_validate (id, err) < 0)
    return -1;
  c = calloc (1, sizeof *c);
  if (c == NULL)
    return husk_error (err, ENOMEM, "load container");
  c->lock_fd = -1;
  c->root = strdup (root);
  c->id = strdup (id);
  if (c->root == NULL || c->id == NULL || asprintf (&c->dir, "%s/%s", root, id) < 0)
    goto oom;
  /* A directory is complete once state.json is in it; a flat file once
   * it is not empty (`run` writes it while holding the lock). */
  if (stat (c->dir, &st) < 0 || (S_ISREG (st.st_mode) && st.st_size == 0))
    {
      husk_container_free (c);
      return husk_error (err, 0, "container `%s` does not exist", id);
    }
  c->flat = S_ISREG (st.st_mode);
  if (c->flat ? (c->state_path = strdup (c->dir)) == NULL
              : asprintf (&c->state_path, "%s/state.json", c->dir) < 0)
    goto oom;
  if (!c->flat && stat (c->state_path, &st) < 0)
    {
      husk_container_free (c);
      return husk_error (err, 0, "container `%s` does not exist", id);
    }
  c->lock_fd = husk_container_lock (c->dir, c->flat, err);
  if (c->lock_fd < 0 && (*err)->errno_ == ENOENT)
    {
      /* Deleted between the stat and the lock. */
      husk_error_free (err);
      husk_container_free (c);
      return husk_error (err, 0, "container `%s` does not exist", id);
    }
  if (c->lock_fd < 0)
    goto fail;
  c->state = c->flat ? json_object_from_fd (c->lock_fd) : json_object_from_file (c->state_path);
  if (c->state == NULL)
    {
      /* Deleted while we waited for the lock. */
      husk_container_free (c);
      return husk_error (err, 0, "container `%s` does not exist", id);
    }
  if (fill_from_state (c, err) < 0)
    goto fail;
  *out = c;
  return 0;
oom:
  husk_error (err, ENOMEM, "load container");
fail:
  husk_container_free (c);
  return -1;
}

void
husk_container_free (struct husk_container *c)
{
  if (c == NULL)
    return;
  if (c->lock_fd >= 0)
    close (c->lock_fd);
  json_object_put (c->state);
  free (c->root);
  free (c->id);
  free (c->dir);
  free (c->state_path);
  free (c);
}

int
husk_container_save (struct husk_container *c, husk_error_t *err)
{
  const char *text
      = json_object_to_json_string_ext (c->state, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  size_t len = strlen (text);
  if (!c->flat)
    return husk_write_file_atomic (c->state_path, text, len, 0600, err);
  /* In place: the lock lives on this inode, and readers hold it too. */
  if (ftruncate (c->lock_fd, 0) < 0 || pwrite (c->lock_fd, text, len, 0) != (ssize_t)len)
    return husk_error (err, errno, "write `%s`", c->state_path);
  return 0;
}

bool
husk_container_alive (struct husk_container *c)
{
  char st = 0;
  unsigned long long start;
  if (c->pid <= 0)
    return false;
  start = husk_pid_start_time (c->pid, &st);
  if (start == 0 || st == 'Z' || st == 'X')
    return false;
  return c->pid_start == 0 || start == c->pid_start;
}

enum husk_status
husk_container_status (struct husk_container *c)
{
  cleanup_free char *fifo = NULL;
  if (!husk_container_alive (c))
    return HUSK_STATUS_STOPPED;
  if (!c->flat && asprintf (&fifo, "%s/exec.fifo", c->dir) >= 0 && access (fifo, F_OK) == 0)
    return HUSK_STATUS_CREATED;
  if (c->cgroup)
    {
      struct husk_cgroup *cg = NULL;
      husk_error_t err = NULL;
      bool frozen = false;
      if (husk_cgroup_from_json (c->cgroup, &cg, &err) == 0 && husk_cgroup_is_frozen (cg, &frozen, &err) == 0
          && frozen)
        {
          husk_cgroup_free (cg);
          return HUSK_STATUS_PAUSED;
        }
      husk_error_free (&err);
      husk_cgroup_free (cg);
    }
  return HUSK_STATUS_RUNNING;
}

const char *
husk_status_name (enum husk_status s)
{
  static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
  return names[s];
}

json_object *
husk_container_state_json (struct husk_container *c)
{
  json_object *o = json_object_new_object ();
  enum husk_status s = husk_container_status (c);
  json_object *v;
  json_object_object_add (o, "ociVersion", json_object_new_string (HUSK_OCI_VERSION));
  json_object_object_add (o, "id", json_object_new_string (c->id));
  json_object_object_add (o, "pid", json_object_new_int (s == HUSK_STATUS_STOPPED ? 0 : c->pid));
  json_object_object_add (o, "status", json_object_new_string (husk_status_name (s)));
  json_object_object_add (o, "bundle", json_object_new_string (c->bundle));
  json_object_object_add (o, "rootfs", json_object_new_string (c->rootfs ? c->rootfs : ""));
  json_object_object_add (o, "created", json_object_new_string (c->created ? c->created : ""));
  if (json_object_object_get_ex (c->state, "owner", &v))
    json_object_object_add (o, "owner", json_object_get (v));
  json_object_object_add (o, "annotations",
                          c->annotations ? json_object_get (c->annotations) : json_object_new_object ());
  return o;
}
