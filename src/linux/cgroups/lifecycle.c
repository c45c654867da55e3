/* Freeze, list, kill and remove: what pause/resume/ps/kill --all/delete
 * do to the container's cgroup. */
#include "linux/cgroups/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* Where the freezer lives: the v1 freezer, else the v2 hierarchy. */
static const char *
freezer_dir (const struct husk_cgroup *cg, bool *v2)
{
  const char *d = cg->layout == HUSK_CG_V2 ? NULL : husk_cg_dir_v1 (cg, "freezer");
  *v2 = d == NULL;
  return d ? d : husk_cg_dir_v2 (cg);
}

/* The directory whose cgroup.procs lists the container's processes. */
static const char *
procs_dir (const struct husk_cgroup *cg)
{
  static const char *const pref[] = { "freezer", "pids", "memory", "cpu", "devices", NULL };
  if (cg->layout == HUSK_CG_V2)
    return husk_cg_dir_v2 (cg);
  for (size_t i = 0; pref[i]; i++)
    if (husk_cg_dir_v1 (cg, pref[i]))
      return husk_cg_dir_v1 (cg, pref[i]);
  return cg->n ? cg->dirs[0].path : NULL;
}

static int
read_state (const char *dir, bool v2, bool *frozen, husk_error_t *err)
{
  if (v2)
    {
      uint64_t v = 0;
      if (husk_cg_read_key (dir, "cgroup.events", "frozen", &v, err) < 0)
        return -1;
      *frozen = v == 1;
      return 0;
    }
  cleanup_free char *s = NULL;
  if (husk_cg_read (dir, "freezer.state", &s, err) < 0)
    return -1;
  *frozen = strncmp (s, "FROZEN", 6) == 0;
  return 0;
}

int
husk_cgroup_is_frozen (struct husk_cgroup *cg, bool *frozen, husk_error_t *err)
{
  bool v2;
  const char *d = freezer_dir (cg, &v2);
  *frozen = false;
  if (d == NULL)
    return 0;
  if (v2 && !husk_cg_exists (d, "cgroup.freeze"))
    return 0;
  return read_state (d, v2, frozen, err);
}

int
husk_cgroup_freeze (struct husk_cgroup *cg, bool frozen, husk_error_t *err)
{
  bool v2, now = !frozen;
  const char *d = freezer_dir (cg, &v2);
  const char *file = v2 ? "cgroup.freeze" : "freezer.state";
  const char *val = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
  if (d == NULL || (v2 && !husk_cg_exists (d, "cgroup.freeze")))
    return husk_error (err, ENOTSUP, "freeze: the container has no freezer cgroup");
  /* v1 can stay FREEZING while tasks are in uninterruptible sleep: write
   * again now and then, as runc does; give up after ~10s. */
  for (int i = 0; i < 1000; i++)
    {
      if ((i % 50) == 0 && husk_cg_write (d, file, val, err) < 0)
        return -1;
      if (read_state (d, v2, &now, err) < 0)
        return -1;
      if (now == frozen)
        return 0;
      sleep_ms (i < 10 ? 1 : 10);
    }
  if (frozen)
    {
      husk_error_t e = NULL;
      husk_cg_write (d, file, v2 ? "0" : "THAWED", &e);
      husk_error_free (&e);
    }
  return husk_error (err, ETIMEDOUT, "%s the container in `%s`", frozen ? "freeze" : "thaw", d);
}

static int
append_pids (const char *dir, pid_t **pids, size_t *n, int depth, husk_error_t *err)
{
  cleanup_free char *s = NULL;
  if (husk_cg_read (dir, "cgroup.procs", &s, err) < 0)
    return -1;
  for (char *save = NULL, *t = strtok_r (s, "\n", &save); t; t = strtok_r (NULL, "\n", &save))
    {
      pid_t *np = realloc (*pids, (*n + 1) * sizeof (pid_t));
      if (np == NULL)
        return husk_error (err, ENOMEM, "pids");
      *pids = np;
      (*pids)[(*n)++] = (pid_t)atoi (t);
    }
  if (depth > 32)
    return 0;
  /* Sub-cgroups the container made itself (systemd inside, nested runtimes). */
  DIR *dd = opendir (dir);
  if (dd == NULL)
    return 0;
  for (struct dirent *de; (de = readdir (dd));)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      if (asprintf (&sub, "%s/%s", dir, de->d_name) < 0 || append_pids (sub, pids, n, depth + 1, err) < 0)
        {
          closedir (dd);
          return husk_error (err, ENOMEM, "pids");
        }
    }
  closedir (dd);
  return 0;
}

