/* The container process's identity: groups, uid/gid and the five
   capability sets, applied in the order runc uses (bounding set, then
   uid/gid with PR_SET_KEEPCAPS so permitted survives the uid change, then
   effective/permitted/inheritable, then ambient), and finally
   no_new_privs.  */

#include "linux/caps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/log.h"

#define CAPBIT(c) (UINT64_C (1) << (c))

/* Highest capability the kernel knows (PR_CAPBSET_READ says EINVAL past
   it), so husk never asks for a number the kernel would reject.  */
static int
kernel_last_cap (void)
{
  /* The kernel's answer never changes: probe once per process (a fork
   * inherits it, which is right too). */
  static int last = -1;
  int c = 0;
  if (last >= 0)
    return last;
  while (c < 63 && prctl (PR_CAPBSET_READ, (unsigned long)(c + 1), 0, 0, 0) >= 0)
    c++;
  last = c;
  return c;
}

static uint64_t
known_mask (void)
{
  int last = kernel_last_cap ();
  return last >= 63 ? ~UINT64_C (0) : CAPBIT (last + 1) - 1;
}

/* "CAP_SYS_RESOURCE, CAP_BPF" for the caps in mask.  */
static char *
cap_names (uint64_t mask)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&out, &len);
  bool first = true;
  int c;

  if (f == NULL)
    return NULL;
  for (c = 0; c < 64; c++)
    {
      char *name, *p;
      if (!(mask & CAPBIT (c)))
        continue;
      name = cap_to_name ((cap_value_t)c);
      if (name == NULL)
        continue;
      for (p = name; *p; p++)
        *p = (char)toupper ((unsigned char)*p);
      fprintf (f, "%s%s%s", first ? "" : ", ", strncmp (name, "CAP_", 4) == 0 ? "" : "CAP_", name);
      cap_free (name);
      first = false;
    }
  fclose (f);
  return out;
}

static uint64_t
caps_union (const struct husk_caps *caps)
{
  return caps->bounding | caps->effective | caps->permitted | caps->inheritable | caps->ambient;
}

int
husk_caps_check_for (const struct husk_caps *caps, bool new_userns, husk_error_t *err)
{
  uint64_t want, unknown, missing = 0;
  int c;

  if (caps == NULL || !caps->present)
    return 0;
  want = caps_union (caps);
  unknown = want & ~known_mask ();
  if (unknown)
    {
      cleanup_free char *names = cap_names (unknown);
      husk_warn ("ignoring capabilities the kernel does not know: %s", names ? names : "?");
    }
  /* A new user namespace starts with a full bounding set of its own.  */
  if (new_userns)
    return 0;
  for (c = 0; c < 64; c++)
    if ((want & ~unknown & CAPBIT (c)) && prctl (PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) != 1)
      missing |= CAPBIT (c);
  if (missing)
    {
      cleanup_free char *names = cap_names (missing);
      return husk_error (err, 0, "capabilities not available on this host (not in its bounding set): %s",
                         names ? names : "?");
    }
  if (caps->effective & ~caps->permitted)
    {
      cleanup_free char *names = cap_names (caps->effective & ~caps->permitted & ~unknown);
      if (names && *names)
        return husk_error (err, 0, "effective capabilities not in the permitted set: %s", names);
    }
  return 0;
}

int
husk_caps_check (const struct husk_caps *caps, husk_error_t *err)
{
  return husk_caps_check_for (caps, false, err);
}

static int
drop_bounding (uint64_t keep, husk_error_t *err)
{
  int last = kernel_last_cap (), c;
  for (c = 0; c <= last; c++)
    {
      if (keep & CAPBIT (c))
        continue;
      if (prctl (PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) != 1)
        continue;
      if (prctl (PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0)
        {
          cleanup_free char *name = cap_names (CAPBIT (c));
          return husk_error (err, errno, "drop `%s` from the bounding set", name ? name : "?");
        }
    }
  return 0;
}

static bool
setgroups_denied (void)
{
  husk_error_t err = NULL;
  char buf[16] = "";
  int fd = husk_procfs_open ("self/setgroups", O_RDONLY, &err);
  ssize_t n;
  if (fd < 0)
    {
      husk_error_free (&err);
      return false;
    }
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  return n > 0 && strncmp (buf, "deny", 4) == 0;
}

static int
set_ids (const struct husk_process *p, bool in_userns, husk_error_t *err)
{
  bool skip = p->n_additional_gids == 0 && in_userns && setgroups_denied ();
  if (!skip && setgroups (p->n_additional_gids, p->additional_gids) < 0)
    return husk_error (err, errno, "setgroups");
  if (setresgid (p->gid, p->gid, p->gid) < 0)
    return husk_error (err, errno, "setresgid to %u", (unsigned)p->gid);
  if (setresuid (p->uid, p->uid, p->uid) < 0)
    return husk_error (err, errno, "setresuid to %u", (unsigned)p->uid);
  return 0;
}

struct capsets
{
  uint64_t eff, perm, inh;
};

static int
raw_capget (struct capsets *s)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];
  memset (d, 0, sizeof d);
  if (syscall (SYS_capget, &h, d) < 0)
    return -1;
  s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
  s->perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
  s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
  return 0;
}

