/* The linux.seccomp object -> a libseccomp context, with runc's
   semantics: unknown syscall names are skipped, a rule whose action is the
   default action is dropped, several conditions on the same argument make
   one rule per condition (OR) while conditions on distinct arguments make
   one rule (AND).  Every error names the JSON path of the bad field.  */

#include "linux/seccomp_parse.h"

#include <errno.h>
#include "linux/seccomp.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define J "linux.seccomp"

struct name_val
{
  const char *name;
  uint64_t val;
};

static const struct name_val flag_names[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
  { NULL, 0 },
};

static const struct name_val op_names[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  { NULL, 0 },
};

static int
lookup (const struct name_val *t, const char *name, uint64_t *out)
{
  for (; t->name; t++)
    if (strcmp (t->name, name) == 0)
      {
        *out = t->val;
        return 0;
      }
  return -1;
}

static const char *
type_name (json_object *o)
{
  return json_type_to_name (json_object_get_type (o));
}

static int
get_string (json_object *o, const char *jpath, const char **out, husk_error_t *err)
{
  if (!json_object_is_type (o, json_type_string))
    return husk_error (err, 0, "%s: expected a string, got %s", jpath, type_name (o));
  *out = json_object_get_string (o);
  return 0;
}

static int
get_uint (json_object *o, const char *jpath, uint64_t max, uint64_t *out, husk_error_t *err)
{
  if (!json_object_is_type (o, json_type_int))
    return husk_error (err, 0, "%s: expected an unsigned integer, got %s", jpath, type_name (o));
  /* json-c keeps numbers above INT64_MAX as uint64.  */
  if (json_object_get_int64 (o) < 0)
    return husk_error (err, 0, "%s: expected an unsigned integer, got %lld", jpath,
                       (long long)json_object_get_int64 (o));
  *out = json_object_get_uint64 (o);
  if (*out > max)
    return husk_error (err, 0, "%s: %llu is out of range (max %llu)", jpath, (unsigned long long)*out,
                       (unsigned long long)max);
  return 0;
}

static int
get_array (json_object *o, const char *jpath, husk_error_t *err)
{
  if (!json_object_is_type (o, json_type_array))
    return husk_error (err, 0, "%s: expected an array, got %s", jpath, type_name (o));
  return 0;
}

/* action + optional errnoRet (only for ERRNO and TRACE; EPERM by default
   as in runc).  */
static int
parse_action (json_object *a, const char *apath, json_object *ret, const char *rpath, uint32_t *out,
              husk_error_t *err)
{
  static const struct name_val plain[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG },
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
    { NULL, 0 },
  };
  const char *name;
  uint64_t v, e = EPERM;

  if (a == NULL)
    return husk_error (err, 0, "%s: missing", apath);
  if (get_string (a, apath, &name, err) < 0)
    return -1;
  if (ret && get_uint (ret, rpath, SECCOMP_RET_DATA, &e, err) < 0)
    return -1;
  if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO ((uint32_t)e);
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE ((uint32_t)e);
  else if (lookup (plain, name, &v) == 0)
    {
      if (ret)
        return husk_error (err, 0, "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not `%s`",
                           rpath, name);
      *out = (uint32_t)v;
    }
  else
    return husk_error (err, 0, "%s: unknown action `%s`", apath, name);
  return 0;
}

static int
parse_architectures (json_object *archs, struct husk_seccomp *s, husk_error_t *err)
{
  size_t i, n;
  if (get_array (archs, J ".architectures", err) < 0)
    return -1;
  n = json_object_array_length (archs);
  for (i = 0; i < n; i++)
    {
      char jp[64], lower[64];
      const char *name;
      uint32_t arch;
      size_t k;
      int r;

      snprintf (jp, sizeof jp, J ".architectures[%zu]", i);
      if (get_string (json_object_array_get_idx (archs, i), jp, &name, err) < 0)
        return -1;
      if (strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof lower)
        return husk_error (err, 0, "%s: unknown architecture `%s`", jp, name);
      for (k = 0; name[10 + k]; k++)
        lower[k]
            = (char)(name[10 + k] >= 'A' && name[10 + k] <= 'Z' ? name[10 + k] - 'A' + 'a' : name[10 + k]);
      lower[k] = '\0';
      arch = seccomp_arch_resolve_name (lower);
      if (arch == 0)
        return husk_error (err, 0, "%s: unknown architecture `%s`", jp, name);
      r = seccomp_arch_add (s->ctx, arch);
      if (r < 0 && r != -EEXIST)
        return husk_error (err, -r, "%s: add architecture `%s`", jp, name);
    }
  return 0;
}

