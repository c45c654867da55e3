/* AppArmor / SELinux exec labels, written to /proc/thread-self/attr
   through a verified procfs handle (no libapparmor/libselinux).  Asking
   for a label on a host without that LSM is an error, never a silent
   no-op: the user would otherwise believe the container is confined.  */

#include "linux/lsm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/fs.h"

static bool
file_starts_with (const char *path, const char *prefix)
{
  husk_error_t err = NULL;
  cleanup_free char *data = NULL;
  if (husk_read_file (path, &data, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return false;
    }
  return strncmp (data, prefix, strlen (prefix)) == 0;
}

/* /sys/kernel/security/lsm ("lockdown,capability,apparmor") is the
   authority when securityfs is mounted; otherwise each LSM's own
   interface says whether it is active.  */
bool
husk_lsm_enabled (const char *name)
{
  husk_error_t err = NULL;
  cleanup_free char *list = NULL;

  if (husk_read_file ("/sys/kernel/security/lsm", &list, NULL, &err) == 0)
    {
      char *save = NULL, *tok;
      for (tok = strtok_r (list, ",\n", &save); tok; tok = strtok_r (NULL, ",\n", &save))
        if (strcmp (tok, name) == 0)
          return true;
      return false;
    }
  husk_error_free (&err);
  if (strcmp (name, "apparmor") == 0)
    return file_starts_with ("/sys/module/apparmor/parameters/enabled", "Y");
  if (strcmp (name, "selinux") == 0)
    return access ("/sys/fs/selinux/enforce", F_OK) == 0;
  return false;
}

static bool
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

int
husk_lsm_check (const struct husk_config *cfg, const struct husk_process *p, husk_error_t *err)
{
  if (p == NULL && cfg)
    p = cfg->process;
  if (p && is_set (p->apparmor_profile) && !husk_lsm_enabled ("apparmor"))
    return husk_error (err, 0,
                       "process.apparmorProfile `%s` is set, but AppArmor is not enabled on this host",
                       p->apparmor_profile);
  if (p && is_set (p->selinux_label) && !husk_lsm_enabled ("selinux"))
    return husk_error (err, 0, "process.selinuxLabel `%s` is set, but SELinux is not enabled on this host",
                       p->selinux_label);
  if (cfg && is_set (cfg->mount_label) && !husk_lsm_enabled ("selinux"))
    return husk_error (err, 0, "linux.mountLabel `%s` is set, but SELinux is not enabled on this host",
                       cfg->mount_label);
  return 0;
}

static int
apply_apparmor (const char *profile, husk_error_t *err)
{
  cleanup_free char *cmd = NULL;
  husk_error_t first = NULL;

  if (asprintf (&cmd, "exec %s", profile) < 0)
    return husk_error (err, ENOMEM, "apparmor");
  /* With LSM stacking AppArmor has its own directory; older kernels only
     have the shared attr/exec.  */
  if (husk_procfs_write ("thread-self/attr/apparmor/exec", cmd, &first) == 0)
    return 0;
  if (first->errno_ != ENOENT)
    {
      husk_error_move (err, &first);
      return husk_error_prefix (err, "set AppArmor profile `%s`", profile);
    }
  husk_error_free (&first);
  if (husk_procfs_write ("thread-self/attr/exec", cmd, err) < 0)
    return husk_error_prefix (err, "set AppArmor profile `%s`", profile);
  return 0;
}

int
husk_lsm_apply (const struct husk_process *p, husk_error_t *err)
{
  if (p == NULL)
    return 0;
  if (is_set (p->apparmor_profile))
    {
      if (!husk_lsm_enabled ("apparmor"))
        return husk_error (err, 0, "process.apparmorProfile `%s`: AppArmor is not enabled on this host",
                           p->apparmor_profile);
      if (apply_apparmor (p->apparmor_profile, err) < 0)
        return -1;
    }
  if (is_set (p->selinux_label))
    {
      if (!husk_lsm_enabled ("selinux"))
        return husk_error (err, 0, "process.selinuxLabel `%s`: SELinux is not enabled on this host",
                           p->selinux_label);
      if (husk_procfs_write ("thread-self/attr/exec", p->selinux_label, err) < 0)
        return husk_error_prefix (err, "set SELinux label `%s`", p->selinux_label);
    }
  return 0;
}
