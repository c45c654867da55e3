/* config.json -> struct husk_config. Strings are borrowed from the json-c
 * tree kept in cfg->root; only vectors and arrays of structs are owned. */
#include "oci/config.h"
#include "oci/config_internal.h"
#include "oci/json_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"

static int
parse_caps (json_object *proc, struct husk_caps *caps, husk_error_t *err)
{
  static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  uint64_t *dst[]
      = { &caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted, &caps->ambient };
  json_object *c;
  int r = husk_jget (proc, "process", "capabilities", json_type_object, false, &c, err);
  if (r <= 0)
    return r;
  caps->present = true;
  for (size_t s = 0; s < 5; s++)
    {
      char base[JPATH_MAX], p[JPATH_MAX];
      cleanup_free char **names = NULL;
      size_t n = 0;
      husk_jpath_key (base, "process.capabilities", sets[s]);
      TRY (husk_jget_strv (c, "process.capabilities", sets[s], false, &names, &n, err));
      for (size_t i = 0; i < n; i++)
        {
          int cap = husk_cap_from_name (names[i]);
          if (cap < 0)
            return husk_error (err, 0, "%s: unknown capability `%s`", husk_jpath_idx (p, base, i), names[i]);
          *dst[s] |= 1ULL << cap;
        }
    }
  return 0;
}

static int
parse_rlimits (json_object *proc, const char *base, struct husk_process *p, husk_error_t *err)
{
  json_object *arr;
  int r = husk_jget (proc, base, "rlimits", json_type_array, false, &arr, err);
  char ap[JPATH_MAX];
  if (r <= 0)
    return r;
  husk_jpath_key (ap, base, "rlimits");
  p->n_rlimits = json_object_array_length (arr);
  p->rlimits = calloc (p->n_rlimits + 1, sizeof *p->rlimits);
  if (p->rlimits == NULL)
    return husk_error (err, ENOMEM, "%s", ap);
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      char ip[JPATH_MAX];
      json_object *o = json_object_array_get_idx (arr, i);
      struct husk_rlimit *rl = &p->rlimits[i];
      husk_jpath_idx (ip, ap, i);
      TRY (husk_json_expect (o, json_type_object, ip, err));
      TRY (husk_jget_str (o, ip, "type", true, &rl->name, err));
      rl->resource = husk_rlimit_from_name (rl->name);
      if (rl->resource < 0)
        return husk_error (err, 0, "%s.type: unknown rlimit `%s`", ip, rl->name);
      TRY (husk_jget_u64 (o, ip, "soft", true, &rl->soft, err));
      TRY (husk_jget_u64 (o, ip, "hard", true, &rl->hard, err));
      for (size_t j = 0; j < i; j++)
        if (p->rlimits[j].resource == rl->resource)
          return husk_error (err, 0, "%s.type: duplicate rlimit `%s`", ip, rl->name);
    }
  return 0;
}

static int
parse_user (json_object *proc, const char *base, struct husk_process *p, husk_error_t *err)
{
  char up[JPATH_MAX], gp[JPATH_MAX];
  json_object *u, *gids;
  uint32_t v;
  int r = husk_jget (proc, base, "user", json_type_object, false, &u, err);
  if (r <= 0)
    return r;
  husk_jpath_key (up, base, "user");
  TRY (husk_jget_u32 (u, up, "uid", true, &v, err));
  p->uid = v;
  TRY (husk_jget_u32 (u, up, "gid", true, &v, err));
  p->gid = v;
  if (husk_jget_u32 (u, up, "umask", false, &v, err) > 0)
    {
      p->has_umask = true;
      p->umask = v & 0777;
    }
  if (*err)
    return -1;
  r = husk_jget (u, up, "additionalGids", json_type_array, false, &gids, err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      husk_jpath_key (gp, up, "additionalGids");
      p->n_additional_gids = json_object_array_length (gids);
      p->additional_gids = calloc (p->n_additional_gids + 1, sizeof (gid_t));
      if (p->additional_gids == NULL)
        return husk_error (err, ENOMEM, "%s", gp);
      for (size_t i = 0; i < p->n_additional_gids; i++)
        {
          char ip[JPATH_MAX];
          int64_t g;
          TRY (husk_jval_i64 (json_object_array_get_idx (gids, i), husk_jpath_idx (ip, gp, i), &g, err));
          if (g < 0 || g > UINT32_MAX)
            return husk_error (err, 0, "%s: %lld out of range", ip, (long long)g);
          p->additional_gids[i] = (gid_t)g;
        }
    }
  return 0;
}

