/* The config.json model. The parts every container uses are parsed into
 * typed structs up front; the parts only some bundles use (seccomp,
 * linux.resources, personality...) stay as json-c objects and are parsed
 * by their own module when the container needs them. Errors name the
 * field by JSON path ("process.args[0]: expected a string"); syntax errors
 * give line and column. */
#ifndef HUSK_OCI_CONFIG_H
#define HUSK_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "util/error.h"

enum husk_ns_type
{
  HUSK_NS_PID,
  HUSK_NS_NET,
  HUSK_NS_MOUNT,
  HUSK_NS_IPC,
  HUSK_NS_UTS,
  HUSK_NS_USER,
  HUSK_NS_CGROUP,
  HUSK_NS_TIME,
  HUSK_NS_COUNT
};

struct husk_namespace
{
  bool present; /* listed in linux.namespaces */
  char *path;   /* join this one; NULL: create a new one */
};

struct husk_id_map
{
  uint32_t container_id, host_id, size;
};

struct husk_mount
{
  char *destination;
  char *source;   /* may be NULL */
  char *type;     /* may be NULL (bind is implied by options) */
  char **options; /* NULL-terminated, may be NULL */
  size_t n_options;
};

struct husk_rlimit
{
  int resource; /* RLIMIT_* */
  char *name;   /* "RLIMIT_NOFILE" */
  uint64_t soft, hard;
};

struct husk_device
{
  char *path;
  char type; /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  bool has_mode, has_uid, has_gid;
  mode_t file_mode;
  uid_t uid;
  gid_t gid;
};

struct husk_hook
{
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;  /* NULL-terminated, may be NULL */
  int timeout; /* seconds, 0 = none */
};

enum husk_hook_kind
{
  HUSK_HOOK_PRESTART,
  HUSK_HOOK_CREATE_RUNTIME,
  HUSK_HOOK_CREATE_CONTAINER,
  HUSK_HOOK_START_CONTAINER,
  HUSK_HOOK_POSTSTART,
  HUSK_HOOK_POSTSTOP,
  HUSK_HOOK_KIND_COUNT
};

struct husk_hook_list
{
  struct husk_hook *hooks;
  size_t n;
};

/* Capability sets as bitmasks of CAP_* numbers. */
struct husk_caps
{
  bool present; /* process.capabilities given at all */
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct husk_process
{
  bool terminal;
  unsigned console_height, console_width;
  uid_t uid;
  gid_t gid;
  bool has_umask;
  mode_t umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
  char **args; /* NULL-terminated, at least one */
  char **env;  /* NULL-terminated, may be empty */
  char *cwd;
  struct husk_caps caps;
  struct husk_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  char *selinux_label;
  bool has_oom_score_adj;
  int oom_score_adj;
  json_object *io_priority; /* raw, may be NULL */
  json_object *scheduler;   /* raw, may be NULL */
};

struct husk_sysctl
{
  char *key, *value;
};

struct husk_time_offset
{
  int64_t secs;
  uint32_t nanosecs;
  bool present;
};

struct husk_config
{
  json_object *root; /* owns every string below */
  char *oci_version;
  char *root_path; /* root.path as written */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct husk_process *process; /* NULL when absent */
  struct husk_mount *mounts;
  size_t n_mounts;
  struct husk_hook_list hooks[HUSK_HOOK_KIND_COUNT];
  json_object *annotations; /* may be NULL */

  /* linux */
  struct husk_namespace ns[HUSK_NS_COUNT];
  struct husk_id_map *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct husk_time_offset time_monotonic, time_boottime;
  struct husk_device *devices;
  size_t n_devices;
  char *cgroups_path;       /* may be NULL */
  json_object *resources;   /* linux.resources, raw, may be NULL */
  json_object *seccomp;     /* linux.seccomp, raw, may be NULL */
  json_object *personality; /* raw, may be NULL */
  json_object *intel_rdt;   /* raw, may be NULL */
  char *rootfs_propagation; /* may be NULL */
  char **masked_paths;      /* NULL-terminated, may be NULL */
  char **readonly_paths;    /* NULL-terminated, may be NULL */
  char *mount_label;        /* may be NULL */
  struct husk_sysctl *sysctl;
  size_t n_sysctl;
};

/* Parse config.json text. `what` names the source in errors. Requires
 * `process` only when need_process is true (create/run). */
int husk_config_parse (const char *text, size_t len, const char *what, bool need_process,
                       struct husk_config **out, husk_error_t *err);
int husk_config_load (const char *path, bool need_process, struct husk_config **out, husk_error_t *err);
/* Parse a process object alone (exec --process). */
int husk_process_parse (json_object *obj, const char *jpath, struct husk_process **out, husk_error_t *err);
void husk_config_free (struct husk_config *cfg);
void husk_process_free (struct husk_process *p);

/* Names and flags of namespace types. */
const char *husk_ns_name (enum husk_ns_type t);      /* OCI name: "pid", "network"... */
const char *husk_ns_proc_name (enum husk_ns_type t); /* /proc/PID/ns name: "pid", "net"... */
int husk_ns_clone_flag (enum husk_ns_type t);        /* CLONE_NEWPID... */
int husk_ns_type_from_name (const char *name);       /* -1 if unknown */

/* Capability name <-> number ("CAP_SYS_ADMIN"); -1 if unknown. */
int husk_cap_from_name (const char *name);
const char *husk_cap_name (int cap);
int husk_cap_last (void); /* highest capability number husk knows */

/* RLIMIT_* name -> resource number; -1 if unknown. */
int husk_rlimit_from_name (const char *name);

/* Whether ociVersion is one husk supports (1.0.0 .. 1.3.x). */
bool husk_oci_version_supported (const char *v);

/* Helpers for modules that parse their raw sections, giving path-named
 * errors: "<jpath>: expected <what>". */
int husk_json_expect (json_object *o, json_type t, const char *jpath, husk_error_t *err);
/* Line/column of byte offset `off` in `text` (1-based). */
void husk_json_line_col (const char *text, size_t off, int *line, int *col);

#endif
