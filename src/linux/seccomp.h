/* linux.seccomp through libseccomp. Compiled before `start` so a bad
 * profile fails `create`; loaded as late as possible, right before exec. */
#ifndef HUSK_LINUX_SECCOMP_H
#define HUSK_LINUX_SECCOMP_H

#include <json-c/json.h>

#include "util/error.h"

struct husk_seccomp;

/* spec: the linux.seccomp object (NULL: *out = NULL, nothing to do). */
int husk_seccomp_prepare (json_object *spec, struct husk_seccomp **out, husk_error_t *err);
/* Load the filter. With SCMP_ACT_NOTIFY the listener fd is sent to
 * listenerPath together with state_json (the container state). */
int husk_seccomp_load (struct husk_seccomp *s, const char *state_json, husk_error_t *err);
void husk_seccomp_free (struct husk_seccomp *s);

#endif
