#ifndef HUSK_OCI_SPEC_H
#define HUSK_OCI_SPEC_H

#include <stdbool.h>

#include <json-c/json.h>

/* The default config.json (`husk spec`); --rootless adds a user namespace
 * mapping the caller to root and drops what needs real root. */
json_object *husk_default_spec (bool rootless);
/* The OCI features document (`husk features`). */
json_object *husk_features (void);

#endif
