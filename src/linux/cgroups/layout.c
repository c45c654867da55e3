/* Which cgroup hierarchies the host has mounted, from /proc/self/mountinfo,
 * and the small file helpers every controller file uses. */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/fs.h"

static const char *const known_v1[]
    = { "cpu",   "cpuacct",    "cpuset",  "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids",   "rdma",    "misc",    NULL };

bool
husk_cg_ctrls_has (const char *ctrls, const char *ctrl)
{
  size_t l = strlen (ctrl);
  const char *p = ctrls;
  while (p && *p)
    {
      const char *e = strchrnul (p, ',');
      if ((size_t)(e - p) == l && strncmp (p, ctrl, l) == 0)
        return true;
      p = *e ? e + 1 : e;
    }
  return false;
}

const char *
husk_cg_layout_name (enum husk_cg_layout l)
{
  return l == HUSK_CG_V2 ? "v2" : l == HUSK_CG_HYBRID ? "hybrid" : "v1";
}

/* mountinfo escapes spaces and the like as \ooo. */
static void
unescape (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3])
        {
          *w++ = (char)(((unsigned)(r[1] - '0') << 6) | ((unsigned)(r[2] - '0') << 3)
                        | (unsigned)(r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

/* Keep only controller names and name=X from the super options. */
static char *
v1_ctrls (const char *superopts)
{
  cleanup_free char *copy = strdup (superopts);
  char *out = calloc (1, strlen (superopts) + 1), *save = NULL;
  if (copy == NULL || out == NULL)
    {
      free (out);
      return NULL;
    }
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      bool keep = strncmp (t, "name=", 5) == 0;
      for (size_t i = 0; !keep && known_v1[i]; i++)
        keep = strcmp (t, known_v1[i]) == 0;
      if (!keep)
        continue;
      if (*out)
        strcat (out, ",");
      strcat (out, t);
    }
  return out;
}

static int
add_mount (struct husk_cg_layout_info *l, const char *mnt, const char *root, const char *superopts, bool v2)
{
  struct husk_cg_mount *m = realloc (l->mounts, (l->n + 1) * sizeof (*m));
  if (m == NULL)
    return -1;
  l->mounts = m;
  m = &l->mounts[l->n];
  m->mnt = strdup (mnt);
  m->root = strdup (root);
  m->ctrls = v2 ? strdup ("") : v1_ctrls (superopts);
  m->v2 = v2;
  l->n++;
  if (m->mnt == NULL || m->root == NULL || m->ctrls == NULL)
    return -1;
  /* A v1 mount with no controller we know (e.g. a private name=) is dropped. */
  if (!v2 && m->ctrls[0] == '\0')
    {
      l->n--;
      free (m->mnt), free (m->root), free (m->ctrls);
    }
  return 0;
}

/* The same hierarchy can be mounted twice (bind mounts); keep the first. */
static bool
seen (struct husk_cg_layout_info *l, const char *ctrls, bool v2)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->mounts[i].v2 == v2 && (v2 || strcmp (l->mounts[i].ctrls, ctrls) == 0))
      return true;
  return false;
}

static int
parse_line (struct husk_cg_layout_info *l, char *line, bool *v2_at_root)
{
  char *fields[16], *save = NULL, *sep;
  size_t n = 0;
  sep = strstr (line, " - ");
  if (sep == NULL)
    return 0;
  *sep = '\0';
  for (char *t = strtok_r (line, " ", &save); t && n < 10; t = strtok_r (NULL, " ", &save))
    fields[n++] = t;
  if (n < 5)
    return 0;
  char *fstype = strtok_r (sep + 3, " ", &save);
  char *source = strtok_r (NULL, " ", &save);
  char *superopts = strtok_r (NULL, " \n", &save);
  if (fstype == NULL || source == NULL || superopts == NULL)
    return 0;
  bool v2 = strcmp (fstype, "cgroup2") == 0;
  if (!v2 && strcmp (fstype, "cgroup") != 0)
    return 0;
  unescape (fields[3]);
  unescape (fields[4]);
  /* A mount covered by a later one (/sys/fs/cgroup remounted) is still
   * listed; only the one reachable at its path counts. */
  unsigned maj, min;
  struct stat st;
  if (sscanf (fields[2], "%u:%u", &maj, &min) != 2 || stat (fields[4], &st) < 0
      || st.st_dev != makedev (maj, min))
    return 0;
  if (v2 && strcmp (fields[4], "/sys/fs/cgroup") == 0)
    *v2_at_root = true;
  cleanup_free char *ctrls = v2 ? strdup ("") : v1_ctrls (superopts);
  if (ctrls == NULL)
    return -1;
  if (seen (l, ctrls, v2))
    {
      /* Prefer the canonical /sys/fs/cgroup mount point for v2. */
      if (v2 && *v2_at_root)
        for (size_t i = 0; i < l->n; i++)
          if (l->mounts[i].v2 && strcmp (fields[4], "/sys/fs/cgroup") == 0)
            {
              free (l->mounts[i].mnt);
              l->mounts[i].mnt = strdup (fields[4]);
            }
      return 0;
    }
  return add_mount (l, fields[4], fields[3], superopts, v2);
}

