/* The "linux" object of config.json. */
#include "oci/config.h"
#include "oci/config_internal.h"
#include "oci/json_util.h"

#include <errno.h>
#include <string.h>

static int
parse_namespaces (json_object *lx, struct husk_config *cfg, husk_error_t *err)
{
  json_object *arr;
  int r = husk_jget (lx, "linux", "namespaces", json_type_array, false, &arr, err);
  if (r <= 0)
    return r;
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    {
      char ip[JPATH_MAX];
      json_object *o = json_object_array_get_idx (arr, i);
      char *type, *path = NULL;
      int t;
      husk_jpath_idx (ip, "linux.namespaces", i);
      TRY (husk_json_expect (o, json_type_object, ip, err));
      TRY (husk_jget_str (o, ip, "type", true, &type, err));
      TRY (husk_jget_str (o, ip, "path", false, &path, err));
      t = husk_ns_type_from_name (type);
      if (t < 0)
        return husk_error (err, 0, "%s.type: unknown namespace type `%s`", ip, type);
      if (cfg->ns[t].present)
        return husk_error (err, 0, "%s.type: namespace `%s` listed twice", ip, type);
      if (path && path[0] != '/')
        return husk_error (err, 0, "%s.path: `%s` is not an absolute path", ip, path);
      cfg->ns[t].present = true;
      cfg->ns[t].path = (path && *path) ? path : NULL;
    }
  return 0;
}

static int
parse_id_maps (json_object *lx, const char *key, struct husk_id_map **out, size_t *n, husk_error_t *err)
{
  char ap[JPATH_MAX];
  json_object *arr;
  int r = husk_jget (lx, "linux", key, json_type_array, false, &arr, err);
  if (r <= 0)
    return r;
  husk_jpath_key (ap, "linux", key);
  *n = json_object_array_length (arr);
  *out = calloc (*n + 1, sizeof **out);
  if (*out == NULL)
    return husk_error (err, ENOMEM, "%s", ap);
  for (size_t i = 0; i < *n; i++)
    {
      char ip[JPATH_MAX];
      json_object *o = json_object_array_get_idx (arr, i);
      husk_jpath_idx (ip, ap, i);
      TRY (husk_json_expect (o, json_type_object, ip, err));
      TRY (husk_jget_u32 (o, ip, "containerID", true, &(*out)[i].container_id, err));
      TRY (husk_jget_u32 (o, ip, "hostID", true, &(*out)[i].host_id, err));
      TRY (husk_jget_u32 (o, ip, "size", true, &(*out)[i].size, err));
    }
  return 0;
}

static int
parse_devices (json_object *lx, struct husk_config *cfg, husk_error_t *err)
{
  json_object *arr;
  int r = husk_jget (lx, "linux", "devices", json_type_array, false, &arr, err);
  if (r <= 0)
    return r;
  cfg->n_devices = json_object_array_length (arr);
  cfg->devices = calloc (cfg->n_devices + 1, sizeof *cfg->devices);
  if (cfg->devices == NULL)
    return husk_error (err, ENOMEM, "linux.devices");
  for (size_t i = 0; i < cfg->n_devices; i++)
    {
      char ip[JPATH_MAX];
      json_object *o = json_object_array_get_idx (arr, i);
      struct husk_device *d = &cfg->devices[i];
      char *type;
      uint32_t v;
      int r2;
      husk_jpath_idx (ip, "linux.devices", i);
      TRY (husk_json_expect (o, json_type_object, ip, err));
      TRY (husk_jget_str (o, ip, "path", true, &d->path, err));
      if (d->path[0] != '/')
        return husk_error (err, 0, "%s.path: `%s` is not an absolute path", ip, d->path);
      TRY (husk_jget_str (o, ip, "type", true, &type, err));
      if (strlen (type) != 1 || !strchr ("cbup", type[0]))
        return husk_error (err, 0, "%s.type: unknown device type `%s` (c, b, u or p)", ip, type);
      d->type = type[0];
      TRY (husk_jget_i64 (o, ip, "major", d->type != 'p', &d->major, err));
      TRY (husk_jget_i64 (o, ip, "minor", d->type != 'p', &d->minor, err));
      TRY (r2 = husk_jget_u32 (o, ip, "fileMode", false, &v, err));
      if (r2 > 0)
        d->has_mode = true, d->file_mode = v;
      TRY (r2 = husk_jget_u32 (o, ip, "uid", false, &v, err));
      if (r2 > 0)
        d->has_uid = true, d->uid = v;
      TRY (r2 = husk_jget_u32 (o, ip, "gid", false, &v, err));
      if (r2 > 0)
        d->has_gid = true, d->gid = v;
    }
  return 0;
}