static int
parse_console_size (json_object *proc, const char *base, struct husk_process *p, husk_error_t *err)
{
  char cp[JPATH_MAX];
  json_object *c;
  uint32_t v;
  int r = husk_jget (proc, base, "consoleSize", json_type_object, false, &c, err);
  if (r <= 0)
    return r;
  husk_jpath_key (cp, base, "consoleSize");
  TRY (husk_jget_u32 (c, cp, "height", true, &v, err));
  p->console_height = v;
  TRY (husk_jget_u32 (c, cp, "width", true, &v, err));
  p->console_width = v;
  return 0;
}

static int
parse_process_fields (json_object *obj, const char *base, struct husk_process *p, husk_error_t *err)
{
  char ap[JPATH_MAX];
  int64_t oom;
  int r;
  TRY (husk_json_expect (obj, json_type_object, base, err));
  TRY (husk_jget_bool (obj, base, "terminal", &p->terminal, err));
  TRY (parse_console_size (obj, base, p, err));
  TRY (parse_user (obj, base, p, err));
  TRY (husk_jget_strv (obj, base, "args", true, &p->args, NULL, err));
  if (p->args[0] == NULL || p->args[0][0] == '\0')
    return husk_error (err, 0, "%s: must name the program to run", husk_jpath_key (ap, base, "args"));
  TRY (husk_jget_strv (obj, base, "env", false, &p->env, NULL, err));
  if (p->env == NULL && (p->env = calloc (1, sizeof (char *))) == NULL)
    return husk_error (err, ENOMEM, "%s.env", base);
  TRY (husk_jget_str (obj, base, "cwd", true, &p->cwd, err));
  if (p->cwd[0] != '/')
    return husk_error (err, 0, "%s: `%s` is not an absolute path", husk_jpath_key (ap, base, "cwd"), p->cwd);
  TRY (parse_caps (obj, &p->caps, err));
  TRY (parse_rlimits (obj, base, p, err));
  TRY (husk_jget_bool (obj, base, "noNewPrivileges", &p->no_new_privileges, err));
  TRY (husk_jget_str (obj, base, "apparmorProfile", false, &p->apparmor_profile, err));
  TRY (husk_jget_str (obj, base, "selinuxLabel", false, &p->selinux_label, err));
  r = husk_jget_i64 (obj, base, "oomScoreAdj", false, &oom, err);
  TRY (r);
  if (r > 0)
    {
      if (oom < -1000 || oom > 1000)
        return husk_error (err, 0, "%s: %lld is outside -1000..1000",
                           husk_jpath_key (ap, base, "oomScoreAdj"), (long long)oom);
      p->has_oom_score_adj = true;
      p->oom_score_adj = (int)oom;
    }
  TRY (husk_jget (obj, base, "ioPriority", json_type_object, false, &p->io_priority, err));
  TRY (husk_jget (obj, base, "scheduler", json_type_object, false, &p->scheduler, err));
  return 0;
}

int
husk_process_parse (json_object *obj, const char *jpath, struct husk_process **out, husk_error_t *err)
{
  struct husk_process *p = calloc (1, sizeof *p);
  if (p == NULL)
    return husk_error (err, ENOMEM, "%s", jpath);
  if (parse_process_fields (obj, jpath, p, err) < 0)
    {
      husk_process_free (p);
      return -1;
    }
  *out = p;
  return 0;
}

void
husk_process_free (struct husk_process *p)
{
  if (p == NULL)
    return;
  free (p->args);
  free (p->env);
  free (p->additional_gids);
  free (p->rlimits);
  free (p);
}

