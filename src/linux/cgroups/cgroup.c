/* The container's cgroup: resolve linux.cgroupsPath in every hierarchy,
 * create the directories, join them, persist them. */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"

const char *
husk_cg_dir_v1 (const struct husk_cgroup *cg, const char *ctrl)
{
  for (size_t i = 0; i < cg->n; i++)
    if (!cg->dirs[i].v2 && husk_cg_ctrls_has (cg->dirs[i].ctrls, ctrl))
      return cg->dirs[i].path;
  return NULL;
}

const char *
husk_cg_dir_v2 (const struct husk_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    if (cg->dirs[i].v2)
      return cg->dirs[i].path;
  return NULL;
}

bool
husk_cg_v2_has (const struct husk_cgroup *cg, const char *ctrl)
{
  const char *d = husk_cg_dir_v2 (cg);
  cleanup_free char *s = NULL;
  husk_error_t err = NULL;
  if (d == NULL || husk_cg_read (d, "cgroup.controllers", &s, &err) < 0)
    {
      husk_error_free (&err);
      return false;
    }
  for (char *save = NULL, *t = strtok_r (s, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    if (strcmp (t, ctrl) == 0)
      return true;
  return false;
}

/* Whether dir is the root of its hierarchy (a mount point): one statx
 * where the kernel reports STATX_ATTR_MOUNT_ROOT, else dir and dir/..
 * compared. */
static bool
is_mount_root (const char *dir)
{
  struct statx sx;
  struct stat a, b;
  cleanup_free char *parent = NULL;
  if (statx (AT_FDCWD, dir, 0, STATX_TYPE, &sx) < 0)
    return false;
  if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
    return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  if (asprintf (&parent, "%s/..", dir) < 0 || stat (dir, &a) < 0 || stat (parent, &b) < 0)
    return false;
  return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/* Whether a freshly resolved directory names its mount point: nothing
 * but "" and "." after the mount prefix (resolve() never leaves ".."). */
static bool
lexically_root (const struct husk_cg_dir *d)
{
  for (const char *c = d->path + d->base; *c;)
    {
      size_t l = strcspn (c, "/");
      if (l > 1 || (l == 1 && c[0] != '.'))
        return false;
      c += l;
      c += *c == '/';
    }
  return true;
}

bool
husk_cg_any_root (const struct husk_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    if (is_mount_root (cg->dirs[i].path))
      return true;
  return false;
}

/* Our own cgroup in the hierarchy of mount m, from the text of
 * /proc/self/cgroup (NULL when it could not be read: "/"). */
static char *
own_cgroup (const struct husk_cg_mount *m, const char *self)
{
  cleanup_free char *s = self ? strdup (self) : NULL;
  if (s == NULL)
    return strdup ("/");
  for (char *save = NULL, *l = strtok_r (s, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (l, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      const char *ctrls = c1 + 1;
      bool match = m->v2 ? ctrls[0] == '\0' && strncmp (l, "0:", 2) == 0 : ctrls[0] != '\0';
      if (match && !m->v2)
        {
          /* Same set of controllers (order as the kernel prints them). */
          cleanup_free char *copy = strdup (m->ctrls);
          for (char *sv = NULL, *t = copy ? strtok_r (copy, ",", &sv) : NULL; t;
               t = strtok_r (NULL, ",", &sv))
            match &= husk_cg_ctrls_has (ctrls, t);
          match &= strlen (ctrls) == strlen (m->ctrls);
        }
      if (match)
        return strdup (c2 + 1);
    }
  return strdup ("/");
}

/* Directory on disk of cgroup `path` in mount m, which may be mounted
 * from a sub-tree (root != "/"). */
static char *
disk_path (const struct husk_cg_mount *m, const char *path)
{
  char *out = NULL;
  size_t rl = strlen (m->root);
  if (strcmp (m->root, "/") != 0 && strncmp (path, m->root, rl) == 0 && (path[rl] == '/' || !path[rl]))
    path += rl;
  while (*path == '/')
    path++;
  if (asprintf (&out, "%s%s%s", m->mnt, *path ? "/" : "", path) < 0)
    return NULL;
  return out;
}

static char *
resolve (const struct husk_cg_mount *m, const char *inner, const char *self)
{
  if (inner[0] == '/')
    return disk_path (m, inner);
  cleanup_free char *own = own_cgroup (m, self);
  cleanup_free char *joined = NULL;
  if (own == NULL || asprintf (&joined, "%s/%s", own, inner) < 0)
    return NULL;
  return disk_path (m, joined);
}

void
husk_cgroup_free (struct husk_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n; i++)
    {
      free (cg->dirs[i].ctrls);
      free (cg->dirs[i].path);
    }
  free (cg->dirs);
  free (cg->inner);
  free (cg->cpuset_path);
  free (cg->cpuset_join);
  free (cg);
}

static int
add_dir (struct husk_cgroup *cg, const char *ctrls, char *path, bool v2, size_t base)
{
  struct husk_cg_dir *d = realloc (cg->dirs, (cg->n + 1) * sizeof (*d));
  if (d == NULL)
    {
      free (path);
      return -1;
    }
  cg->dirs = d;
  d[cg->n].ctrls = strdup (ctrls);
  d[cg->n].path = path;
  d[cg->n].v2 = v2;
  d[cg->n].base = base;
  cg->n++;
  return d[cg->n - 1].ctrls ? 0 : -1;
}

/* Resolve the directories of `inner` in every hierarchy the layout uses;
 * with defer_cpuset a v1 hierarchy of cpuset alone is only noted in
 * cg->cpuset_path. */
static int
cgroup_resolve (const char *inner, bool defer_cpuset, struct husk_cgroup **out, husk_error_t *err)
{
  struct husk_cg_layout_info l;
  cleanup_free char *self = NULL;
  if (husk_cg_layout_detect (&l, err) < 0)
    return -1;
  /* A relative path is under our own cgroup: read /proc/self/cgroup once
   * for every hierarchy. */
  if (inner[0] != '/')
    {
      husk_error_t e = NULL;
      if (husk_read_file ("/proc/self/cgroup", &self, NULL, &e) < 0)
        husk_error_free (&e);
    }
  struct husk_cgroup *cg = calloc (1, sizeof (*cg));
  if (cg == NULL || (cg->inner = strdup (inner)) == NULL)
    {
      husk_cg_layout_free (&l);
      husk_cgroup_free (cg);
      return husk_error (err, ENOMEM, "cgroup");
    }
  cg->layout = l.layout;
  for (size_t i = 0; i < l.n; i++)
    {
      const struct husk_cg_mount *m = &l.mounts[i];
      if (m->v2 != (l.layout == HUSK_CG_V2) && l.layout != HUSK_CG_HYBRID)
        continue;
      char *p = resolve (m, inner, self);
      if (p && defer_cpuset && !m->v2 && strcmp (m->ctrls, "cpuset") == 0 && cg->cpuset_path == NULL)
        {
          cg->cpuset_path = p;
          cg->cpuset_base = strlen (m->mnt);
          continue;
        }
      if (p == NULL || add_dir (cg, m->ctrls, p, m->v2, strlen (m->mnt)) < 0)
        {
          husk_cg_layout_free (&l);
          husk_cgroup_free (cg);
          return husk_error (err, ENOMEM, "cgroup path");
        }
    }
  husk_cg_layout_free (&l);
  *out = cg;
  return 0;
}

/* A new v1 cpuset cgroup starts with empty cpus/mems, which refuses tasks:
 * copy them from the parent as runc does. known[] carries the parent's
 * values down the path (NULL: not read yet) and leaves dir's. A directory
 * we just made gets the parent's values without reading its own (with
 * clone_children the kernel copied the same ones: rewriting is a no-op). */
static int
cpuset_copy_parent (const char *dir, bool created, char *known[2], husk_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *cur = NULL;
      if (!created)
        {
          if (husk_cg_read (dir, files[i], &cur, err) < 0)
            return -1;
          if (cur[strspn (cur, " \n")] != '\0')
            {
              cur[strcspn (cur, "\n")] = '\0';
              free (known[i]);
              known[i] = cur;
              cur = NULL;
              continue;
            }
        }
      if (known[i] == NULL)
        {
          cleanup_free char *parent = strdup (dir);
          char *slash = parent ? strrchr (parent, '/') : NULL;
          if (slash == NULL)
            return husk_error (err, ENOMEM, "cpuset"); // cppcheck-suppress memleak
          *slash = '\0';
          if (husk_cg_read (parent, files[i], &known[i], err) < 0)
            return -1;
          known[i][strcspn (known[i], "\n")] = '\0';
        }
      if (husk_cg_write (dir, files[i], known[i], err) < 0)
        return -1;
    }
  return 0;
}

static bool
in_list (const char *const *l, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (l[i], s) == 0)
      return true;
  return false;
}

/* In each v2 ancestor, enable the controllers the container needs (pure
 * v2: also the basic ones, as runc). Already enabled ones are left. */
static int
v2_enable (const char *dir, const char *const *need, size_t n_need, bool all, husk_error_t *err)
{
  cleanup_free char *avail = NULL, *on = NULL;
  if (n_need == 0 && !all)
    return 0; /* hybrid without a v2-only limit: nothing to enable */
  if (husk_cg_read (dir, "cgroup.controllers", &avail, err) < 0
      || husk_cg_read (dir, "cgroup.subtree_control", &on, err) < 0)
    return -1;
  for (char *save = NULL, *t = strtok_r (avail, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    {
      bool needed = in_list (need, n_need, t);
      husk_error_t e = NULL;
      char pat[64];
      snprintf (pat, sizeof (pat), " %s ", t);
      cleanup_free char *spaced = NULL;
      if (asprintf (&spaced, " %s ", on) < 0)
        return husk_error (err, ENOMEM, "cgroup");
      for (char *c = spaced; *c; c++)
        if (*c == '\n')
          *c = ' ';
      /* Pure v2: the usual controllers always (stats, later updates);
       * hugetlb, rdma, misc only when the config uses them. */
      static const char *const basic[] = { "cpu", "cpuset", "io", "memory", "pids" };
      bool want = needed || (all && in_list (basic, 5, t));
      if (!want || strstr (spaced, pat))
        continue;
      if (husk_cg_writef (dir, "cgroup.subtree_control", &e, "+%s", t) < 0)
        {
          if (needed)
            {
              husk_error_move (err, &e);
              return -1;
            }
          husk_debug ("cgroup: %s", e->msg);
          husk_error_free (&e);
        }
    }
  return 0;
}

/* mkdir -p of one hierarchy's directory below its mount point; counts
 * the directories it created. */
static int
make_dir (const struct husk_cg_dir *d, const char *const *need, size_t n_need, enum husk_cg_layout layout,
          int *created, husk_error_t *err)
{
  bool cpuset = !d->v2 && husk_cg_ctrls_has (d->ctrls, "cpuset");
  bool enable = d->v2 && (n_need > 0 || layout == HUSK_CG_V2);
  *created = 0;
  if (strlen (d->path) <= d->base)
    return 0;
  /* Usually the parent exists (our own cgroup, a shared /<ns>): one
   * mkdir, unless every ancestor needs a look (cpuset values, v2
   * controllers to enable). */
  if (!cpuset && !enable)
    {
      if (mkdir (d->path, 0755) == 0)
        {
          *created = 1;
          return 0;
        }
      if (errno == EEXIST)
        return 0;
      if (errno != ENOENT)
        return husk_error (err, errno, "create cgroup `%s`", d->path);
    }
  cleanup_free char *p = strdup (d->path);
  char *known[2] = { NULL, NULL };
  int r = 0;
  if (p == NULL)
    return husk_error (err, ENOMEM, "cgroup");
  for (char *s = p + d->base; s && r == 0;)
    {
      /* p[0..s) is the existing parent, the next component follows. */
      char *next = strchr (s + 1, '/');
      bool made = false;
      *s = '\0';
      if (enable && v2_enable (p, need, n_need, layout == HUSK_CG_V2, err) < 0)
        {
          r = -1;
          break;
        }
      *s = '/';
      if (next)
        *next = '\0';
      if (mkdir (p, 0755) == 0)
        (*created)++, made = true;
      else if (errno != EEXIST)
        r = husk_error (err, errno, "create cgroup `%s`", p);
      else if (next == NULL)
        *created = 0;
      if (r == 0 && cpuset && cpuset_copy_parent (p, made, known, err) < 0)
        r = -1;
      if (next)
        *next = '/';
      s = next;
    }
  free (known[0]);
  free (known[1]);
  return r;
}

static void
remove_created (struct husk_cgroup *cg, size_t upto, const int *created)
{
  for (size_t i = 0; i < upto; i++)
    {
      cleanup_free char *p = strdup (cg->dirs[i].path);
      /* From the leaf up; parts never made (a failure midway) are skipped. */
      for (int k = 0; p && k < created[i];)
        {
          if (rmdir (p) == 0)
            k++;
          else if (errno != ENOENT)
            break;
          char *s = strrchr (p, '/');
          if (s == NULL || s == p)
            break;
          *s = '\0';
        }
    }
}

static int
create_dirs (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  const char *need[16];
  size_t n_need = husk_cg_res_v2_needs (res, cg->layout == HUSK_CG_HYBRID, need);
  cleanup_free int *created = calloc (cg->n + 1, sizeof (int));
  if (created == NULL)
    return husk_error (err, ENOMEM, "cgroup");
  for (size_t i = 0; i < cg->n; i++)
    {
      int r = -1;
      for (int attempt = 0; attempt < 3 && r < 0; attempt++)
        {
          /* ENOENT: a concurrent destroy removed the shared parent. */
          r = make_dir (&cg->dirs[i], need, n_need, cg->layout, &created[i], err);
          if (r < 0 && (*err)->errno_ != ENOENT)
            break;
        }
      if (r < 0)
        {
          remove_created (cg, i + 1, created);
          return -1;
        }
      if (created[i] - 1 > cg->parents)
        cg->parents = created[i] - 1;
    }
  return 0;
}

static bool
has_dotdot (const char *p)
{
  for (const char *c = p; c && *c;)
    {
      size_t l = strcspn (c, "/");
      if (l == 2 && c[0] == '.' && c[1] == '.')
        return true;
      c += l;
      c += *c == '/';
    }
  return false;
}

static bool
rootless_without_cgroup (const struct husk_cg_res *res, husk_error_t e)
{
  int n = e ? e->errno_ : 0;
  return geteuid () != 0 && (n == EACCES || n == EPERM || n == EROFS) && !husk_cg_res_has_limits (res);
}

static void
drop_dirs (struct husk_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++)
    {
      free (cg->dirs[i].ctrls);
      free (cg->dirs[i].path);
    }
  cg->n = 0;
  free (cg->cpuset_path);
  free (cg->cpuset_join);
  cg->cpuset_path = cg->cpuset_join = NULL;
}

static bool
wants_cpuset (const struct husk_cg_res *res)
{
  return (res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems);
}

/* Whether the container may go without a v1 cpuset cgroup of its own:
 * no cpus/mems asked for, and no read-write `cgroup` mount (a container
 * that manages its own cgroups, e.g. a nested runtime, gets runc's
 * layout). The first non-root cpuset cgroup of the host costs ~1.8 ms
 * (the kernel flips the cpusets_enabled static key), and a new one only
 * copies its parent's cpus/mems anyway. */
static bool
defer_cpuset (const struct husk_config *cfg, const struct husk_cg_res *res)
{
  if (wants_cpuset (res))
    return false;
  for (size_t i = 0; cfg && i < cfg->n_mounts; i++)
    {
      const struct husk_mount *m = &cfg->mounts[i];
      bool ro = false;
      if (m->type == NULL || strcmp (m->type, "cgroup") != 0)
        continue;
      for (size_t k = 0; k < m->n_options; k++)
        if (strcmp (m->options[k], "ro") == 0 || strcmp (m->options[k], "rw") == 0)
          ro = m->options[k][1] == 'o';
      if (!ro)
        return false;
    }
  return true;
}

/* The existing cpuset cgroup the container runs in while it has none of
 * its own: the nearest existing ancestor of cpuset_path. For the default
 * path (<our own cgroup>/<id>) that is our own cgroup, which the init
 * inherited: nothing to look up or join. */
static int
cpuset_find_join (struct husk_cgroup *cg, husk_error_t *err)
{
  cg->cpuset_join = strdup (cg->cpuset_path);
  if (cg->cpuset_join == NULL)
    return husk_error (err, ENOMEM, "cgroup");
  for (;;)
    {
      char *s = strrchr (cg->cpuset_join, '/');
      if (s == NULL || (size_t)(s - cg->cpuset_join) < cg->cpuset_base)
        return husk_error (err, 0, "cpuset cgroup `%s`: no parent", cg->cpuset_path);
      *s = '\0';
      if (cg->inner[0] != '/' && strchr (cg->inner, '/') == NULL)
        {
          cg->cpuset_here = true;
          return 0;
        }
      if ((size_t)(s - cg->cpuset_join) == cg->cpuset_base || access (cg->cpuset_join, F_OK) == 0)
        return 0;
    }
}

bool
husk_cgroup_cpuset_shared (const struct husk_cgroup *cg)
{
  return cg && cg->cpuset_path != NULL;
}

int
husk_cgroup_create (const struct husk_config *cfg, const char *id, struct husk_cgroup **out,
                    husk_error_t *err)
{
  const char *inner = cfg ? cfg->cgroups_path : NULL;
  struct husk_cg_res res;
  struct husk_cgroup *cg = NULL;
  /* As runc: no cgroupsPath is <our own cgroup>/<id> in each hierarchy. */
  if (inner == NULL || inner[0] == '\0')
    inner = id;
  if (has_dotdot (inner))
    return husk_error (err, 0, "linux.cgroupsPath: `%s` must not contain `..`", inner);
  if (husk_cg_res_parse (cfg ? cfg->resources : NULL, "linux.resources", &res, err) < 0)
    return -1;
  if (husk_cg_res_add_default_devices (&res, cfg, err) < 0
      || cgroup_resolve (inner, defer_cpuset (cfg, &res), &cg, err) < 0)
    goto fail;
  for (size_t i = 0; i < cg->n; i++)
    if (lexically_root (&cg->dirs[i]))
      {
        husk_error (err, 0, "linux.cgroupsPath: `%s` is the root cgroup; a container needs its own", inner);
        goto fail;
      }
  if (create_dirs (cg, &res, err) < 0)
    {
      if (!rootless_without_cgroup (&res, *err))
        goto fail;
      /* As runc: a rootless container without limits runs in the
       * caller's cgroup when it may not create one. */
      husk_warn ("%s; running without a cgroup of its own (rootless, no limits set)", (*err)->msg);
      husk_error_free (err);
      drop_dirs (cg);
    }
  if (cg->cpuset_path && cpuset_find_join (cg, err) < 0)
    goto fail_rm;
  if (cg->n && cg->layout != HUSK_CG_V2 && husk_cg_apply_v1 (cg, &res, err) < 0)
    goto fail_rm;
  if (cg->n && cg->layout != HUSK_CG_V1 && husk_cg_apply_v2 (cg, &res, err) < 0)
    goto fail_rm;
  husk_cg_res_free (&res);
  *out = cg;
  return 0;
fail_rm:
  {
    husk_error_t e = NULL;
    husk_cgroup_destroy (cg, &e);
    husk_error_free (&e);
  }
fail:
  husk_cg_res_free (&res);
  husk_cgroup_free (cg);
  return -1;
}

static int
enter_one (const char *dir, pid_t pid, husk_error_t *err)
{
  for (int attempt = 0;; attempt++)
    {
      if (husk_cg_writef (dir, "cgroup.procs", err, "%d", (int)pid) == 0)
        return 0;
      /* EINVAL can mean the task is still TASK_NEW: try again, as runc. */
      if ((*err)->errno_ != EINVAL || attempt >= 5)
        return husk_error_prefix (err, "join cgroup `%s`", dir);
      husk_error_free (err);
      usleep (30000);
    }
}

int
husk_cgroup_enter (struct husk_cgroup *cg, pid_t pid, husk_error_t *err)
{
  for (size_t i = 0; i < cg->n; i++)
    if (enter_one (cg->dirs[i].path, pid, err) < 0)
      return -1;
  /* Without a cpuset cgroup of its own: the one the container shares (exec
   * may run from another). */
  if (cg->cpuset_join && !cg->cpuset_here && enter_one (cg->cpuset_join, pid, err) < 0)
    return -1;
  return 0;
}

int
husk_cgroup_v2_fd (struct husk_cgroup *cg, int *fd, husk_error_t *err)
{
  *fd = -1;
  if (cg->layout != HUSK_CG_V2)
    return 0;
  const char *d = husk_cg_dir_v2 (cg);
  if (d == NULL)
    return 0;
  *fd = open (d, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return husk_error (err, errno, "open `%s`", d);
  return 0;
}

json_object *
husk_cgroup_to_json (const struct husk_cgroup *cg)
{
  json_object *o = json_object_new_object (), *dirs = json_object_new_array ();
  json_object_object_add (o, "layout", json_object_new_string (husk_cg_layout_name (cg->layout)));
  json_object_object_add (o, "path", json_object_new_string (cg->inner));
  json_object_object_add (o, "parents", json_object_new_int (cg->parents));
  for (size_t i = 0; i < cg->n; i++)
    {
      json_object *d = json_object_new_object ();
      json_object_object_add (d, "controllers", json_object_new_string (cg->dirs[i].ctrls));
      json_object_object_add (d, "path", json_object_new_string (cg->dirs[i].path));
      json_object_object_add (d, "v2", json_object_new_boolean (cg->dirs[i].v2));
      json_object_object_add (d, "mount",
                              json_object_new_string_len (cg->dirs[i].path, (int)cg->dirs[i].base));
      json_object_array_add (dirs, d);
    }
  json_object_object_add (o, "dirs", dirs);
  if (cg->cpuset_path && cg->cpuset_join)
    {
      json_object *c = json_object_new_object ();
      json_object_object_add (c, "path", json_object_new_string (cg->cpuset_path));
      json_object_object_add (c, "mount", json_object_new_string_len (cg->cpuset_path, (int)cg->cpuset_base));
      json_object_object_add (c, "join", json_object_new_string (cg->cpuset_join));
      json_object_object_add (o, "cpuset", c);
    }
  return o;
}

static const char *
jstr (json_object *o, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

int
husk_cgroup_from_json (json_object *o, struct husk_cgroup **out, husk_error_t *err)
{
  json_object *dirs, *v;
  const char *layout = o ? jstr (o, "layout") : NULL, *inner = o ? jstr (o, "path") : NULL;
  if (layout == NULL || inner == NULL || !json_object_object_get_ex (o, "dirs", &dirs)
      || !json_object_is_type (dirs, json_type_array))
    return husk_error (err, 0, "state: malformed `cgroup` object");
  struct husk_cgroup *cg = calloc (1, sizeof (*cg));
  if (cg == NULL || (cg->inner = strdup (inner)) == NULL)
    {
      free (cg);
      return husk_error (err, ENOMEM, "cgroup");
    }
  cg->layout = strcmp (layout, "v2") == 0       ? HUSK_CG_V2
               : strcmp (layout, "hybrid") == 0 ? HUSK_CG_HYBRID
                                                : HUSK_CG_V1;
  if (json_object_object_get_ex (o, "parents", &v))
    cg->parents = json_object_get_int (v);
  for (size_t i = 0; i < json_object_array_length (dirs); i++)
    {
      json_object *d = json_object_array_get_idx (dirs, i);
      const char *c = jstr (d, "controllers"), *p = jstr (d, "path");
      if (c == NULL || p == NULL || p[0] != '/')
        {
          husk_cgroup_free (cg);
          return husk_error (err, 0, "state: malformed `cgroup.dirs[%zu]`", i);
        }
      bool v2 = json_object_object_get_ex (d, "v2", &v) && json_object_get_boolean (v);
      const char *mnt = jstr (d, "mount");
      size_t base = mnt && strncmp (p, mnt, strlen (mnt)) == 0 ? strlen (mnt) : 0;
      if (add_dir (cg, c, strdup (p), v2, base) < 0)
        {
          husk_cgroup_free (cg);
          return husk_error (err, ENOMEM, "cgroup");
        }
    }
  json_object *cs;
  if (json_object_object_get_ex (o, "cpuset", &cs))
    {
      const char *p = jstr (cs, "path"), *mnt = jstr (cs, "mount"), *join = jstr (cs, "join");
      if (p == NULL || mnt == NULL || join == NULL || p[0] != '/' || strncmp (p, mnt, strlen (mnt)) != 0
          || strncmp (join, mnt, strlen (mnt)) != 0)
        {
          husk_cgroup_free (cg);
          return husk_error (err, 0, "state: malformed `cgroup.cpuset`");
        }
      cg->cpuset_path = strdup (p);
      cg->cpuset_join = strdup (join);
      cg->cpuset_base = strlen (mnt);
      if (cg->cpuset_path == NULL || cg->cpuset_join == NULL)
        {
          husk_cgroup_free (cg);
          return husk_error (err, ENOMEM, "cgroup");
        }
    }
  *out = cg;
  return 0;
}

/* update with cpus/mems of a container without a cpuset cgroup: make
 * cpuset_path (values copied from the parent) and list it last in dirs;
 * cpuset_path moves there. *created < 0 when nothing was made. */
static int
cpuset_make (struct husk_cgroup *cg, int *created, husk_error_t *err)
{
  struct husk_cg_dir d = { .ctrls = (char *)"cpuset", .path = cg->cpuset_path, .base = cg->cpuset_base };
  *created = -1;
  if (make_dir (&d, NULL, 0, cg->layout, created, err) < 0)
    {
      *created = -1;
      return -1;
    }
  if (add_dir (cg, "cpuset", cg->cpuset_path, false, cg->cpuset_base) < 0)
    {
      cg->cpuset_path = NULL;
      return husk_error (err, ENOMEM, "cgroup");
    }
  cg->cpuset_path = NULL;
  if (*created - 1 > cg->parents)
    cg->parents = *created - 1;
  return 0;
}

/* Undo cpuset_make when nothing is in the new directory (the values were
 * refused, or no process moved); otherwise keep it: the saved state names
 * it and delete removes it. */
static void
cpuset_unmake (struct husk_cgroup *cg, int created)
{
  struct husk_cg_dir *d = &cg->dirs[cg->n - 1];
  if (created > 0 && rmdir (d->path) < 0)
    {
      free (cg->cpuset_join);
      cg->cpuset_join = NULL;
      return;
    }
  cleanup_free char *p = strdup (d->path);
  for (int k = 1; p && k < created; k++)
    {
      char *s = strrchr (p, '/');
      if (s == NULL || s == p)
        break;
      *s = '\0';
      if (rmdir (p) < 0)
        break;
    }
  cg->cpuset_path = d->path;
  cg->cpuset_base = d->base;
  free (d->ctrls);
  cg->n--;
}

int
husk_cgroup_update (struct husk_cgroup *cg, json_object *resources, husk_error_t *err)
{
  struct husk_cg_res res;
  int r = 0;
  if (husk_cg_res_parse (resources, "resources", &res, err) < 0)
    return -1;
  /* Device rules stay as created (runc's update does not touch them):
   * rewriting them would briefly deny everything on v1, and the default
   * set and linux.devices are not known here. */
  res.has_devices = false;
  bool adopt = cg->layout != HUSK_CG_V2 && cg->cpuset_path && wants_cpuset (&res);
  int created = 0;
  if (adopt && cpuset_make (cg, &created, err) < 0)
    r = -1;
  else if (cg->layout != HUSK_CG_V2)
    r = husk_cg_apply_v1 (cg, &res, err);
  if (adopt && created >= 0)
    {
      /* The values are in (or refused: undo); now the processes. */
      if (r == 0 && husk_cg_cpuset_move_all (cg, cg->dirs[cg->n - 1].path, err) < 0)
        r = -1;
      if (r < 0)
        cpuset_unmake (cg, created);
      else
        {
          free (cg->cpuset_join);
          cg->cpuset_join = NULL;
        }
    }
  if (r == 0 && cg->layout != HUSK_CG_V1)
    r = husk_cg_apply_v2 (cg, &res, err);
  husk_cg_res_free (&res);
  return r;
}

size_t
husk_cgroup_mounts (const struct husk_cgroup *cg, struct husk_cgroup_mount *out, size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < cg->n && n < max; i++)
    {
      if (cg->dirs[i].base == 0)
        continue;
      out[n].dir = cg->dirs[i].path;
      out[n].mount_len = cg->dirs[i].base;
      out[n].controllers = cg->dirs[i].ctrls;
      out[n].v2 = cg->dirs[i].v2;
      n++;
    }
  return n;
}