static int
parse_sysctl (json_object *lx, struct husk_config *cfg, husk_error_t *err)
{
  json_object *o;
  size_t i = 0;
  int r = husk_jget (lx, "linux", "sysctl", json_type_object, false, &o, err);
  if (r <= 0)
    return r;
  cfg->n_sysctl = (size_t)json_object_object_length (o);
  cfg->sysctl = calloc (cfg->n_sysctl + 1, sizeof *cfg->sysctl);
  if (cfg->sysctl == NULL)
    return husk_error (err, ENOMEM, "linux.sysctl");
  json_object_object_foreach (o, key, val)
  {
    char p[JPATH_MAX];
    TRY (husk_json_expect (val, json_type_string, husk_jpath_key (p, "linux.sysctl", key), err));
    if (strstr (key, "..") || key[0] == '/' || key[0] == '.')
      return husk_error (err, 0, "linux.sysctl: invalid key `%s`", key);
    cfg->sysctl[i].key = key;
    cfg->sysctl[i].value = (char *)json_object_get_string (val);
    i++;
  }
  return 0;
}

static int
parse_time_offsets (json_object *lx, struct husk_config *cfg, husk_error_t *err)
{
  static const char *const clocks[] = { "monotonic", "boottime" };
  struct husk_time_offset *dst[] = { &cfg->time_monotonic, &cfg->time_boottime };
  json_object *o;
  int r = husk_jget (lx, "linux", "timeOffsets", json_type_object, false, &o, err);
  if (r <= 0)
    return r;
  for (int i = 0; i < 2; i++)
    {
      char p[JPATH_MAX];
      json_object *c;
      husk_jpath_key (p, "linux.timeOffsets", clocks[i]);
      TRY (r = husk_jget (o, "linux.timeOffsets", clocks[i], json_type_object, false, &c, err));
      if (r == 0)
        continue;
      dst[i]->present = true;
      TRY (husk_jget_i64 (c, p, "secs", false, &dst[i]->secs, err));
      TRY (husk_jget_u32 (c, p, "nanosecs", false, &dst[i]->nanosecs, err));
    }
  return 0;
}

int
husk_config_parse_linux (json_object *root, struct husk_config *cfg, husk_error_t *err)
{
  json_object *lx;
  size_t n;
  int r = husk_jget (root, "", "linux", json_type_object, false, &lx, err);
  if (r <= 0)
    return r;
  TRY (parse_namespaces (lx, cfg, err));
  TRY (parse_id_maps (lx, "uidMappings", &cfg->uid_mappings, &cfg->n_uid_mappings, err));
  TRY (parse_id_maps (lx, "gidMappings", &cfg->gid_mappings, &cfg->n_gid_mappings, err));
  TRY (parse_time_offsets (lx, cfg, err));
  TRY (parse_devices (lx, cfg, err));
  TRY (parse_sysctl (lx, cfg, err));
  TRY (husk_jget_str (lx, "linux", "cgroupsPath", false, &cfg->cgroups_path, err));
  TRY (husk_jget (lx, "linux", "resources", json_type_object, false, &cfg->resources, err));
  TRY (husk_jget (lx, "linux", "seccomp", json_type_object, false, &cfg->seccomp, err));
  TRY (husk_jget (lx, "linux", "personality", json_type_object, false, &cfg->personality, err));
  TRY (husk_jget (lx, "linux", "intelRdt", json_type_object, false, &cfg->intel_rdt, err));
  TRY (husk_jget_str (lx, "linux", "rootfsPropagation", false, &cfg->rootfs_propagation, err));
  TRY (husk_jget_strv (lx, "linux", "maskedPaths", false, &cfg->masked_paths, &n, err));
  TRY (husk_jget_strv (lx, "linux", "readonlyPaths", false, &cfg->readonly_paths, &n, err));
  TRY (husk_jget_str (lx, "linux", "mountLabel", false, &cfg->mount_label, err));
  if (cfg->n_uid_mappings && !cfg->ns[HUSK_NS_USER].present)
    return husk_error (err, 0, "linux.uidMappings: given without a user namespace");
  if (cfg->ns[HUSK_NS_USER].present && !cfg->ns[HUSK_NS_USER].path
      && (cfg->n_uid_mappings == 0 || cfg->n_gid_mappings == 0))
    return husk_error (err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if ((cfg->time_monotonic.present || cfg->time_boottime.present)
      && (!cfg->ns[HUSK_NS_TIME].present || cfg->ns[HUSK_NS_TIME].path))
    return husk_error (err, 0, "linux.timeOffsets: given without a new time namespace");
  return 0;
}