int
husk_cgroup_pids (struct husk_cgroup *cg, pid_t **pids, size_t *n, husk_error_t *err)
{
  const char *d = procs_dir (cg);
  *pids = NULL;
  *n = 0;
  if (d == NULL || access (d, F_OK) < 0)
    return 0;
  if (append_pids (d, pids, n, 0, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

int
husk_cg_wait_empty (const char *dir, int timeout_ms)
{
  for (int waited = 0;; waited += 5)
    {
      cleanup_free char *s = NULL;
      husk_error_t e = NULL;
      if (husk_cg_read (dir, "cgroup.procs", &s, &e) < 0)
        {
          husk_error_free (&e);
          return 0; /* gone */
        }
      if (s[0] == '\0')
        return 0;
      if (waited >= timeout_ms)
        return -1;
      sleep_ms (5);
    }
}

static int
kill_pids (struct husk_cgroup *cg, int sig, husk_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (husk_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return husk_error (err, errno, "kill pid %d", (int)pids[i]);
  return 0;
}

/* kill_all once the caller made sure no directory is a hierarchy root. */
static int
kill_all (struct husk_cgroup *cg, int sig, husk_error_t *err)
{
  const char *v2 = husk_cg_dir_v2 (cg);
  bool frozen = false;
  if (sig == SIGKILL && v2 && husk_cg_exists (v2, "cgroup.kill"))
    {
      if (husk_cg_write (v2, "cgroup.kill", "1", err) == 0)
        {
          /* A v1 freezer (hybrid) keeps killed tasks frozen: thaw them. */
          bool v2f;
          if (freezer_dir (cg, &v2f) && !v2f && husk_cgroup_is_frozen (cg, &frozen, err) == 0 && frozen)
            return husk_cgroup_freeze (cg, false, err);
          husk_error_free (err);
          return 0;
        }
      if ((*err)->errno_ != ENOENT)
        return -1;
      husk_error_free (err);
      return 0; /* already removed */
    }
  /* Freeze so nothing forks between listing and killing; thaw after so
   * the signal is acted on. A container that was paused stays paused,
   * unless it is SIGKILL (which must take effect, as runc). */
  bool was_frozen = false;
  if (husk_cgroup_is_frozen (cg, &was_frozen, err) < 0)
    husk_error_free (err);
  if (husk_cgroup_freeze (cg, true, err) == 0)
    frozen = !was_frozen || sig == SIGKILL;
  else
    husk_error_free (err);
  int r = kill_pids (cg, sig, err);
  if (frozen)
    {
      husk_error_t e = NULL;
      if (husk_cgroup_freeze (cg, false, &e) < 0 && r == 0)
        {
          husk_error_move (err, &e);
          r = -1;
        }
      husk_error_free (&e);
    }
  return r;
}

int
husk_cgroup_kill_all (struct husk_cgroup *cg, int sig, husk_error_t *err)
{
  if (husk_cg_any_root (cg))
    return husk_error (err, EPERM, "refusing to signal every process of a root cgroup");
  return kill_all (cg, sig, err);
}

/* rmdir dir and any sub-cgroups, deepest first; cgroupfs may say EBUSY
 * for a moment after the last task exits. The common case (no
 * sub-cgroup, no task) is one rmdir; EBUSY looks for sub-cgroups. */
static int
rmdir_tree (const char *dir, husk_error_t *err)
{
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY)
    return husk_error (err, errno, "remove cgroup `%s`", dir);
  DIR *dd = opendir (dir);
  if (dd == NULL)
    return errno == ENOENT ? 0 : husk_error (err, errno, "open cgroup `%s`", dir);
  for (struct dirent *de; (de = readdir (dd));)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      if (asprintf (&sub, "%s/%s", dir, de->d_name) < 0 || rmdir_tree (sub, err) < 0)
        {
          closedir (dd);
          return -1;
        }
    }
  closedir (dd);
  for (int i = 0, delay = 10; i < 8; i++, delay *= 2)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        break;
      sleep_ms (delay);
    }
  return husk_error (err, errno, "remove cgroup `%s`", dir);
}

int
husk_cgroup_destroy (struct husk_cgroup *cg, husk_error_t *err)
{
  const char *pd = procs_dir (cg);
  int r = 0;
  /* A state file naming a hierarchy root must never empty the host. */
  if (husk_cg_any_root (cg))
    return husk_error (err, EPERM, "refusing to remove a root cgroup");
  /* Usually the container is gone already (its init reaped, its pid
   * namespace emptied by the kernel): an empty cgroup just goes. Only a
   * busy one needs the kill. */
  if (pd && rmdir (pd) < 0 && errno != ENOENT)
    {
      if (kill_all (cg, SIGKILL, err) < 0)
        return husk_error_prefix (err, "kill the processes of the container");
      /* Processes stuck in the kernel may take a moment; kill again. */
      for (int i = 0; i < 4 && husk_cg_wait_empty (pd, 500) < 0; i++)
        if (kill_all (cg, SIGKILL, err) < 0)
          husk_error_free (err);
    }
  for (size_t i = 0; i < cg->n; i++)
    {
      husk_error_t e = NULL;
      if (rmdir_tree (cg->dirs[i].path, &e) < 0)
        {
          if (r == 0)
            husk_error_move (err, &e);
          husk_error_free (&e);
          r = -1;
          continue;
        }
      /* Ancestors we created: remove them when nobody else uses them. */
      cleanup_free char *p = strdup (cg->dirs[i].path);
      for (int k = 0; p && k < cg->parents; k++)
        {
          char *s = strrchr (p, '/');
          if (s == NULL || s == p)
            break;
          *s = '\0';
          if (rmdir (p) < 0)
            break;
        }
    }
  return r;
}

static bool
has_pid (const pid_t *l, size_t n, pid_t p)
{
  for (size_t i = 0; i < n; i++)
    if (l[i] == p)
      return true;
  return false;
}

/* Move every process of the container into the cpuset directory dir. The
 * container is frozen meanwhile (as pause: until FROZEN), so a process
 * that forks cannot leave a child behind; a paused container stays
 * paused. Without a freezer, list and move again until a pass finds no
 * process it has not moved yet. */
int
husk_cg_cpuset_move_all (struct husk_cgroup *cg, const char *dir, husk_error_t *err)
{
  bool was_frozen = false, frozen = false;
  husk_error_t e = NULL;
  int fd = -1, r = 0;
  cleanup_free pid_t *moved = NULL;
  size_t n_moved = 0;
  if (husk_cgroup_is_frozen (cg, &was_frozen, &e) < 0)
    husk_error_free (&e);
  if (!was_frozen)
    {
      if (husk_cgroup_freeze (cg, true, &e) == 0)
        frozen = true;
      else if (e->errno_ == ENOTSUP)
        husk_error_free (&e);
      else
        {
          husk_error_move (err, &e);
          return husk_error_prefix (err, "move the container into its cpuset cgroup");
        }
    }
  for (int pass = 0; r == 0 && pass < 100; pass++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, fresh = 0;
      if (husk_cgroup_pids (cg, &pids, &n, err) < 0)
        {
          r = -1;
          break;
        }
      for (size_t i = 0; i < n && r == 0; i++)
        {
          char buf[16];
          if (has_pid (moved, n_moved, pids[i]))
            continue;
          snprintf (buf, sizeof buf, "%d", (int)pids[i]);
          if (husk_cg_write_fd (dir, "cgroup.procs", &fd, buf, err) < 0)
            {
              if ((*err)->errno_ != ESRCH)
                {
                  r = -1;
                  break;
                }
              husk_error_free (err); /* exited meanwhile */
            }
          pid_t *m = realloc (moved, (n_moved + 1) * sizeof (pid_t));
          if (m == NULL)
            r = husk_error (err, ENOMEM, "cpuset");
          else
            (moved = m)[n_moved++] = pids[i];
          fresh++;
        }
      if (fresh == 0 || frozen || was_frozen)
        break;
    }
  if (fd >= 0)
    close (fd);
  if (frozen && husk_cgroup_freeze (cg, false, &e) < 0)
    {
      if (r == 0)
        husk_error_move (err, &e);
      r = -1;
    }
  husk_error_free (&e);
  return r;
}
