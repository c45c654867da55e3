#include "oci/json_util.h"
#include "oci/config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *
type_name (json_type t)
{
  switch (t)
    {
    case json_type_null:
      return "null";
    case json_type_boolean:
      return "a boolean";
    case json_type_double:
      return "a number";
    case json_type_int:
      return "an integer";
    case json_type_object:
      return "an object";
    case json_type_array:
      return "an array";
    case json_type_string:
      return "a string";
    }
  return "a value";
}

const char *
husk_jpath_key (char buf[JPATH_MAX], const char *base, const char *key)
{
  if (base && *base)
    snprintf (buf, JPATH_MAX, "%s.%s", base, key);
  else
    snprintf (buf, JPATH_MAX, "%s", key);
  return buf;
}

const char *
husk_jpath_idx (char buf[JPATH_MAX], const char *base, size_t i)
{
  if (snprintf (buf, JPATH_MAX, "%s[%zu]", base, i) >= JPATH_MAX)
    buf[JPATH_MAX - 1] = '\0';
  return buf;
}

int
husk_json_expect (json_object *o, json_type t, const char *jpath, husk_error_t *err)
{
  json_type have = json_object_get_type (o);
  if (have == t)
    return 0;
  /* An integral double is an integer for our purposes. */
  if (t == json_type_int && have == json_type_double)
    {
      double d = json_object_get_double (o);
      if (d == floor (d))
        return 0;
    }
  return husk_error (err, 0, "%s: expected %s, got %s", jpath, type_name (t), type_name (have));
}

int
husk_jget (json_object *obj, const char *base, const char *key, json_type t, bool required, json_object **out,
           husk_error_t *err)
{
  char p[JPATH_MAX];
  json_object *v = NULL;
  if (obj == NULL || !json_object_object_get_ex (obj, key, &v) || v == NULL)
    {
      if (required)
        return husk_error (err, 0, "%s: missing (required)", husk_jpath_key (p, base, key));
      *out = NULL;
      return 0;
    }
  if (husk_json_expect (v, t, husk_jpath_key (p, base, key), err) < 0)
    return -1;
  *out = v;
  return 1;
}

int
husk_jget_str (json_object *obj, const char *base, const char *key, bool required, char **out,
               husk_error_t *err)
{
  json_object *v;
  int r = husk_jget (obj, base, key, json_type_string, required, &v, err);
  if (r > 0)
    *out = (char *)json_object_get_string (v);
  return r;
}

int
husk_jget_bool (json_object *obj, const char *base, const char *key, bool *out, husk_error_t *err)
{
  json_object *v;
  int r = husk_jget (obj, base, key, json_type_boolean, false, &v, err);
  if (r > 0)
    *out = json_object_get_boolean (v);
  return r;
}

int
husk_jval_i64 (json_object *v, const char *path, int64_t *out, husk_error_t *err)
{
  if (husk_json_expect (v, json_type_int, path, err) < 0)
    return -1;
  errno = 0;
  *out = json_object_get_int64 (v);
  if (errno == ERANGE)
    return husk_error (err, 0, "%s: value out of range", path);
  return 1;
}

int
husk_jval_u64 (json_object *v, const char *path, uint64_t *out, husk_error_t *err)
{
  if (husk_json_expect (v, json_type_int, path, err) < 0)
    return -1;
  if (json_object_get_type (v) == json_type_int && json_object_get_int64 (v) < 0
      && json_object_get_uint64 (v) == 0)
    return husk_error (err, 0, "%s: must not be negative", path);
  *out = json_object_get_uint64 (v);
  return 1;
}

int
husk_jget_i64 (json_object *obj, const char *base, const char *key, bool required, int64_t *out,
               husk_error_t *err)
{
  char p[JPATH_MAX];
  json_object *v;
  int r = husk_jget (obj, base, key, json_type_int, required, &v, err);
  if (r <= 0)
    return r;
  return husk_jval_i64 (v, husk_jpath_key (p, base, key), out, err);
}

int
husk_jget_u64 (json_object *obj, const char *base, const char *key, bool required, uint64_t *out,
               husk_error_t *err)
{
  char p[JPATH_MAX];
  json_object *v;
  int r = husk_jget (obj, base, key, json_type_int, required, &v, err);
  if (r <= 0)
    return r;
  return husk_jval_u64 (v, husk_jpath_key (p, base, key), out, err);
}

int
husk_jget_u32 (json_object *obj, const char *base, const char *key, bool required, uint32_t *out,
               husk_error_t *err)
{
  char p[JPATH_MAX];
  int64_t v;
  int r = husk_jget_i64 (obj, base, key, required, &v, err);
  if (r <= 0)
    return r;
  if (v < 0 || v > UINT32_MAX)
    return husk_error (err, 0, "%s: %lld out of range", husk_jpath_key (p, base, key), (long long)v);
  *out = (uint32_t)v;
  return 1;
}

int
husk_jget_strv (json_object *obj, const char *base, const char *key, bool required, char ***out, size_t *n,
                husk_error_t *err)
{
  char p[JPATH_MAX], q[JPATH_MAX];
  json_object *arr;
  size_t len;
  char **v;
  int r = husk_jget (obj, base, key, json_type_array, required, &arr, err);
  if (r <= 0)
    return r;
  husk_jpath_key (p, base, key);
  len = json_object_array_length (arr);
  v = calloc (len + 1, sizeof *v);
  if (v == NULL)
    return husk_error (err, ENOMEM, "%s", p);
  for (size_t i = 0; i < len; i++)
    {
      json_object *s = json_object_array_get_idx (arr, i);
      if (husk_json_expect (s, json_type_string, husk_jpath_idx (q, p, i), err) < 0)
        {
          free (v);
          return -1;
        }
      v[i] = (char *)json_object_get_string (s);
    }
  *out = v;
  if (n)
    *n = len;
  return 1;
}

void
husk_json_line_col (const char *text, size_t off, int *line, int *col)
{
  int l = 1, c = 1;
  for (size_t i = 0; i < off && text[i]; i++)
    {
      if (text[i] == '\n')
        {
          l++;
          c = 1;
        }
      else
        c++;
    }
  *line = l;
  *col = c;
}
