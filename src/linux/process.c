#include "linux/process.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/fs.h"

int
husk_set_rlimits (const struct husk_process *p, husk_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct husk_rlimit *r = &p->rlimits[i];
      struct rlimit cur, want = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (r->soft > r->hard)
        return husk_error (err, 0, "process.rlimits[%zu]: %s soft limit %llu is above the hard limit %llu", i,
                           r->name, (unsigned long long)r->soft, (unsigned long long)r->hard);
      if (setrlimit (r->resource, &want) == 0)
        continue;
      if (errno == EPERM && getrlimit (r->resource, &cur) == 0 && r->hard > cur.rlim_max)
        return husk_error (err, 0,
                           "process.rlimits[%zu]: cannot raise the hard limit of %s to %llu: the current "
                           "hard limit is %llu and raising it needs CAP_SYS_RESOURCE",
                           i, r->name, (unsigned long long)r->hard, (unsigned long long)cur.rlim_max);
      return husk_error (err, errno, "process.rlimits[%zu]: set %s", i, r->name);
    }
  return 0;
}

int
husk_set_oom_score_adj (const struct husk_process *p, husk_error_t *err)
{
  char buf[16];
  if (!p->has_oom_score_adj)
    return 0;
  snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
  if (husk_procfs_write ("self/oom_score_adj", buf, err) < 0)
    return husk_error_prefix (err, "process.oomScoreAdj");
  return 0;
}

int
husk_set_sysctls (const struct husk_config *cfg, husk_error_t *err)
{
  for (size_t i = 0; i < cfg->n_sysctl; i++)
    {
      cleanup_free char *path = NULL;
      if (asprintf (&path, "sys/%s", cfg->sysctl[i].key) < 0)
        return husk_error (err, ENOMEM, "linux.sysctl");
      /* Keys may be written with dots: net.ipv4.ip_forward. */
      for (char *c = path; *c; c++)
        if (*c == '.')
          *c = '/';
      if (husk_procfs_write (path, cfg->sysctl[i].value, err) < 0)
        return husk_error_prefix (err, "linux.sysctl `%s`", cfg->sysctl[i].key);
    }
  return 0;
}

int
husk_set_hostname (const struct husk_config *cfg, husk_error_t *err)
{
  if (cfg->hostname && sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    return husk_error (err, errno, "hostname: set `%s`", cfg->hostname);
  if (cfg->domainname && setdomainname (cfg->domainname, strlen (cfg->domainname)) < 0)
    return husk_error (err, errno, "domainname: set `%s`", cfg->domainname);
  return 0;
}

static const char *
env_path (char **env)
{
  for (; env && *env; env++)
    if (strncmp (*env, "PATH=", 5) == 0)
      return *env + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int
check_exec (const char *path, husk_error_t *err)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return husk_error (err, errno, "process.args[0]: `%s`", path);
  if (S_ISDIR (st.st_mode))
    return husk_error (err, 0, "process.args[0]: `%s` is a directory", path);
  if (access (path, X_OK) < 0)
    return husk_error (err, errno, "process.args[0]: `%s`", path);
  return 0;
}

int
husk_find_executable (const struct husk_process *p, char **out, husk_error_t *err)
{
  const char *name = p->args[0];
  cleanup_free char *copy = NULL;
  char *save = NULL;
  if (strchr (name, '/'))
    {
      if (check_exec (name, err) < 0)
        return -1;
      *out = strdup (name);
      return *out ? 0 : husk_error (err, ENOMEM, "exec");
    }
  copy = strdup (env_path (p->env));
  if (copy == NULL)
    return husk_error (err, ENOMEM, "exec");
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *cand = NULL;
      struct stat st;
      if (asprintf (&cand, "%s/%s", *dir ? dir : ".", name) < 0)
        return husk_error (err, ENOMEM, "exec");
      if (stat (cand, &st) == 0 && S_ISREG (st.st_mode) && access (cand, X_OK) == 0)
        {
          *out = cand;
          return 0;
        }
      free (cand);
    }
  return husk_error (err, 0, "process.args[0]: executable `%s` not found in $PATH", name);
}