static int
parse_flags (json_object *flags, struct husk_seccomp *s, husk_error_t *err)
{
  size_t i, n;
  if (get_array (flags, J ".flags", err) < 0)
    return -1;
  n = json_object_array_length (flags);
  for (i = 0; i < n; i++)
    {
      char jp[64];
      const char *name;
      uint64_t v;
      snprintf (jp, sizeof jp, J ".flags[%zu]", i);
      if (get_string (json_object_array_get_idx (flags, i), jp, &name, err) < 0)
        return -1;
      if (lookup (flag_names, name, &v) < 0)
        return husk_error (err, 0, "%s: unknown flag `%s`", jp, name);
      s->flags |= (unsigned int)v;
    }
  return 0;
}

/* args[] -> conditions.  *same_index: two conditions on one argument.  */
static int
parse_args (json_object *args, const char *jpath, struct scmp_arg_cmp *conds, unsigned *n_conds,
            bool *same_index, husk_error_t *err)
{
  unsigned seen = 0;
  size_t i, n;
  char jp[128];

  snprintf (jp, sizeof jp, "%s.args", jpath);
  if (get_array (args, jp, err) < 0)
    return -1;
  n = json_object_array_length (args);
  if (n > 6 * 8)
    return husk_error (err, E2BIG, "%s: too many conditions", jp);
  *same_index = false;
  for (i = 0; i < n; i++)
    {
      json_object *a = json_object_array_get_idx (args, i), *f;
      uint64_t index, value = 0, value2 = 0, op;
      const char *opname;

      snprintf (jp, sizeof jp, "%s.args[%zu]", jpath, i);
      if (!json_object_is_type (a, json_type_object))
        return husk_error (err, 0, "%s: expected an object, got %s", jp, type_name (a));
      snprintf (jp, sizeof jp, "%s.args[%zu].index", jpath, i);
      if (!json_object_object_get_ex (a, "index", &f))
        return husk_error (err, 0, "%s: missing", jp);
      if (get_uint (f, jp, 5, &index, err) < 0)
        return -1;
      snprintf (jp, sizeof jp, "%s.args[%zu].value", jpath, i);
      if (json_object_object_get_ex (a, "value", &f) && get_uint (f, jp, UINT64_MAX, &value, err) < 0)
        return -1;
      snprintf (jp, sizeof jp, "%s.args[%zu].valueTwo", jpath, i);
      if (json_object_object_get_ex (a, "valueTwo", &f) && get_uint (f, jp, UINT64_MAX, &value2, err) < 0)
        return -1;
      snprintf (jp, sizeof jp, "%s.args[%zu].op", jpath, i);
      if (!json_object_object_get_ex (a, "op", &f))
        return husk_error (err, 0, "%s: missing", jp);
      if (get_string (f, jp, &opname, err) < 0)
        return -1;
      if (lookup (op_names, opname, &op) < 0)
        return husk_error (err, 0, "%s: unknown operator `%s`", jp, opname);
      if (seen & (1u << index))
        *same_index = true;
      seen |= 1u << index;
      /* MASKED_EQ: (arg & value) == valueTwo.  */
      conds[i] = (struct scmp_arg_cmp){
        .arg = (unsigned)index, .op = (enum scmp_compare)op, .datum_a = value, .datum_b = value2
      };
    }
  *n_conds = (unsigned)n;
  return 0;
}

static int
add_rule (struct husk_seccomp *s, const char *jp, const char *name, uint32_t act,
          const struct scmp_arg_cmp *conds, unsigned n, bool one_per_cond, husk_error_t *err)
{
  int nr = seccomp_syscall_resolve_name (name);
  unsigned i;
  int r = 0;

  if (nr == __NR_SCMP_ERROR)
    {
      husk_debug ("%s: unknown syscall `%s`, skipped", jp, name);
      return 0;
    }
  if (!one_per_cond)
    r = seccomp_rule_add_array (s->ctx, act, nr, n, conds);
  else
    for (i = 0; i < n && r == 0; i++)
      r = seccomp_rule_add_array (s->ctx, act, nr, 1, &conds[i]);
  if (r < 0)
    return husk_error (err, -r, "%s: add a rule for `%s`", jp, name);
  return 0;
}

