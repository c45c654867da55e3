/* runc's `events` stats object (types/events.go), read from v1 or v2. */
#include "linux/cgroups/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
put (json_object *o, const char *k, uint64_t v)
{
  json_object_object_add (o, k, json_object_new_uint64 (v));
}

/* Go's omitempty: zero values are left out. */
static void
put_nz (json_object *o, const char *k, uint64_t v)
{
  if (v)
    put (o, k, v);
}

static uint64_t
rd (const char *d, const char *f)
{
  uint64_t v = 0;
  husk_error_t e = NULL;
  if (d == NULL || husk_cg_read_u64 (d, f, &v, &e) < 0)
    husk_error_free (&e);
  return v == UINT64_MAX ? 0 : v;
}

static uint64_t
rd_key (const char *d, const char *f, const char *k)
{
  uint64_t v = 0;
  husk_error_t e = NULL;
  if (d == NULL || husk_cg_read_key (d, f, k, &v, &e) < 0)
    husk_error_free (&e);
  return v;
}

static json_object *
u64_list (const char *d, const char *f, uint64_t mul)
{
  cleanup_free char *s = NULL;
  husk_error_t e = NULL;
  if (husk_cg_read (d, f, &s, &e) < 0)
    {
      husk_error_free (&e);
      return NULL;
    }
  json_object *a = json_object_new_array ();
  for (char *save = NULL, *t = strtok_r (s, " \n", &save); t; t = strtok_r (NULL, " \n", &save))
    json_object_array_add (a, json_object_new_uint64 (strtoull (t, NULL, 10) * mul));
  return a;
}

static json_object *
cpu_v1 (const struct husk_cgroup *cg)
{
  const char *acct = husk_cg_dir_v1 (cg, "cpuacct"), *cpu = husk_cg_dir_v1 (cg, "cpu");
  json_object *o = json_object_new_object (), *u = json_object_new_object (), *t = json_object_new_object ();
  long hz = sysconf (_SC_CLK_TCK);
  uint64_t ns_per_tick = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
  if (acct)
    {
      static const char *const lists[][2] = { { "percpu", "cpuacct.usage_percpu" },
                                              { "percpu_kernel", "cpuacct.usage_percpu_sys" },
                                              { "percpu_user", "cpuacct.usage_percpu_user" } };
      put_nz (u, "total", rd (acct, "cpuacct.usage"));
      for (size_t i = 0; i < 3; i++)
        {
          json_object *a = u64_list (acct, lists[i][1], 1);
          if (a && json_object_array_length (a))
            json_object_object_add (u, lists[i][0], a);
          else
            json_object_put (a);
        }
    }
  put (u, "kernel", rd_key (acct, "cpuacct.stat", "system") * ns_per_tick);
  put (u, "user", rd_key (acct, "cpuacct.stat", "user") * ns_per_tick);
  put_nz (t, "periods", rd_key (cpu, "cpu.stat", "nr_periods"));
  put_nz (t, "throttledPeriods", rd_key (cpu, "cpu.stat", "nr_throttled"));
  put_nz (t, "throttledTime", rd_key (cpu, "cpu.stat", "throttled_time"));
  json_object_object_add (o, "usage", u);
  json_object_object_add (o, "throttling", t);
  return o;
}

static json_object *
cpu_v2 (const char *d)
{
  json_object *o = json_object_new_object (), *u = json_object_new_object (), *t = json_object_new_object ();
  put_nz (u, "total", rd_key (d, "cpu.stat", "usage_usec") * 1000);
  put (u, "kernel", rd_key (d, "cpu.stat", "system_usec") * 1000);
  put (u, "user", rd_key (d, "cpu.stat", "user_usec") * 1000);
  put_nz (t, "periods", rd_key (d, "cpu.stat", "nr_periods"));
  put_nz (t, "throttledPeriods", rd_key (d, "cpu.stat", "nr_throttled"));
  put_nz (t, "throttledTime", rd_key (d, "cpu.stat", "throttled_usec") * 1000);
  json_object_object_add (o, "usage", u);
  json_object_object_add (o, "throttling", t);
  return o;
}

