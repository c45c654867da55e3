/* Typed access to json-c objects with errors that name the JSON path. */
#ifndef HUSK_OCI_JSON_UTIL_H
#define HUSK_OCI_JSON_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util/error.h"

#define JPATH_MAX 256

/* Child path "<base>.<key>" or "<base>[i]". */
const char *husk_jpath_key (char buf[JPATH_MAX], const char *base, const char *key);
const char *husk_jpath_idx (char buf[JPATH_MAX], const char *base, size_t i);

/* Each getter: missing and !required -> 0 with *out untouched;
 * missing and required -> error "<path>: missing"; wrong type -> error. */
int husk_jget (json_object *obj, const char *base, const char *key, json_type t, bool required,
               json_object **out, husk_error_t *err);
int husk_jget_str (json_object *obj, const char *base, const char *key, bool required, char **out,
                   husk_error_t *err);
int husk_jget_bool (json_object *obj, const char *base, const char *key, bool *out, husk_error_t *err);
int husk_jget_i64 (json_object *obj, const char *base, const char *key, bool required, int64_t *out,
                   husk_error_t *err);
int husk_jget_u64 (json_object *obj, const char *base, const char *key, bool required, uint64_t *out,
                   husk_error_t *err);
int husk_jget_u32 (json_object *obj, const char *base, const char *key, bool required, uint32_t *out,
                   husk_error_t *err);
/* Array of strings -> NULL-terminated vector of borrowed pointers (the
 * vector is malloc'd; the strings belong to the json object). */
int husk_jget_strv (json_object *obj, const char *base, const char *key, bool required, char ***out,
                    size_t *n, husk_error_t *err);
int husk_jval_i64 (json_object *v, const char *path, int64_t *out, husk_error_t *err);
int husk_jval_u64 (json_object *v, const char *path, uint64_t *out, husk_error_t *err);

#endif