static int
raw_capset (const struct capsets *s)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];
  d[0].effective = (uint32_t)s->eff;
  d[1].effective = (uint32_t)(s->eff >> 32);
  d[0].permitted = (uint32_t)s->perm;
  d[1].permitted = (uint32_t)(s->perm >> 32);
  d[0].inheritable = (uint32_t)s->inh;
  d[1].inheritable = (uint32_t)(s->inh >> 32);
  return (int)syscall (SYS_capset, &h, d);
}

/* Ambient caps need to be both permitted and inheritable; runc skips the
   ones that are not (its default spec lists ambient without
   inheritable), so husk warns and skips them too.  */
static int
raise_ambient (uint64_t ambient, uint64_t allowed, husk_error_t *err)
{
  uint64_t skipped = ambient & ~allowed;
  int c;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return husk_error (err, errno, "clear the ambient capabilities");
  for (c = 0; c < 64; c++)
    {
      if (!(ambient & allowed & CAPBIT (c)))
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
        {
          cleanup_free char *name = cap_names (CAPBIT (c));
          return husk_error (err, errno, "raise ambient capability `%s`", name ? name : "?");
        }
    }
  if (skipped)
    {
      cleanup_free char *names = cap_names (skipped);
      husk_debug ("ambient capabilities not also permitted and inheritable, skipped: %s",
                  names ? names : "?");
    }
  return 0;
}

/* The hook runs with every permitted capability effective (CAP_SYS_ADMIN
   included), after the uid change: the last privileged moment.  */
static int
run_hook (husk_identity_hook hook, void *data, husk_error_t *err)
{
  struct capsets cur;
  if (raw_capget (&cur) < 0)
    return husk_error (err, errno, "capget");
  cur.eff = cur.perm;
  if (raw_capset (&cur) < 0)
    return husk_error (err, errno, "capset");
  return hook (data, err);
}

static int
apply_caps (const struct husk_caps *caps, husk_identity_hook hook, void *data, husk_error_t *err)
{
  uint64_t known = known_mask ();
  struct capsets want = { caps->effective & known, caps->permitted & known, caps->inheritable & known };

  if (hook && run_hook (hook, data, err) < 0)
    return -1;
  if (raw_capset (&want) < 0)
    {
      int e = errno;
      cleanup_free char *eff = cap_names (want.eff);
      cleanup_free char *perm = cap_names (want.perm);
      return husk_error (err, e, "capset (effective: %s; permitted: %s)", eff ? eff : "", perm ? perm : "");
    }
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl PR_SET_KEEPCAPS 0");
  return raise_ambient (caps->ambient & known, want.perm & want.inh, err);
}

int
husk_process_set_identity_hook (const struct husk_process *p, bool in_userns, husk_identity_hook hook,
                                void *data, husk_error_t *err)
{
  const struct husk_caps *caps = &p->caps;

  if (p->has_umask)
    umask (p->umask);
  /* Without a capabilities section the process keeps what it has; a hook
     then runs before the uid change, while it is surely privileged.  */
  if (!caps->present && hook && hook (data, err) < 0)
    return -1;
  if (caps->present)
    {
      if (drop_bounding (caps->bounding & known_mask (), err) < 0)
        return -1;
      if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return husk_error (err, errno, "prctl PR_SET_KEEPCAPS 1");
    }
  if (set_ids (p, in_userns, err) < 0)
    return -1;
  if (caps->present && apply_caps (caps, hook, data, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return husk_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

int
husk_process_set_identity (const struct husk_process *p, bool in_userns, husk_error_t *err)
{
  return husk_process_set_identity_hook (p, in_userns, NULL, NULL, err);
}
