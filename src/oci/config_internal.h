#ifndef HUSK_OCI_CONFIG_INTERNAL_H
#define HUSK_OCI_CONFIG_INTERNAL_H
#include "oci/config.h"
int husk_config_parse_linux (json_object *root, struct husk_config *cfg, husk_error_t *err);
#endif