int
husk_cg_layout_detect (struct husk_cg_layout_info *out, husk_error_t *err)
{
  cleanup_free char *line = NULL;
  size_t cap = 0;
  bool v2_at_root = false, any_v1 = false, any_v2 = false;
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  memset (out, 0, sizeof (*out));
  if (f == NULL)
    return husk_error (err, errno, "open `/proc/self/mountinfo`");
  while (getline (&line, &cap, f) > 0)
    if (parse_line (out, line, &v2_at_root) < 0)
      {
        fclose (f);
        husk_cg_layout_free (out);
        return husk_error (err, ENOMEM, "parse `/proc/self/mountinfo`");
      }
  fclose (f);
  for (size_t i = 0; i < out->n; i++)
    {
      any_v1 |= !out->mounts[i].v2;
      any_v2 |= out->mounts[i].v2;
    }
  if (!any_v1 && !any_v2)
    {
      husk_cg_layout_free (out);
      return husk_error (err, 0, "no cgroup filesystem is mounted");
    }
  out->layout = v2_at_root || !any_v1 ? HUSK_CG_V2 : any_v2 ? HUSK_CG_HYBRID : HUSK_CG_V1;
  return 0;
}

void
husk_cg_layout_free (struct husk_cg_layout_info *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->mounts[i].mnt);
      free (l->mounts[i].root);
      free (l->mounts[i].ctrls);
    }
  free (l->mounts);
  l->mounts = NULL;
  l->n = 0;
}

/* ---- file helpers ---- */

/* One write(2) of value to an open cgroup file. */
static int
write_value (int fd, const char *file, const char *value, husk_error_t *err)
{
  /* cgroupfs takes one value per write(2); a short write is an error. */
  ssize_t w = write (fd, value, strlen (value));
  if (w < 0)
    return husk_error (err, errno, "write `%s` = `%s`", file, value);
  return 0;
}

static int
open_for_write (const char *dir, const char *file, const char *value, husk_error_t *err)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return husk_error (err, ENOMEM, "write `%s`", file);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return husk_error (err, errno, "write `%s` = `%s` (in `%s`)", file, value, dir);
  return fd;
}

int
husk_cg_write (const char *dir, const char *file, const char *value, husk_error_t *err)
{
  cleanup_close int fd = open_for_write (dir, file, value, err);
  if (fd < 0)
    return -1;
  return write_value (fd, file, value, err);
}

int
husk_cg_write_fd (const char *dir, const char *file, int *fd, const char *value, husk_error_t *err)
{
  if (*fd < 0 && (*fd = open_for_write (dir, file, value, err)) < 0)
    return -1;
  return write_value (*fd, file, value, err);
}

int
husk_cg_writef (const char *dir, const char *file, husk_error_t *err, const char *fmt, ...)
{
  cleanup_free char *v = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&v, fmt, ap);
  va_end (ap);
  if (r < 0)
    return husk_error (err, ENOMEM, "write `%s`", file);
  return husk_cg_write (dir, file, v, err);
}

int
husk_cg_read (const char *dir, const char *file, char **out, husk_error_t *err)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return husk_error (err, ENOMEM, "read `%s`", file);
  return husk_read_file (path, out, NULL, err);
}

int
husk_cg_read_u64 (const char *dir, const char *file, uint64_t *out, husk_error_t *err)
{
  cleanup_free char *s = NULL;
  if (husk_cg_read (dir, file, &s, err) < 0)
    return -1;
  if (strncmp (s, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  char *end;
  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno || end == s)
    return husk_error (err, 0, "read `%s/%s`: not a number", dir, file);
  return 0;
}

int
husk_cg_read_key (const char *dir, const char *file, const char *key, uint64_t *out, husk_error_t *err)
{
  cleanup_free char *s = NULL;
  size_t kl = strlen (key);
  if (husk_cg_read (dir, file, &s, err) < 0)
    return -1;
  for (char *p = s; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncmp (p, key, kl) == 0 && p[kl] == ' ')
      {
        *out = strtoull (p + kl + 1, NULL, 10);
        return 0;
      }
  *out = 0;
  return 1;
}

bool
husk_cg_exists (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return false;
  return access (path, F_OK) == 0;
}
