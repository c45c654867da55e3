#include "linux/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

static char *
format_map (const struct husk_id_map *m, size_t n, size_t *len)
{
  char *buf = NULL;
  FILE *f = open_memstream (&buf, len);
  if (f == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose (f);
  return buf;
}

/* newuidmap/newgidmap take "pid cid hid size..." as arguments. */
static int
run_id_helper (const char *helper, pid_t pid, const struct husk_id_map *m, size_t n, husk_error_t *err)
{
  cleanup_free char **argv = calloc (3 * n + 3, sizeof (char *));
  char pidbuf[16];
  pid_t child;
  int status;
  if (argv == NULL)
    return husk_error (err, ENOMEM, "%s", helper);
  snprintf (pidbuf, sizeof pidbuf, "%d", pid);
  argv[0] = (char *)helper;
  argv[1] = pidbuf;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 3; k++)
      {
        uint32_t v = k == 0 ? m[i].container_id : k == 1 ? m[i].host_id : m[i].size;
        if (asprintf (&argv[2 + 3 * i + k], "%u", v) < 0)
          return husk_error (err, ENOMEM, "%s", helper);
      }
  child = fork ();
  if (child < 0)
    return husk_error (err, errno, "fork %s", helper);
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  for (size_t i = 2; argv[i]; i++)
    free (argv[i]);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return husk_error (err, 0, "%s failed (status %d)", helper, status);
  return 0;
}

static int
write_map (pid_t pid, const char *file, const char *helper, const struct husk_id_map *m, size_t n,
           husk_error_t *err)
{
  char path[64];
  size_t len;
  cleanup_free char *text = format_map (m, n, &len);
  if (text == NULL)
    return husk_error (err, ENOMEM, "%s", file);
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  if (husk_write_existing_at (AT_FDCWD, path, text, len, err) == 0)
    return 0;
  /* An unprivileged caller may only map itself; the setuid helpers from
   * uidmap can do more when /etc/subuid allows it. */
  if ((*err)->errno_ == EPERM && geteuid () != 0)
    {
      husk_error_free (err);
      return run_id_helper (helper, pid, m, n, err);
    }
  return -1;
}

int
husk_userns_write_maps (pid_t pid, const struct husk_config *cfg, husk_error_t *err)
{
  if (geteuid () != 0 && cfg->n_gid_mappings == 1 && cfg->gid_mappings[0].size == 1)
    {
      /* Writing a gid map without CAP_SETGID requires setgroups=deny. */
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
      if (husk_write_existing_at (AT_FDCWD, path, "deny", 4, err) < 0)
        return husk_error_prefix (err, "linux.gidMappings");
    }
  if (write_map (pid, "uid_map", "newuidmap", cfg->uid_mappings, cfg->n_uid_mappings, err) < 0)
    return husk_error_prefix (err, "linux.uidMappings");
  if (write_map (pid, "gid_map", "newgidmap", cfg->gid_mappings, cfg->n_gid_mappings, err) < 0)
    return husk_error_prefix (err, "linux.gidMappings");
  return 0;
}
