/* linux.resources -> struct husk_cg_res, with JSON-path errors, plus the
 * v1 <-> v2 value conversions runc uses. */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oci/json_util.h"

static int
opt_i64 (json_object *o, const char *base, const char *key, struct husk_cg_opt *out, husk_error_t *err)
{
  int r = husk_jget_i64 (o, base, key, false, &out->v, err);
  if (r > 0)
    out->set = true;
  return r < 0 ? -1 : 0;
}

/* Unsigned in the spec; kept in an int64 (values above INT64_MAX are
 * refused, no cgroup file takes them). */
static int
opt_u64 (json_object *o, const char *base, const char *key, struct husk_cg_opt *out, husk_error_t *err)
{
  char p[JPATH_MAX];
  uint64_t v;
  int r = husk_jget_u64 (o, base, key, false, &v, err);
  if (r <= 0)
    return r;
  if (v > INT64_MAX)
    return husk_error (err, 0, "%s: value out of range", husk_jpath_key (p, base, key));
  out->set = true;
  out->v = (int64_t)v;
  return 0;
}

static int
parse_memory (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX];
  json_object *m;
  TRY (husk_jget (r, base, "memory", json_type_object, false, &m, err));
  if (m == NULL)
    return 0;
  husk_jpath_key (p, base, "memory");
  TRY (opt_i64 (m, p, "limit", &res->mem.limit, err));
  TRY (opt_i64 (m, p, "reservation", &res->mem.reservation, err));
  TRY (opt_i64 (m, p, "swap", &res->mem.swap, err));
  TRY (opt_i64 (m, p, "kernel", &res->mem.kernel, err));
  TRY (opt_i64 (m, p, "kernelTCP", &res->mem.kernel_tcp, err));
  TRY (opt_u64 (m, p, "swappiness", &res->mem.swappiness, err));
  json_object *v = NULL;
  TRY (husk_jget (m, p, "disableOOMKiller", json_type_boolean, false, &v, err));
  if (v)
    {
      res->mem.has_disable_oom = true;
      res->mem.disable_oom = json_object_get_boolean (v);
    }
  TRY (husk_jget_bool (m, p, "checkBeforeUpdate", &res->mem.check_before_update, err));
  if (res->mem.swappiness.set && res->mem.swappiness.v > 100)
    return husk_error (err, 0, "%s.swappiness: %lld is not between 0 and 100", p,
                       (long long)res->mem.swappiness.v);
  return 0;
}

static int
parse_cpu (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX];
  json_object *c;
  TRY (husk_jget (r, base, "cpu", json_type_object, false, &c, err));
  if (c == NULL)
    return 0;
  husk_jpath_key (p, base, "cpu");
  TRY (opt_u64 (c, p, "shares", &res->cpu.shares, err));
  TRY (opt_i64 (c, p, "quota", &res->cpu.quota, err));
  TRY (opt_u64 (c, p, "period", &res->cpu.period, err));
  TRY (opt_u64 (c, p, "burst", &res->cpu.burst, err));
  TRY (opt_i64 (c, p, "realtimeRuntime", &res->cpu.rt_runtime, err));
  TRY (opt_u64 (c, p, "realtimePeriod", &res->cpu.rt_period, err));
  TRY (opt_i64 (c, p, "idle", &res->cpu.idle, err));
  TRY (husk_jget_str (c, p, "cpus", false, (char **)&res->cpu.cpus, err));
  TRY (husk_jget_str (c, p, "mems", false, (char **)&res->cpu.mems, err));
  return 0;
}

static int
parse_major_minor (json_object *e, const char *ep, int64_t *major, int64_t *minor, husk_error_t *err)
{
  TRY (husk_jget_i64 (e, ep, "major", true, major, err));
  TRY (husk_jget_i64 (e, ep, "minor", true, minor, err));
  return 0;
}