static int
parse_mounts (json_object *root, struct husk_config *cfg, husk_error_t *err)
{
  json_object *arr;
  int r = husk_jget (root, "", "mounts", json_type_array, false, &arr, err);
  if (r <= 0)
    return r;
  cfg->n_mounts = json_object_array_length (arr);
  cfg->mounts = calloc (cfg->n_mounts + 1, sizeof *cfg->mounts);
  if (cfg->mounts == NULL)
    return husk_error (err, ENOMEM, "mounts");
  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      char ip[JPATH_MAX];
      json_object *o = json_object_array_get_idx (arr, i);
      struct husk_mount *m = &cfg->mounts[i];
      husk_jpath_idx (ip, "mounts", i);
      TRY (husk_json_expect (o, json_type_object, ip, err));
      TRY (husk_jget_str (o, ip, "destination", true, &m->destination, err));
      if (m->destination[0] != '/')
        return husk_error (err, 0, "%s.destination: `%s` is not an absolute path", ip, m->destination);
      TRY (husk_jget_str (o, ip, "source", false, &m->source, err));
      TRY (husk_jget_str (o, ip, "type", false, &m->type, err));
      TRY (husk_jget_strv (o, ip, "options", false, &m->options, &m->n_options, err));
    }
  return 0;
}

static int
parse_hook_list (json_object *hooks, const char *key, struct husk_hook_list *l, husk_error_t *err)
{
  char ap[JPATH_MAX];
  json_object *arr;
  int r = husk_jget (hooks, "hooks", key, json_type_array, false, &arr, err);
  if (r <= 0)
    return r;
  husk_jpath_key (ap, "hooks", key);
  l->n = json_object_array_length (arr);
  l->hooks = calloc (l->n + 1, sizeof *l->hooks);
  if (l->hooks == NULL)
    return husk_error (err, ENOMEM, "%s", ap);
  for (size_t i = 0; i < l->n; i++)
    {
      char ip[JPATH_MAX];
      json_object *o = json_object_array_get_idx (arr, i);
      struct husk_hook *h = &l->hooks[i];
      int64_t t = 0;
      husk_jpath_idx (ip, ap, i);
      TRY (husk_json_expect (o, json_type_object, ip, err));
      TRY (husk_jget_str (o, ip, "path", true, &h->path, err));
      if (h->path[0] != '/')
        return husk_error (err, 0, "%s.path: `%s` is not an absolute path", ip, h->path);
      TRY (husk_jget_strv (o, ip, "args", false, &h->args, NULL, err));
      TRY (husk_jget_strv (o, ip, "env", false, &h->env, NULL, err));
      TRY (r = husk_jget_i64 (o, ip, "timeout", false, &t, err));
      if (r > 0 && t <= 0)
        return husk_error (err, 0, "%s.timeout: must be greater than zero", ip);
      h->timeout = (int)t;
    }
  return 0;
}

static int
parse_hooks (json_object *root, struct husk_config *cfg, husk_error_t *err)
{
  static const char *const names[HUSK_HOOK_KIND_COUNT]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
  json_object *hooks;
  int r = husk_jget (root, "", "hooks", json_type_object, false, &hooks, err);
  if (r <= 0)
    return r;
  for (int k = 0; k < HUSK_HOOK_KIND_COUNT; k++)
    TRY (parse_hook_list (hooks, names[k], &cfg->hooks[k], err));
  return 0;
}

static int
parse_root (json_object *root, struct husk_config *cfg, husk_error_t *err)
{
  json_object *r;
  TRY (husk_jget (root, "", "root", json_type_object, true, &r, err));
  TRY (husk_jget_str (r, "root", "path", true, &cfg->root_path, err));
  if (cfg->root_path[0] == '\0')
    return husk_error (err, 0, "root.path: must not be empty");
  TRY (husk_jget_bool (r, "root", "readonly", &cfg->root_readonly, err));
  return 0;
}

