/* The cgroup of an exec'd process: the container's own, or with --cgroup
 * an existing sub-cgroup of it (runc's `[<controller>[,...]:]<path>`). */
#include "container/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "linux/cgroups/cgroup.h"
#include "util/fs.h"

struct sub
{
  char *ctrl; /* "" for all hierarchies */
  const char *path;
};

static bool
ctrls_has (const char *list, const char *ctrl)
{
  size_t n = strlen (ctrl);
  for (const char *p = list; p && *p;)
    {
      size_t l = strcspn (p, ",");
      if (l == n && strncmp (p, ctrl, n) == 0)
        return true;
      p += l + (p[l] == ',');
    }
  return false;
}

static int
check_sub_path (const char *arg, const char *path, husk_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  char *save = NULL;
  if (copy == NULL)
    return husk_error (err, ENOMEM, "--cgroup");
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    if (strcmp (c, "..") == 0)
      return husk_error (err, 0, "--cgroup `%s`: the path must stay inside the container's cgroup", arg);
  return 0;
}

/* Which sub-path, if any, applies to a hierarchy with controllers `ctrls`. */
static const char *
sub_for (struct sub *subs, size_t n, const char *ctrls, bool v2)
{
  const char *any = NULL;
  for (size_t i = 0; i < n; i++)
    {
      if (subs[i].ctrl[0] == '\0')
        any = subs[i].path;
      else if (!v2 && ctrls_has (ctrls, subs[i].ctrl))
        return subs[i].path;
    }
  return any;
}

static int
parse_subs (char **args, struct sub *subs, size_t *n, size_t max, husk_error_t *err)
{
  *n = 0;
  for (size_t i = 0; args && args[i]; i++)
    {
      const char *colon = strchr (args[i], ':');
      const char *path = colon ? colon + 1 : args[i];
      cleanup_free char *ctrls = colon ? strndup (args[i], (size_t)(colon - args[i])) : strdup ("");
      char *save = NULL;
      if (ctrls == NULL)
        return husk_error (err, ENOMEM, "--cgroup");
      if (*path == '\0' || check_sub_path (args[i], path, err) < 0)
        return *path ? -1 : husk_error (err, 0, "--cgroup `%s`: empty path", args[i]);
      if (!colon)
        {
          for (size_t j = 0; j < *n; j++)
            if (subs[j].ctrl[0] == '\0')
              return husk_error (err, 0, "--cgroup: more than one path without a controller");
          subs[(*n)++] = (struct sub){ .ctrl = strdup (""), .path = path };
          continue;
        }
      if (ctrls[0] == '\0' || ctrls[0] == ',' || ctrls[strlen (ctrls) - 1] == ',' || strstr (ctrls, ",,"))
        return husk_error (err, 0, "--cgroup `%s`: empty controller name before `:`", args[i]);
      for (char *c = strtok_r (ctrls, ",", &save); c; c = strtok_r (NULL, ",", &save))
        {
          for (size_t j = 0; j < *n; j++)
            if (strcmp (subs[j].ctrl, c) == 0)
              return husk_error (err, 0, "--cgroup: controller `%s` given more than once", c);
          if (*n >= max)
            return husk_error (err, 0, "--cgroup: too many controllers");
          subs[(*n)++] = (struct sub){ .ctrl = strdup (c), .path = path };
        }
    }
  return 0;
}

static int
write_pid (const char *dir, const char *sub, pid_t pid, husk_error_t *err)
{
  cleanup_free char *path = NULL;
  char buf[16];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  if (asprintf (&path, "%s%s%s/cgroup.procs", dir, sub ? "/" : "", sub ? sub : "") < 0)
    return husk_error (err, ENOMEM, "cgroup");
  if (husk_write_existing_at (AT_FDCWD, path, buf, (size_t)n, err) < 0)
    return husk_error_prefix (err, sub ? "--cgroup: join sub-cgroup `%s`" : "join the container's cgroup%s",
                              sub ? sub : "");
  return 0;
}

/* With --cgroup, walk the stored directories ourselves (the cgroup module
 * moves a pid into the container's own cgroup only). */
static int
enter_subs (json_object *cg, struct sub *subs, size_t n, pid_t pid, husk_error_t *err)
{
  json_object *dirs;
  bool used[64] = { false };
  if (!json_object_object_get_ex (cg, "dirs", &dirs) || !json_object_is_type (dirs, json_type_array))
    return husk_error (err, 0, "--cgroup: the container's cgroup state has no directories");
  for (size_t i = 0; i < json_object_array_length (dirs); i++)
    {
      json_object *d = json_object_array_get_idx (dirs, i), *v;
      const char *ctrls = "", *path = NULL, *sub;
      bool v2 = false;
      if (json_object_object_get_ex (d, "controllers", &v))
        ctrls = json_object_get_string (v);
      if (json_object_object_get_ex (d, "path", &v))
        path = json_object_get_string (v);
      if (json_object_object_get_ex (d, "v2", &v))
        v2 = json_object_get_boolean (v);
      if (path == NULL)
        continue;
      sub = sub_for (subs, n, ctrls, v2);
      for (size_t k = 0; k < n; k++)
        used[k] |= subs[k].ctrl[0] == '\0' || (!v2 && ctrls_has (ctrls, subs[k].ctrl));
      if (write_pid (path, sub, pid, err) < 0)
        return -1;
    }
  for (size_t k = 0; k < n; k++)
    if (!used[k])
      return husk_error (err, 0, "--cgroup: the container has no cgroup for controller `%s`", subs[k].ctrl);
  /* No v1 cpuset cgroup of its own: the one it shares. */
  json_object *cs, *join;
  if (json_object_object_get_ex (cg, "cpuset", &cs) && json_object_object_get_ex (cs, "join", &join))
    return write_pid (json_object_get_string (join), NULL, pid, err);
  return 0;
}

int
husk_exec_enter_cgroup (json_object *cgroup_json, char **args, pid_t pid, husk_error_t *err)
{
  struct sub subs[64];
  size_t n = 0;
  int r;
  if (parse_subs (args, subs, &n, 64, err) < 0)
    r = -1;
  else if (cgroup_json == NULL)
    r = n ? husk_error (err, 0, "--cgroup: the container has no cgroup") : 0;
  else if (n)
    r = enter_subs (cgroup_json, subs, n, pid, err);
  else
    {
      struct husk_cgroup *cg = NULL;
      r = husk_cgroup_from_json (cgroup_json, &cg, err);
      if (r == 0 && cg)
        r = husk_cgroup_enter (cg, pid, err);
      husk_cgroup_free (cg);
    }
  for (size_t i = 0; i < n; i++)
    free (subs[i].ctrl);
  return r;
}