static int
parse_rates (json_object *b, const char *base, const char *key, struct husk_cg_rate **out, size_t *n,
             husk_error_t *err)
{
  char p[JPATH_MAX], ep[JPATH_MAX];
  json_object *a;
  TRY (husk_jget (b, base, key, json_type_array, false, &a, err));
  if (a == NULL)
    return 0;
  husk_jpath_key (p, base, key);
  *n = json_object_array_length (a);
  if ((*out = calloc (*n + 1, sizeof (**out))) == NULL)
    return husk_error (err, ENOMEM, "%s", p);
  for (size_t i = 0; i < *n; i++)
    {
      json_object *e = json_object_array_get_idx (a, i);
      husk_jpath_idx (ep, p, i);
      TRY (husk_json_expect (e, json_type_object, ep, err));
      TRY (parse_major_minor (e, ep, &(*out)[i].major, &(*out)[i].minor, err));
      TRY (husk_jget_u64 (e, ep, "rate", true, &(*out)[i].rate, err));
    }
  return 0;
}

static int
parse_blkio (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  static const char *const thr[HUSK_THR_N] = { "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                               "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
  char p[JPATH_MAX], ep[JPATH_MAX];
  json_object *b, *a;
  TRY (husk_jget (r, base, "blockIO", json_type_object, false, &b, err));
  if (b == NULL)
    return 0;
  husk_jpath_key (p, base, "blockIO");
  TRY (opt_u64 (b, p, "weight", &res->blkio.weight, err));
  TRY (opt_u64 (b, p, "leafWeight", &res->blkio.leaf_weight, err));
  for (int i = 0; i < HUSK_THR_N; i++)
    TRY (parse_rates (b, p, thr[i], &res->blkio.thr[i], &res->blkio.n_thr[i], err));
  TRY (husk_jget (b, p, "weightDevice", json_type_array, false, &a, err));
  if (a == NULL)
    return 0;
  husk_jpath_key (ep, p, "weightDevice");
  strcpy (p, ep);
  res->blkio.n_wdev = json_object_array_length (a);
  if ((res->blkio.wdev = calloc (res->blkio.n_wdev + 1, sizeof (*res->blkio.wdev))) == NULL)
    return husk_error (err, ENOMEM, "%s", p);
  for (size_t i = 0; i < res->blkio.n_wdev; i++)
    {
      struct husk_cg_wdev *w = &res->blkio.wdev[i];
      json_object *e = json_object_array_get_idx (a, i);
      husk_jpath_idx (ep, p, i);
      TRY (husk_json_expect (e, json_type_object, ep, err));
      TRY (parse_major_minor (e, ep, &w->major, &w->minor, err));
      TRY (opt_u64 (e, ep, "weight", &w->weight, err));
      TRY (opt_u64 (e, ep, "leafWeight", &w->leaf_weight, err));
    }
  return 0;
}

static int
parse_hugepages (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX], ep[JPATH_MAX];
  json_object *a;
  TRY (husk_jget (r, base, "hugepageLimits", json_type_array, false, &a, err));
  if (a == NULL)
    return 0;
  husk_jpath_key (p, base, "hugepageLimits");
  res->n_huge = json_object_array_length (a);
  if ((res->huge = calloc (res->n_huge + 1, sizeof (*res->huge))) == NULL)
    return husk_error (err, ENOMEM, "%s", p);
  for (size_t i = 0; i < res->n_huge; i++)
    {
      json_object *e = json_object_array_get_idx (a, i);
      husk_jpath_idx (ep, p, i);
      TRY (husk_json_expect (e, json_type_object, ep, err));
      TRY (husk_jget_str (e, ep, "pageSize", true, (char **)&res->huge[i].size, err));
      TRY (husk_jget_u64 (e, ep, "limit", true, &res->huge[i].limit, err));
      if (strchr (res->huge[i].size, '/') || res->huge[i].size[0] == '.')
        return husk_error (err, 0, "%s.pageSize: invalid `%s`", ep, res->huge[i].size);
    }
  return 0;
}

static int
parse_network (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX], ap[JPATH_MAX], ep[JPATH_MAX];
  json_object *n, *a;
  TRY (husk_jget (r, base, "network", json_type_object, false, &n, err));
  if (n == NULL)
    return 0;
  husk_jpath_key (p, base, "network");
  TRY (opt_u64 (n, p, "classID", &res->class_id, err));
  TRY (husk_jget (n, p, "priorities", json_type_array, false, &a, err));
  if (a == NULL)
    return 0;
  husk_jpath_key (ap, p, "priorities");
  res->n_prios = json_object_array_length (a);
  if ((res->prios = calloc (res->n_prios + 1, sizeof (*res->prios))) == NULL)
    return husk_error (err, ENOMEM, "%s", ap);
  for (size_t i = 0; i < res->n_prios; i++)
    {
      json_object *e = json_object_array_get_idx (a, i);
      husk_jpath_idx (ep, ap, i);
      TRY (husk_json_expect (e, json_type_object, ep, err));
      TRY (husk_jget_str (e, ep, "name", true, (char **)&res->prios[i].name, err));
      TRY (husk_jget_u32 (e, ep, "priority", true, &res->prios[i].prio, err));
    }
  return 0;
}