static int
parse_all (json_object *root, bool need_process, struct husk_config *cfg, husk_error_t *err)
{
  json_object *proc;
  int r;
  TRY (husk_json_expect (root, json_type_object, "config", err));
  TRY (husk_jget_str (root, "", "ociVersion", true, &cfg->oci_version, err));
  if (!husk_oci_version_supported (cfg->oci_version))
    return husk_error (err, 0, "ociVersion: unsupported version `%s` (husk supports 1.0.0 to 1.3.x)",
                       cfg->oci_version);
  TRY (parse_root (root, cfg, err));
  TRY (husk_jget_str (root, "", "hostname", false, &cfg->hostname, err));
  TRY (husk_jget_str (root, "", "domainname", false, &cfg->domainname, err));
  TRY (r = husk_jget (root, "", "process", json_type_object, need_process, &proc, err));
  if (r > 0)
    TRY (husk_process_parse (proc, "process", &cfg->process, err));
  TRY (parse_mounts (root, cfg, err));
  TRY (parse_hooks (root, cfg, err));
  TRY (husk_jget (root, "", "annotations", json_type_object, false, &cfg->annotations, err));
  TRY (husk_config_parse_linux (root, cfg, err));
  if ((cfg->hostname || cfg->domainname) && !cfg->ns[HUSK_NS_UTS].present)
    return husk_error (err, 0, "hostname: setting it needs a new UTS namespace (linux.namespaces)");
  return 0;
}

int
husk_config_parse (const char *text, size_t len, const char *what, bool need_process,
                   struct husk_config **out, husk_error_t *err)
{
  struct json_tokener *tok = json_tokener_new ();
  json_object *root;
  struct husk_config *cfg;
  if (tok == NULL)
    return husk_error (err, ENOMEM, "parse %s", what);
  root = json_tokener_parse_ex (tok, text, (int)len);
  if (root == NULL || json_tokener_get_parse_end (tok) < len)
    {
      enum json_tokener_error jerr = json_tokener_get_error (tok);
      size_t off = json_tokener_get_parse_end (tok);
      int line, col;
      const char *why = jerr == json_tokener_continue  ? "unexpected end of input"
                        : jerr == json_tokener_success ? "trailing data after the JSON value"
                                                       : json_tokener_error_desc (jerr);
      /* json-c stops at the offending character. */
      husk_json_line_col (text, off, &line, &col);
      json_object_put (root);
      json_tokener_free (tok);
      return husk_error (err, 0, "%s: invalid JSON at line %d, column %d: %s", what, line, col, why);
    }
  json_tokener_free (tok);
  cfg = calloc (1, sizeof *cfg);
  if (cfg == NULL)
    {
      json_object_put (root);
      return husk_error (err, ENOMEM, "parse %s", what);
    }
  cfg->root = root;
  if (parse_all (root, need_process, cfg, err) < 0)
    {
      husk_config_free (cfg);
      return husk_error_prefix (err, "%s", what);
    }
  *out = cfg;
  return 0;
}

int
husk_config_load (const char *path, bool need_process, struct husk_config **out, husk_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;
  if (husk_read_file (path, &text, &len, err) < 0)
    return -1;
  return husk_config_parse (text, len, path, need_process, out, err);
}

void
husk_config_free (struct husk_config *cfg)
{
  if (cfg == NULL)
    return;
  husk_process_free (cfg->process);
  for (size_t i = 0; i < cfg->n_mounts; i++)
    free (cfg->mounts[i].options);
  free (cfg->mounts);
  for (int k = 0; k < HUSK_HOOK_KIND_COUNT; k++)
    {
      for (size_t i = 0; i < cfg->hooks[k].n; i++)
        {
          free (cfg->hooks[k].hooks[i].args);
          free (cfg->hooks[k].hooks[i].env);
        }
      free (cfg->hooks[k].hooks);
    }
  free (cfg->uid_mappings);
  free (cfg->gid_mappings);
  free (cfg->devices);
  free (cfg->masked_paths);
  free (cfg->readonly_paths);
  free (cfg->sysctl);
  json_object_put (cfg->root);
  free (cfg);
}