static int
parse_syscall (json_object *sc, size_t idx, struct husk_seccomp *s, uint32_t def_act, husk_error_t *err)
{
  struct scmp_arg_cmp conds[6 * 8];
  json_object *names, *action, *ret = NULL, *args;
  char jp[64], ap[128], rp[128];
  unsigned n_conds = 0;
  bool same_index = false;
  uint32_t act;
  size_t i, n;

  snprintf (jp, sizeof jp, J ".syscalls[%zu]", idx);
  if (!json_object_is_type (sc, json_type_object))
    return husk_error (err, 0, "%s: expected an object, got %s", jp, type_name (sc));
  snprintf (ap, sizeof ap, "%s.action", jp);
  snprintf (rp, sizeof rp, "%s.errnoRet", jp);
  json_object_object_get_ex (sc, "errnoRet", &ret);
  if (!json_object_object_get_ex (sc, "action", &action))
    action = NULL;
  if (parse_action (action, ap, ret, rp, &act, err) < 0)
    return -1;
  if (json_object_object_get_ex (sc, "args", &args) && args
      && parse_args (args, jp, conds, &n_conds, &same_index, err) < 0)
    return -1;
  snprintf (ap, sizeof ap, "%s.names", jp);
  if (!json_object_object_get_ex (sc, "names", &names))
    return husk_error (err, 0, "%s: missing", ap);
  if (get_array (names, ap, err) < 0)
    return -1;
  if (act == SCMP_ACT_NOTIFY)
    s->notify = true;
  /* libseccomp refuses a rule equal to the default action; it would be a
     no-op anyway.  */
  if (act == def_act)
    return 0;
  n = json_object_array_length (names);
  for (i = 0; i < n; i++)
    {
      const char *name;
      snprintf (ap, sizeof ap, "%s.names[%zu]", jp, i);
      if (get_string (json_object_array_get_idx (names, i), ap, &name, err) < 0)
        return -1;
      /* The notify fd is sent with sendmsg after the filter is loaded.  */
      if (act == SCMP_ACT_NOTIFY && strcmp (name, "sendmsg") == 0)
        return husk_error (
            err, 0, "%s: SCMP_ACT_NOTIFY cannot be used for `sendmsg` (husk sends the listener fd with it)",
            ap);
      if (add_rule (s, ap, name, act, conds, n_conds, same_index, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_listener (json_object *spec, struct husk_seccomp *s, husk_error_t *err)
{
  json_object *o;
  const char *v;
  if (json_object_object_get_ex (spec, "listenerPath", &o) && o)
    {
      if (get_string (o, J ".listenerPath", &v, err) < 0)
        return -1;
      if (*v && (s->listener_path = strdup (v)) == NULL)
        return husk_error (err, ENOMEM, J);
    }
  if (json_object_object_get_ex (spec, "listenerMetadata", &o) && o)
    {
      if (get_string (o, J ".listenerMetadata", &v, err) < 0)
        return -1;
      if ((s->listener_metadata = strdup (v)) == NULL)
        return husk_error (err, ENOMEM, J);
    }
  if (s->notify && s->listener_path == NULL)
    return husk_error (err, 0, J ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  return 0;
}

int
husk_seccomp_parse (json_object *spec, struct husk_seccomp *s, husk_error_t *err)
{
  json_object *def, *ret = NULL, *o;
  uint32_t def_act;
  size_t i, n;

  if (!json_object_is_type (spec, json_type_object))
    return husk_error (err, 0, J ": expected an object, got %s", type_name (spec));
  if (!json_object_object_get_ex (spec, "defaultAction", &def))
    def = NULL;
  json_object_object_get_ex (spec, "defaultErrnoRet", &ret);
  if (parse_action (def, J ".defaultAction", ret, J ".defaultErrnoRet", &def_act, err) < 0)
    return -1;
  if (def_act == SCMP_ACT_NOTIFY)
    return husk_error (err, 0, J ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  s->ctx = seccomp_init (def_act);
  if (s->ctx == NULL)
    return husk_error (err, EINVAL, J ".defaultAction: the kernel does not support it");
  if (json_object_object_get_ex (spec, "architectures", &o) && o && parse_architectures (o, s, err) < 0)
    return -1;
  if (json_object_object_get_ex (spec, "flags", &o) && o && parse_flags (o, s, err) < 0)
    return -1;
  if (json_object_object_get_ex (spec, "syscalls", &o) && o)
    {
      if (get_array (o, J ".syscalls", err) < 0)
        return -1;
      n = json_object_array_length (o);
      for (i = 0; i < n; i++)
        if (parse_syscall (json_object_array_get_idx (o, i), i, s, def_act, err) < 0)
          return -1;
    }
  return parse_listener (spec, s, err);
}