static int
parse_dev_rule (json_object *e, const char *ep, struct husk_cg_dev_rule *d, husk_error_t *err)
{
  const char *type = "a", *access = "rwm";
  json_object *v;
  TRY (husk_json_expect (e, json_type_object, ep, err));
  TRY (husk_jget (e, ep, "allow", json_type_boolean, true, &v, err));
  d->allow = json_object_get_boolean (v);
  TRY (husk_jget_str (e, ep, "type", false, (char **)&type, err));
  TRY (husk_jget_str (e, ep, "access", false, (char **)&access, err));
  d->major = d->minor = -1;
  TRY (husk_jget_i64 (e, ep, "major", false, &d->major, err));
  TRY (husk_jget_i64 (e, ep, "minor", false, &d->minor, err));
  if (strlen (type) != 1 || !strchr ("acb", type[0]))
    return husk_error (err, 0, "%s.type: `%s` is not one of a, c, b", ep, type);
  d->type = type[0];
  if (access[0] == '\0')
    access = "rwm";
  if (strlen (access) > 3 || access[strspn (access, "rwm")] != '\0')
    return husk_error (err, 0, "%s.access: `%s` is not a combination of r, w, m", ep, access);
  strcpy (d->access, access);
  return 0;
}

static int
parse_devices (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX], ep[JPATH_MAX];
  json_object *a;
  TRY (husk_jget (r, base, "devices", json_type_array, false, &a, err));
  if (a == NULL)
    return 0;
  husk_jpath_key (p, base, "devices");
  res->has_devices = true;
  res->n_devs = json_object_array_length (a);
  if ((res->devs = calloc (res->n_devs + 1, sizeof (*res->devs))) == NULL)
    return husk_error (err, ENOMEM, "%s", p);
  for (size_t i = 0; i < res->n_devs; i++)
    TRY (parse_dev_rule (json_object_array_get_idx (a, i), husk_jpath_idx (ep, p, i), &res->devs[i], err));
  return 0;
}

static int
parse_rdma (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX], ep[JPATH_MAX];
  json_object *o;
  TRY (husk_jget (r, base, "rdma", json_type_object, false, &o, err));
  if (o == NULL)
    return 0;
  husk_jpath_key (p, base, "rdma");
  if ((res->rdma = calloc (json_object_object_length (o) + 1, sizeof (*res->rdma))) == NULL)
    return husk_error (err, ENOMEM, "%s", p);
  json_object_object_foreach (o, key, val)
  {
    struct husk_cg_rdma *d = &res->rdma[res->n_rdma++];
    husk_jpath_key (ep, p, key);
    TRY (husk_json_expect (val, json_type_object, ep, err));
    d->dev = key;
    TRY (opt_u64 (val, ep, "hcaHandles", &d->handles, err));
    TRY (opt_u64 (val, ep, "hcaObjects", &d->objects, err));
  }
  return 0;
}

static int
parse_unified (json_object *r, const char *base, struct husk_cg_res *res, husk_error_t *err)
{
  char p[JPATH_MAX], ep[JPATH_MAX];
  TRY (husk_jget (r, base, "unified", json_type_object, false, &res->unified, err));
  if (res->unified == NULL)
    return 0;
  husk_jpath_key (p, base, "unified");
  json_object_object_foreach (res->unified, key, val)
  {
    husk_jpath_key (ep, p, key);
    TRY (husk_json_expect (val, json_type_string, ep, err));
    /* A key names a file of the cgroup, never a path elsewhere. */
    if (strchr (key, '/') || key[0] == '.' || strchr (key, '.') == NULL)
      return husk_error (err, 0, "%s: `%s` is not a cgroup file name", ep, key);
  }
  return 0;
}

