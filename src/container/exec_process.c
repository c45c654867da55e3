/* The process `exec` runs: the container's process.* with the command
 * line's overrides (as runc's getProcess), or a whole --process file. */
#include "container/exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

static size_t
vlen (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static int
load_process_file (const char *path, struct husk_process **out, json_object **keep, husk_error_t *err)
{
  cleanup_free char *text = NULL;
  json_tokener *tok;
  json_object *obj;
  size_t len;
  if (husk_read_file (path, &text, &len, err) < 0)
    return husk_error_prefix (err, "--process");
  tok = json_tokener_new ();
  if (tok == NULL)
    return husk_error (err, ENOMEM, "--process");
  obj = json_tokener_parse_ex (tok, text, (int)len);
  if (obj == NULL || json_tokener_get_error (tok) != json_tokener_success)
    {
      int line, col;
      husk_json_line_col (text, json_tokener_get_parse_end (tok), &line, &col);
      husk_error (err, 0, "--process `%s`: line %d, column %d: %s", path, line, col,
                  json_tokener_error_desc (json_tokener_get_error (tok)));
      json_tokener_free (tok);
      json_object_put (obj);
      return -1;
    }
  json_tokener_free (tok);
  if (husk_process_parse (obj, "process", out, err) < 0)
    {
      json_object_put (obj);
      return husk_error_prefix (err, "--process `%s`", path);
    }
  *keep = obj;
  return 0;
}

static int
parse_uint (const char *s, const char *what, uint32_t *out, husk_error_t *err)
{
  char *end;
  unsigned long v;
  errno = 0;
  v = strtoul (s, &end, 10);
  if (*s == '\0' || *s == '-' || *end || errno || v > UINT32_MAX)
    return husk_error (err, 0, "%s: `%s` is not a number", what, s);
  *out = (uint32_t)v;
  return 0;
}

static int
apply_user (struct husk_process *p, const char *user, char **gids, husk_error_t *err)
{
  size_t n = vlen (gids);
  uint32_t v;
  if (user)
    {
      char copy[64];
      char *colon;
      if (strlen (user) >= sizeof copy)
        return husk_error (err, 0, "--user: `%s` is not UID[:GID]", user);
      strcpy (copy, user);
      colon = strchr (copy, ':');
      if (colon)
        {
          *colon = '\0';
          if (parse_uint (colon + 1, "--user", &v, err) < 0)
            return -1;
          p->gid = v;
        }
      if (parse_uint (copy, "--user", &v, err) < 0)
        return -1;
      p->uid = v;
    }
  if (n)
    {
      gid_t *g = realloc (p->additional_gids, (p->n_additional_gids + n + 1) * sizeof *g);
      if (g == NULL)
        return husk_error (err, ENOMEM, "--additional-gids");
      p->additional_gids = g;
      for (size_t i = 0; i < n; i++)
        {
          if (parse_uint (gids[i], "--additional-gids", &v, err) < 0)
            return -1;
          g[p->n_additional_gids++] = v;
        }
    }
  return 0;
}

static int
apply_caps (struct husk_process *p, char **caps, husk_error_t *err)
{
  for (size_t i = 0; caps && caps[i]; i++)
    {
      char name[64];
      int cap;
      snprintf (name, sizeof name, "%s%s", strncasecmp (caps[i], "CAP_", 4) ? "CAP_" : "", caps[i]);
      for (char *c = name; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
      cap = husk_cap_from_name (name);
      if (cap < 0)
        return husk_error (err, 0, "--cap: unknown capability `%s`", caps[i]);
      /* No capabilities in the config means the process keeps them all. */
      if (!p->caps.present)
        continue;
      p->caps.bounding |= 1ULL << cap;
      p->caps.effective |= 1ULL << cap;
      p->caps.permitted |= 1ULL << cap;
      /* Ambient needs the capability inheritable too (runc: only when the
       * spec has inheritable capabilities). */
      if (p->caps.inheritable & (1ULL << cap))
        p->caps.ambient |= 1ULL << cap;
    }
  return 0;
}

static int
replace_args (struct husk_process *p, char **args, husk_error_t *err)
{
  size_t n = vlen (args);
  char **v;
  if (n == 0 || args[0][0] == '\0')
    return husk_error (err, 0, "exec: no command given (pass ARGS or --process)");
  v = calloc (n + 1, sizeof *v);
  if (v == NULL)
    return husk_error (err, ENOMEM, "exec");
  memcpy (v, args, n * sizeof *v);
  free (p->args);
  p->args = v;
  return 0;
}

static int
append_env (struct husk_process *p, char **env, husk_error_t *err)
{
  size_t n = vlen (env), have = vlen (p->env);
  char **v;
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (strchr (env[i], '=') == NULL || env[i][0] == '=')
      return husk_error (err, 0, "--env: `%s` is not NAME=VALUE", env[i]);
  v = realloc (p->env, (have + n + 1) * sizeof *v);
  if (v == NULL)
    return husk_error (err, ENOMEM, "--env");
  memcpy (v + have, env, n * sizeof *v);
  v[have + n] = NULL;
  p->env = v;
  return 0;
}

int
husk_exec_build_process (const struct husk_exec_opts *o, struct husk_config *cfg, struct husk_process **out,
                         json_object **keep, husk_error_t *err)
{
  struct husk_process *p;
  *keep = NULL;
  if (o->process_path)
    return load_process_file (o->process_path, out, keep, err);
  p = cfg->process;
  if (p == NULL)
    return husk_error (err, 0,
                       "exec: the container's config has no process to take defaults from; use --process");
  if (replace_args (p, o->args, err) < 0 || append_env (p, o->env, err) < 0
      || apply_user (p, o->user, o->additional_gids, err) < 0 || apply_caps (p, o->caps, err) < 0)
    return -1;
  if (o->cwd)
    {
      if (o->cwd[0] != '/')
        return husk_error (err, 0, "--cwd: `%s` is not an absolute path", o->cwd);
      p->cwd = (char *)o->cwd;
    }
  if (o->apparmor)
    p->apparmor_profile = (char *)o->apparmor;
  if (o->process_label)
    p->selinux_label = (char *)o->process_label;
  if (o->no_new_privs)
    p->no_new_privileges = true;
  /* As runc: the saved process.terminal does not carry over to exec. */
  p->terminal = o->tty;
  cfg->process = NULL;
  *out = p;
  return 0;
}

static bool
same_name (const char *a, const char *b)
{
  size_t la = strcspn (a, "="), lb = strcspn (b, "=");
  return la == lb && strncmp (a, b, la) == 0;
}

char **
husk_exec_env (char **env, const char *home, char **home_out)
{
  size_t n = vlen (env), k = 0;
  bool has_home = false;
  char **v = calloc (n + 2, sizeof *v);
  *home_out = NULL;
  if (v == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    {
      bool later = false;
      for (size_t j = i + 1; j < n && !later; j++)
        later = same_name (env[i], env[j]);
      if (later)
        continue;
      has_home |= strncmp (env[i], "HOME=", 5) == 0;
      v[k++] = env[i];
    }
  if (!has_home && home && asprintf (home_out, "HOME=%s", home) >= 0)
    v[k++] = *home_out;
  v[k] = NULL;
  return v;
}