/* A flat keyed file as a {"key": n} object. */
static json_object *
raw_map (const char *d, const char *f)
{
  cleanup_free char *s = NULL;
  husk_error_t e = NULL;
  json_object *o = json_object_new_object ();
  if (d == NULL || husk_cg_read (d, f, &s, &e) < 0)
    {
      husk_error_free (&e);
      return o;
    }
  for (char *save = NULL, *l = strtok_r (s, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (l, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      put (o, l, strtoull (sp + 1, NULL, 10));
    }
  return o;
}

static json_object *
mem_entry (const char *d, const char *prefix)
{
  json_object *o = json_object_new_object ();
  char f[96];
  snprintf (f, sizeof (f), "%s.limit_in_bytes", prefix);
  put (o, "limit", rd (d, f));
  snprintf (f, sizeof (f), "%s.usage_in_bytes", prefix);
  put_nz (o, "usage", rd (d, f));
  snprintf (f, sizeof (f), "%s.max_usage_in_bytes", prefix);
  put_nz (o, "max", rd (d, f));
  snprintf (f, sizeof (f), "%s.failcnt", prefix);
  put (o, "failcnt", rd (d, f));
  return o;
}

static json_object *
memory_v1 (const char *d)
{
  json_object *o = json_object_new_object ();
  json_object *raw = raw_map (d, "memory.stat");
  json_object *c;
  if (json_object_object_get_ex (raw, "total_cache", &c) || json_object_object_get_ex (raw, "cache", &c))
    put_nz (o, "cache", json_object_get_uint64 (c));
  json_object_object_add (o, "usage", mem_entry (d, "memory"));
  json_object_object_add (o, "swap", mem_entry (d, "memory.memsw"));
  json_object_object_add (o, "kernel", mem_entry (d, "memory.kmem"));
  json_object_object_add (o, "kernelTCP", mem_entry (d, "memory.kmem.tcp"));
  if (json_object_object_length (raw))
    json_object_object_add (o, "raw", raw);
  else
    json_object_put (raw);
  return o;
}

static json_object *
memory_v2 (const char *d)
{
  json_object *o = json_object_new_object (), *u = json_object_new_object (), *s = json_object_new_object ();
  json_object *raw = raw_map (d, "memory.stat"), *c;
  uint64_t cur = rd (d, "memory.current"), limit = rd (d, "memory.max");
  if (json_object_object_get_ex (raw, "file", &c))
    put_nz (o, "cache", json_object_get_uint64 (c));
  put (u, "limit", limit ? limit : UINT64_MAX);
  put_nz (u, "usage", cur);
  put_nz (u, "max", rd (d, "memory.peak"));
  put (u, "failcnt", rd_key (d, "memory.events", "max"));
  /* runc reports swap as memory+swap, like v1's memsw. */
  put (s, "limit", rd (d, "memory.swap.max") ? rd (d, "memory.swap.max") : UINT64_MAX);
  put_nz (s, "usage", rd (d, "memory.swap.current") + cur);
  put (s, "failcnt", rd_key (d, "memory.swap.events", "max"));
  json_object_object_add (o, "usage", u);
  json_object_object_add (o, "swap", s);
  json_object_object_add (o, "kernel", json_object_new_object ());
  json_object_object_add (o, "kernelTCP", json_object_new_object ());
  json_object_object_add (o, "raw", raw);
  return o;
}

static json_object *
pids (const char *d)
{
  json_object *o = json_object_new_object ();
  put_nz (o, "current", rd (d, "pids.current"));
  put_nz (o, "limit", rd (d, "pids.max"));
  return o;
}

static void
blk_entry (json_object *a, const char *dev, const char *op, uint64_t v)
{
  json_object *e = json_object_new_object ();
  unsigned maj = 0, min = 0;
  if (dev)
    sscanf (dev, "%u:%u", &maj, &min);
  put_nz (e, "major", maj);
  put_nz (e, "minor", min);
  json_object_object_add (e, "op", json_object_new_string (op));
  put_nz (e, "value", v);
  json_object_array_add (a, e);
}

/* "8:0 Read 123" lines, and a final "Total 456". */
static json_object *
blk_v1_list (const char *d, const char *f)
{
  cleanup_free char *s = NULL;
  husk_error_t e = NULL;
  json_object *a = json_object_new_array ();
  if (husk_cg_read (d, f, &s, &e) < 0)
    {
      husk_error_free (&e);
      return a;
    }
  for (char *save = NULL, *l = strtok_r (s, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char dev[32], op[32];
      unsigned long long v;
      if (sscanf (l, "%31s %31s %llu", dev, op, &v) == 3)
        blk_entry (a, dev, op, v);
    }
  return a;
}

static void
add_nonempty (json_object *o, const char *k, json_object *a)
{
  if (json_object_array_length (a))
    json_object_object_add (o, k, a);
  else
    json_object_put (a);
}

static json_object *
blkio_v1 (const char *d)
{
  json_object *o = json_object_new_object ();
  /* CFQ's files when present, else BFQ's, else the throttle counters. */
  const char *pre = husk_cg_exists (d, "blkio.io_service_bytes_recursive")       ? "blkio."
                    : husk_cg_exists (d, "blkio.bfq.io_service_bytes_recursive") ? "blkio.bfq."
                                                                                 : "blkio.throttle.";
  char f[96];
  snprintf (f, sizeof (f), "%sio_service_bytes_recursive", pre);
  add_nonempty (o, "ioServiceBytesRecursive", blk_v1_list (d, f));
  snprintf (f, sizeof (f), "%sio_serviced_recursive", pre);
  add_nonempty (o, "ioServicedRecursive", blk_v1_list (d, f));
  return o;
}

static json_object *
blkio_v2 (const char *d)
{
  json_object *o = json_object_new_object (), *bytes = json_object_new_array (),
              *ios = json_object_new_array ();
  cleanup_free char *s = NULL;
  husk_error_t e = NULL;
  if (husk_cg_read (d, "io.stat", &s, &e) < 0)
    husk_error_free (&e);
  for (char *save = NULL, *l = s ? strtok_r (s, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      char dev[32];
      unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
      if (sscanf (l, "%31s", dev) != 1)
        continue;
      char *p;
      if ((p = strstr (l, "rbytes=")))
        rb = strtoull (p + 7, NULL, 10);
      if ((p = strstr (l, "wbytes=")))
        wb = strtoull (p + 7, NULL, 10);
      if ((p = strstr (l, "rios=")))
        ri = strtoull (p + 5, NULL, 10);
      if ((p = strstr (l, "wios=")))
        wi = strtoull (p + 5, NULL, 10);
      blk_entry (bytes, dev, "Read", rb);
      blk_entry (bytes, dev, "Write", wb);
      blk_entry (ios, dev, "Read", ri);
      blk_entry (ios, dev, "Write", wi);
    }
  add_nonempty (o, "ioServiceBytesRecursive", bytes);
  add_nonempty (o, "ioServicedRecursive", ios);
  return o;
}

/* Page sizes from /sys/kernel/mm/hugepages ("hugepages-2048kB" -> "2MB"). */
static json_object *
hugetlb (const char *d, bool v2)
{
  json_object *o = json_object_new_object ();
  DIR *dd = opendir ("/sys/kernel/mm/hugepages");
  if (dd == NULL || d == NULL)
    {
      if (dd)
        closedir (dd);
      return o;
    }
  for (struct dirent *de; (de = readdir (dd));)
    {
      unsigned long kb;
      char name[32], f[96];
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      if (kb >= 1024 * 1024)
        snprintf (name, sizeof (name), "%luGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (name, sizeof (name), "%luMB", kb / 1024);
      else
        snprintf (name, sizeof (name), "%luKB", kb);
      json_object *h = json_object_new_object ();
      snprintf (f, sizeof (f), v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes", name);
      put_nz (h, "usage", rd (d, f));
      snprintf (f, sizeof (f), v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes", name);
      put_nz (h, "max", v2 ? 0 : rd (d, f));
      snprintf (f, sizeof (f), v2 ? "hugetlb.%s.events" : "hugetlb.%s.failcnt", name);
      put (h, "failcnt", v2 ? rd_key (d, f, "max") : rd (d, f));
      json_object_object_add (o, name, h);
    }
  closedir (dd);
  return o;
}

/* "0-2,4" -> [0,1,2,4]. */
static json_object *
cpu_list (const char *d, const char *f)
{
  cleanup_free char *s = NULL;
  husk_error_t e = NULL;
  json_object *a = json_object_new_array ();
  if (d == NULL || husk_cg_read (d, f, &s, &e) < 0)
    {
      husk_error_free (&e);
      return a;
    }
  for (char *save = NULL, *t = strtok_r (s, ",\n", &save); t; t = strtok_r (NULL, ",\n", &save))
    {
      char *dash = strchr (t, '-');
      unsigned long lo = strtoul (t, NULL, 10), hi = dash ? strtoul (dash + 1, NULL, 10) : lo;
      for (unsigned long i = lo; i <= hi && i < 65536; i++)
        json_object_array_add (a, json_object_new_uint64 (i));
    }
  return a;
}

/* own: d is the container's; otherwise the cpuset cgroup it shares (no
 * cpus/mems asked for): its cpus and mems are the container's, its flags
 * are not (those of a new child are reported). */
static json_object *
cpuset (const char *d, bool v2, bool own)
{
  static const char *const flags[][2] = { { "cpu_exclusive", "cpuset.cpu_exclusive" },
                                          { "mem_hardwall", "cpuset.mem_hardwall" },
                                          { "mem_exclusive", "cpuset.mem_exclusive" },
                                          { "memory_migrate", "cpuset.memory_migrate" },
                                          { "memory_spread_page", "cpuset.memory_spread_page" },
                                          { "memory_spread_slab", "cpuset.memory_spread_slab" },
                                          { "memory_pressure", "cpuset.memory_pressure" },
                                          { "sched_load_balance", "cpuset.sched_load_balance" } };
  json_object *o = json_object_new_object ();
  if (d == NULL)
    return o;
  add_nonempty (o, "cpus", cpu_list (d, v2 ? "cpuset.cpus.effective" : "cpuset.cpus"));
  add_nonempty (o, "mems", cpu_list (d, v2 ? "cpuset.mems.effective" : "cpuset.mems"));
  for (size_t i = 0; i < sizeof (flags) / sizeof (flags[0]); i++)
    put (o, flags[i][0],
         v2    ? 0
         : own ? rd (d, flags[i][1])
               : strcmp (flags[i][0], "sched_load_balance") == 0);
  cleanup_free char *lvl = NULL;
  husk_error_t e = NULL;
  int64_t level = v2 || own ? 0 : -1;
  if (!v2 && own && husk_cg_read (d, "cpuset.sched_relax_domain_level", &lvl, &e) == 0)
    level = strtoll (lvl, NULL, 10);
  husk_error_free (&e);
  json_object_object_add (o, "sched_relax_domain_level", json_object_new_int64 (level));
  return o;
}

int
husk_cgroup_stats (struct husk_cgroup *cg, json_object **out, husk_error_t *err)
{
  const char *v2 = husk_cg_dir_v2 (cg);
  bool pure = cg->layout == HUSK_CG_V2;
  json_object *o = json_object_new_object ();
  if (o == NULL)
    return husk_error (err, ENOMEM, "stats");
  const char *mem = pure ? v2 : husk_cg_dir_v1 (cg, "memory");
  const char *pd = pure ? v2 : husk_cg_dir_v1 (cg, "pids");
  const char *blk = pure ? v2 : husk_cg_dir_v1 (cg, "blkio");
  const char *huge = pure ? v2 : husk_cg_dir_v1 (cg, "hugetlb");
  bool huge_v2 = pure || (huge == NULL && v2 != NULL);
  json_object_object_add (o, "cpu", pure ? cpu_v2 (v2) : cpu_v1 (cg));
  const char *cs = pure ? v2 : husk_cg_dir_v1 (cg, "cpuset");
  json_object_object_add (o, "cpuset", cpuset (cs ? cs : cg->cpuset_join, pure, cs != NULL));
  json_object_object_add (o, "memory",
                          mem ? (pure ? memory_v2 (mem) : memory_v1 (mem)) : json_object_new_object ());
  json_object_object_add (o, "pids", pids (pd));
  json_object_object_add (o, "blkio",
                          blk ? (pure ? blkio_v2 (blk) : blkio_v1 (blk)) : json_object_new_object ());
  json_object_object_add (o, "hugetlb", hugetlb (huge ? huge : v2, huge_v2));
  json_object_object_add (o, "intel_rdt", json_object_new_object ());
  json_object_object_add (o, "network_interfaces", NULL);
  *out = o;
  return 0;
}

/* OOM kills so far: v1 memory.oom_control "oom_kill", v2 memory.events. */
int
husk_cgroup_oom_count (struct husk_cgroup *cg, uint64_t *count, husk_error_t *err)
{
  const char *d = cg->layout == HUSK_CG_V2 ? husk_cg_dir_v2 (cg) : husk_cg_dir_v1 (cg, "memory");
  *count = 0;
  if (d == NULL)
    return husk_error (err, ENOENT, "the container has no memory cgroup");
  if (cg->layout == HUSK_CG_V2)
    return husk_cg_read_key (d, "memory.events", "oom_kill", count, err) < 0 ? -1 : 0;
  return husk_cg_read_key (d, "memory.oom_control", "oom_kill", count, err) < 0 ? -1 : 0;
}