int
husk_cg_res_parse (json_object *o, const char *jpath, struct husk_cg_res *res, husk_error_t *err)
{
  memset (res, 0, sizeof (*res));
  if (o == NULL)
    return 0;
  if (husk_json_expect (o, json_type_object, jpath, err) < 0 || parse_memory (o, jpath, res, err) < 0
      || parse_cpu (o, jpath, res, err) < 0 || parse_blkio (o, jpath, res, err) < 0
      || parse_hugepages (o, jpath, res, err) < 0 || parse_network (o, jpath, res, err) < 0
      || parse_devices (o, jpath, res, err) < 0 || parse_rdma (o, jpath, res, err) < 0
      || parse_unified (o, jpath, res, err) < 0)
    {
      husk_cg_res_free (res);
      return -1;
    }
  json_object *pids;
  if (husk_jget (o, jpath, "pids", json_type_object, false, &pids, err) < 0)
    {
      husk_cg_res_free (res);
      return -1;
    }
  if (pids)
    {
      char p[JPATH_MAX];
      if (opt_i64 (pids, husk_jpath_key (p, jpath, "pids"), "limit", &res->pids_limit, err) < 0)
        {
          husk_cg_res_free (res);
          return -1;
        }
    }
  return 0;
}

/* runc's AllowedDevices: what every container gets on top of its rules. */
static const struct husk_cg_dev_rule default_rules[] = {
  { true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" }, /* mknod of anything */
  { true, 'c', 1, 3, "rwm" },    { true, 'c', 1, 8, "rwm" }, /* null, random */
  { true, 'c', 1, 7, "rwm" },    { true, 'c', 5, 0, "rwm" }, /* full, tty */
  { true, 'c', 1, 5, "rwm" },    { true, 'c', 1, 9, "rwm" }, /* zero, urandom */
  { true, 'c', 136, -1, "rwm" }, { true, 'c', 5, 2, "rwm" }, /* pts, ptmx */
  { true, 'c', 10, 200, "rwm" },                             /* tun */
};

int
husk_cg_res_add_default_devices (struct husk_cg_res *res, const struct husk_config *cfg, husk_error_t *err)
{
  size_t nd = sizeof (default_rules) / sizeof (default_rules[0]);
  size_t nc = cfg ? cfg->n_devices : 0;
  struct husk_cg_dev_rule *d = realloc (res->devs, (res->n_devs + nd + nc + 1) * sizeof (*d));
  if (d == NULL)
    return husk_error (err, ENOMEM, "devices");
  res->devs = d;
  res->has_devices = true;
  for (size_t i = 0; i < nd; i++)
    d[res->n_devs++] = default_rules[i];
  for (size_t i = 0; i < nc; i++)
    {
      const struct husk_device *cd = &cfg->devices[i];
      if (cd->type == 'p')
        continue; /* fifos are not controlled */
      d[res->n_devs++]
          = (struct husk_cg_dev_rule){ true, cd->type == 'b' ? 'b' : 'c', cd->major, cd->minor, "rwm" };
    }
  return 0;
}

void
husk_cg_res_free (struct husk_cg_res *res)
{
  free (res->blkio.wdev);
  for (int i = 0; i < HUSK_THR_N; i++)
    free (res->blkio.thr[i]);
  free (res->huge);
  free (res->prios);
  free (res->devs);
  free (res->rdma);
  memset (res, 0, sizeof (*res));
}

size_t
husk_cg_res_v2_needs (const struct husk_cg_res *res, bool hybrid, const char **out)
{
  size_t n = 0;
  if (res == NULL)
    return 0;
  if (res->n_huge)
    out[n++] = "hugetlb";
  if (res->n_rdma && hybrid)
    out[n++] = "rdma";
  if (!hybrid)
    {
      if (res->mem.limit.set || res->mem.reservation.set || res->mem.swap.set)
        out[n++] = "memory";
      if (res->cpu.shares.set || res->cpu.quota.set || res->cpu.period.set || res->cpu.burst.set
          || res->cpu.idle.set)
        out[n++] = "cpu";
      if (res->cpu.cpus || res->cpu.mems)
        out[n++] = "cpuset";
      if (res->pids_limit.set)
        out[n++] = "pids";
      if (res->blkio.weight.set || res->blkio.n_wdev || res->blkio.n_thr[0] || res->blkio.n_thr[1]
          || res->blkio.n_thr[2] || res->blkio.n_thr[3])
        out[n++] = "io";
      if (res->n_rdma)
        out[n++] = "rdma";
    }
  /* unified keys name their controller before the dot ("memory.high"). */
  if (res->unified)
    {
      static const char *const known[]
          = { "memory", "cpu", "cpuset", "pids", "io", "hugetlb", "rdma", "misc", NULL };
      json_object_object_foreach (res->unified, key, val)
      {
        (void)val;
        for (size_t i = 0; known[i] && n < 15; i++)
          if (strncmp (key, known[i], strlen (known[i])) == 0 && key[strlen (known[i])] == '.')
            out[n++] = known[i];
      }
    }
  return n;
}

/* ln(x) for x in [1, 2): 2 atanh((x-1)/(x+1)), a fast series there. */
static long double
ln_1_2 (long double x)
{
  long double z = (x - 1) / (x + 1), z2 = z * z, term = z, sum = 0;
  for (int k = 0; k < 40; k++, term *= z2)
    sum += term / (2 * k + 1);
  return 2 * sum;
}

static const long double LN2 = 0.693147180559945309417232121458176568L;
static const long double LN10 = 2.302585092994045684017991454684364208L;

static double
log2_u64 (uint64_t v)
{
  int n = 63 - __builtin_clzll (v);
  long double m = (long double)v / (long double)(1ULL << n);
  return (double)(n + ln_1_2 (m) / LN2);
}

/* 10^e for 0 <= e <= 4, in long double: e^(e ln 10) with the argument
 * reduced by ln 2 so the Taylor series is short. */
static double
pow10_small (double e)
{
  long double x = e * LN10, r, term = 1, sum = 1;
  int k = (int)(x / LN2 + 0.5L);
  r = x - k * LN2;
  for (int i = 1; i < 30; i++)
    {
      term *= r / i;
      sum += term;
    }
  for (; k > 0; k--)
    sum *= 2;
  return (double)sum;
}

uint64_t
husk_cg_shares_to_weight (uint64_t shares)
{
  /* Current runc and crun (>= 1.3.2 / 1.23): a quadratic in log2(shares)
   * through (2, 1), (1024, 100) and (262144, 10000), so the v1 default
   * maps to the v2 default (the old linear map gave 1024 -> 39). Done in
   * double like theirs so the ceil lands on the same integer. */
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2_u64 (shares);
  double e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  double p = pow10_small (e);
  uint64_t w = (uint64_t)p;
  return (double)w < p ? w + 1 : w;
}

uint64_t
husk_cg_blkio_to_io_weight (uint64_t w)
{
  /* [10, 1000] -> [1, 10000]. */
  if (w == 0)
    return 0;
  if (w < 10)
    w = 10;
  return 1 + (w - 10) * 9999 / 990;
}

int
husk_cg_swap_to_v2 (int64_t memsw, int64_t mem, int64_t *out, husk_error_t *err)
{
  /* v1 memory.memsw is memory+swap; v2 memory.swap.max is swap alone. */
  if (mem == -1 && memsw == 0)
    {
      *out = -1;
      return 0;
    }
  if (memsw == -1 || memsw == 0)
    {
      *out = memsw;
      return 0;
    }
  if (mem == 0 || mem == -1)
    return husk_error (err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit");
  if (memsw < mem)
    return husk_error (err, 0, "linux.resources.memory.swap: %lld is below the memory limit %lld",
                       (long long)memsw, (long long)mem);
  *out = memsw - mem;
  return 0;
}

bool
husk_cg_res_has_limits (const struct husk_cg_res *r)
{
  bool any = r->mem.limit.set || r->mem.reservation.set || r->mem.swap.set || r->mem.kernel.set
             || r->mem.kernel_tcp.set || r->mem.swappiness.set || r->mem.disable_oom;
  any |= r->cpu.shares.set || r->cpu.quota.set || r->cpu.period.set || r->cpu.burst.set
         || r->cpu.rt_runtime.set || r->cpu.rt_period.set || r->cpu.idle.set || (r->cpu.cpus && *r->cpu.cpus)
         || (r->cpu.mems && *r->cpu.mems);
  any |= r->pids_limit.set || r->blkio.weight.set || r->blkio.leaf_weight.set || r->blkio.n_wdev;
  for (int i = 0; i < HUSK_THR_N; i++)
    any |= r->blkio.n_thr[i] > 0;
  any |= r->n_huge || r->class_id.set || r->n_prios || r->n_rdma;
  return any || (r->unified && json_object_object_length (r->unified) > 0);
}
