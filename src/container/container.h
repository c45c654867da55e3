/* A container on disk (src/container/state.c): <root>/<id>/state.json
 * plus the exec fifos for `create`, or for `run` the file <root>/<id>
 * holding the state itself; an flock on <root>/<id> serializes commands
 * on one id. */
#ifndef HUSK_CONTAINER_H
#define HUSK_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "util/error.h"

#define HUSK_DEFAULT_ROOT "/run/husk"

enum husk_status
{
  HUSK_STATUS_CREATING,
  HUSK_STATUS_CREATED,
  HUSK_STATUS_RUNNING,
  HUSK_STATUS_PAUSED,
  HUSK_STATUS_STOPPED
};

struct husk_container
{
  char *root; /* --root */
  char *id;
  char *dir;                    /* <root>/<id> */
  bool flat;                    /* <root>/<id> is the state file itself (`run`) */
  char *state_path;             /* <root>/<id>/state.json or <root>/<id> */
  int lock_fd;                  /* held while the command runs, -1 if not locked */
  json_object *state;           /* the parsed state.json (owns the strings below) */
  pid_t pid;                    /* init pid, 0 if none */
  unsigned long long pid_start; /* start time of pid, to detect reuse */
  const char *bundle;
  const char *rootfs;
  const char *created; /* RFC 3339 */
  json_object *annotations;
  json_object *cgroup; /* serialized struct husk_cgroup, may be NULL */
  bool in_userns;
  bool no_new_keyring; /* created with --no-new-keyring: exec keeps ours too */
};

/* Valid ids: non-empty, no '/', not "." or "..", only [A-Za-z0-9_+.-]. */
int husk_id_validate (const char *id, husk_error_t *err);
/* Load an existing container and lock it (exclusive). "container `x` does
 * not exist" when missing. */
int husk_container_load (const char *root, const char *id, struct husk_container **out, husk_error_t *err);
void husk_container_free (struct husk_container *c);
/* Current status (checks the pid, its start time, the fifo, the freezer). */
enum husk_status husk_container_status (struct husk_container *c);
const char *husk_status_name (enum husk_status s);
/* Write c->state back (update): in place for a flat state file, whose
 * inode carries the lock; atomically by rename otherwise. */
int husk_container_save (struct husk_container *c, husk_error_t *err);
/* The OCI state JSON (as `husk state` prints it). Caller puts it. */
json_object *husk_container_state_json (struct husk_container *c);
/* Whether the init is still alive (not a zombie, same start time). */
bool husk_container_alive (struct husk_container *c);

#endif
