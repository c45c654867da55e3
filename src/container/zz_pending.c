/* TEMPORARY development fallbacks for modules being written on other
 * branches (rootfs, security, cgroups). Deleted as each branch merges. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>

#include "linux/caps.h"
#include "linux/cgroups/cgroup.h"
#include "linux/lsm.h"
#include "linux/procfs.h"
#include "linux/rootfs.h"
#include "linux/sealed.h"
#include "linux/seccomp.h"
#include "util/fs.h"

#define W __attribute__ ((weak))
W int husk_rootfs_prepare (const struct husk_config *c, const struct husk_rootfs_opts *o, husk_error_t *e) { return 0; }
W int husk_rootfs_pivot (const struct husk_config *c, const struct husk_rootfs_opts *o, husk_error_t *e)
{
  char pp[4096];
  snprintf (pp, sizeof pp, "%s/proc", o->rootfs);
  mount ("proc", pp, "proc", 0, NULL);
  if (chroot (o->rootfs) < 0 || chdir ("/") < 0)
    return husk_error (e, errno, "chroot");
  return 0;
}
W int husk_rootfs_finalize (const struct husk_config *c, const struct husk_rootfs_opts *o, husk_error_t *e) { return 0; }
W int husk_caps_check (const struct husk_caps *caps, husk_error_t *e) { return 0; }
W int husk_process_set_identity (const struct husk_process *p, bool u, husk_error_t *e) { return 0; }
W int husk_lsm_check (const struct husk_config *c, const struct husk_process *p, husk_error_t *e) { return 0; }
W int husk_lsm_apply (const struct husk_process *p, husk_error_t *e) { return 0; }
W int husk_seccomp_prepare (json_object *s, struct husk_seccomp **o, husk_error_t *e) { *o = NULL; return 0; }
W int husk_seccomp_load (struct husk_seccomp *s, const char *j, husk_error_t *e) { return 0; }
W void husk_seccomp_free (struct husk_seccomp *s) {}
W int husk_ensure_sealed (int argc, char **argv, char **envp) { return 0; }
W int husk_procfs_write (const char *path, const char *value, husk_error_t *e)
{
  char p[4096];
  snprintf (p, sizeof p, "/proc/%s", path);
  return husk_write_existing_at (AT_FDCWD, p, value, strlen (value), e);
}
W int husk_cgroup_create (const struct husk_config *c, const char *id, struct husk_cgroup **o, husk_error_t *e) { *o = NULL; return 0; }
W int husk_cgroup_enter (struct husk_cgroup *cg, pid_t pid, husk_error_t *e) { return 0; }
W json_object *husk_cgroup_to_json (const struct husk_cgroup *cg) { return NULL; }
W int husk_cgroup_from_json (json_object *o, struct husk_cgroup **out, husk_error_t *e) { *out = NULL; return 0; }
W int husk_cgroup_destroy (struct husk_cgroup *cg, husk_error_t *e) { return 0; }
W int husk_cgroup_kill_all (struct husk_cgroup *cg, int sig, husk_error_t *e) { return 0; }
W int husk_cgroup_is_frozen (struct husk_cgroup *cg, bool *f, husk_error_t *e) { *f = false; return 0; }
W void husk_cgroup_free (struct husk_cgroup *cg) {}
