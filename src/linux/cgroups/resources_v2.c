/* linux.resources on the unified hierarchy: everything on pure v2; on
 * hybrid only what v1 does not have (hugetlb here), plus `unified`. */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

static int
wr_max (const char *d, const char *file, int64_t v, husk_error_t *err)
{
  if (v < 0)
    return husk_cg_write (d, file, "max", err);
  return husk_cg_writef (d, file, err, "%lld", (long long)v);
}

static int
apply_memory (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  int64_t mem = res->mem.limit.set ? res->mem.limit.v : 0;
  int64_t swap = 0, cur = mem;
  /* swap alone (an update): memory+swap is relative to the current limit. */
  if (res->mem.swap.set && res->mem.swap.v > 0 && mem == 0)
    {
      uint64_t m = 0;
      TRY (husk_cg_read_u64 (d, "memory.max", &m, err));
      cur = m == UINT64_MAX ? -1 : (int64_t)m;
    }
  TRY (husk_cg_swap_to_v2 (res->mem.swap.set ? res->mem.swap.v : 0, cur, &swap, err));
  if (res->mem.check_before_update && mem > 0)
    {
      uint64_t usage = 0;
      TRY (husk_cg_read_u64 (d, "memory.current", &usage, err));
      if ((uint64_t)mem < usage)
        return husk_error (err, 0, "rejecting memory limit %lld below the current usage %llu", (long long)mem,
                           (unsigned long long)usage);
    }
  /* Swap first: memory.max may fail (EBUSY) and leave swap as it was. */
  if (swap != 0)
    {
      if (!husk_cg_exists (d, "memory.swap.max"))
        {
          if (swap > 0)
            return husk_error (err, 0, "cannot set swap limit: swap accounting is disabled in the kernel");
        }
      else
        TRY (wr_max (d, "memory.swap.max", swap, err));
    }
  if (mem != 0)
    TRY (wr_max (d, "memory.max", mem, err));
  if (res->mem.reservation.set && res->mem.reservation.v != 0)
    TRY (wr_max (d, "memory.low", res->mem.reservation.v, err));
  if (res->mem.kernel.set || res->mem.kernel_tcp.set)
    husk_warn ("linux.resources.memory.kernel*: not supported on cgroup v2; ignored");
  if (res->mem.swappiness.set)
    husk_warn ("linux.resources.memory.swappiness: not supported on cgroup v2; ignored");
  if (res->mem.disable_oom)
    husk_warn ("linux.resources.memory.disableOOMKiller: not supported on cgroup v2; ignored");
  return 0;
}

static bool
unified_has (const struct husk_cg_res *res, const char *key)
{
  json_object *v;
  return res->unified && json_object_object_get_ex (res->unified, key, &v);
}

static int
apply_cpu (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  if ((res->cpu.rt_runtime.set && res->cpu.rt_runtime.v != 0)
      || (res->cpu.rt_period.set && res->cpu.rt_period.v != 0))
    return husk_error (err, 0, "linux.resources.cpu.realtime*: not supported on cgroup v2");
  /* An explicit unified cpu.weight wins over the converted shares. */
  if (res->cpu.shares.set && res->cpu.shares.v != 0 && !unified_has (res, "cpu.weight"))
    TRY (husk_cg_writef (d, "cpu.weight", err, "%llu",
                         (unsigned long long)husk_cg_shares_to_weight ((uint64_t)res->cpu.shares.v)));
  int64_t quota = res->cpu.quota.set ? res->cpu.quota.v : 0,
          period = res->cpu.period.set ? res->cpu.period.v : 0;
  if (quota != 0 || period != 0)
    {
      char v[64];
      int n
          = quota > 0 ? snprintf (v, sizeof (v), "%lld", (long long)quota) : snprintf (v, sizeof (v), "max");
      if (period != 0)
        snprintf (v + n, sizeof (v) - n, " %lld", (long long)period);
      TRY (husk_cg_write (d, "cpu.max", v, err));
    }
  if (res->cpu.burst.set)
    TRY (husk_cg_writef (d, "cpu.max.burst", err, "%lld", (long long)res->cpu.burst.v));
  if (res->cpu.idle.set)
    TRY (husk_cg_writef (d, "cpu.idle", err, "%lld", (long long)res->cpu.idle.v));
  return 0;
}

static int
apply_io (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  static const char *const key[HUSK_THR_N] = { "rbps", "wbps", "riops", "wiops" };
  /* BFQ takes the v1 range as is; io.weight needs the conversion. */
  bool bfq = husk_cg_exists (d, "io.bfq.weight");
  if (res->blkio.weight.set && res->blkio.weight.v != 0)
    {
      if (bfq)
        TRY (husk_cg_writef (d, "io.bfq.weight", err, "%lld", (long long)res->blkio.weight.v));
      else
        TRY (husk_cg_writef (d, "io.weight", err, "%llu",
                             (unsigned long long)husk_cg_blkio_to_io_weight ((uint64_t)res->blkio.weight.v)));
    }
  for (size_t i = 0; i < res->blkio.n_wdev; i++)
    {
      const struct husk_cg_wdev *w = &res->blkio.wdev[i];
      if (!w->weight.set)
        continue;
      if (bfq)
        TRY (husk_cg_writef (d, "io.bfq.weight", err, "%lld:%lld %lld", (long long)w->major,
                             (long long)w->minor, (long long)w->weight.v));
      else
        TRY (husk_cg_writef (d, "io.weight", err, "%lld:%lld %llu", (long long)w->major, (long long)w->minor,
                             (unsigned long long)husk_cg_blkio_to_io_weight ((uint64_t)w->weight.v)));
    }
  for (int t = 0; t < HUSK_THR_N; t++)
    for (size_t i = 0; i < res->blkio.n_thr[t]; i++)
      {
        const struct husk_cg_rate *r = &res->blkio.thr[t][i];
        /* 0 means "no limit" in the spec, "max" in io.max. */
        if (r->rate == 0)
          TRY (husk_cg_writef (d, "io.max", err, "%lld:%lld %s=max", (long long)r->major, (long long)r->minor,
                               key[t]));
        else
          TRY (husk_cg_writef (d, "io.max", err, "%lld:%lld %s=%llu", (long long)r->major,
                               (long long)r->minor, key[t], (unsigned long long)r->rate));
      }
  return 0;
}

static int
apply_hugetlb (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  for (size_t i = 0; i < res->n_huge; i++)
    {
      char file[128];
      snprintf (file, sizeof (file), "hugetlb.%s.max", res->huge[i].size);
      TRY (husk_cg_writef (d, file, err, "%llu", (unsigned long long)res->huge[i].limit));
      /* Reservations too, so a mapping cannot reserve past the limit. */
      snprintf (file, sizeof (file), "hugetlb.%s.rsvd.max", res->huge[i].size);
      if (husk_cg_exists (d, file))
        TRY (husk_cg_writef (d, file, err, "%llu", (unsigned long long)res->huge[i].limit));
    }
  return 0;
}

static int
apply_rdma (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  for (size_t i = 0; i < res->n_rdma; i++)
    {
      char line[256];
      husk_cg_rdma_line (&res->rdma[i], line, sizeof (line));
      TRY (husk_cg_write (d, "rdma.max", line, err));
    }
  return 0;
}

static int
apply_unified (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  if (res->unified == NULL)
    return 0;
  json_object_object_foreach (res->unified, key, val)
  {
    const char *v = json_object_get_string (val);
    if (!husk_cg_exists (d, key))
      return husk_error (err, ENOENT,
                         "linux.resources.unified: `%s` is not a file of the cgroup "
                         "(controller not enabled or not supported)",
                         key);
    TRY (husk_cg_write (d, key, v, err));
  }
  return 0;
}

/* Fail early, naming the setting, when its controller is missing. */
static int
need (struct husk_cgroup *cg, const char *ctrl, bool wanted, husk_error_t *err)
{
  if (!wanted || husk_cg_v2_has (cg, ctrl))
    return 0;
  return husk_error (err, 0, "cannot set %s limit: the `%s` controller is not available in `%s`", ctrl, ctrl,
                     husk_cg_dir_v2 (cg));
}

static int
apply_pure (struct husk_cgroup *cg, const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  bool io = res->blkio.weight.set || res->blkio.n_wdev;
  for (int t = 0; t < HUSK_THR_N; t++)
    io |= res->blkio.n_thr[t] > 0;
  TRY (need (cg, "memory",
             (res->mem.limit.set && res->mem.limit.v) || (res->mem.swap.set && res->mem.swap.v)
                 || (res->mem.reservation.set && res->mem.reservation.v),
             err));
  TRY (need (cg, "cpu",
             (res->cpu.shares.set && res->cpu.shares.v) || res->cpu.quota.set || res->cpu.period.set
                 || res->cpu.burst.set,
             err));
  TRY (need (cg, "cpuset", (res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems), err));
  TRY (need (cg, "pids", res->pids_limit.set && res->pids_limit.v, err));
  TRY (need (cg, "io", io, err));
  if (res->class_id.set || res->n_prios)
    return husk_error (err, 0, "linux.resources.network: net_cls/net_prio do not exist on cgroup v2");
  if (res->cpu.cpus && *res->cpu.cpus)
    TRY (husk_cg_write (d, "cpuset.cpus", res->cpu.cpus, err));
  if (res->cpu.mems && *res->cpu.mems)
    TRY (husk_cg_write (d, "cpuset.mems", res->cpu.mems, err));
  if (husk_cg_v2_has (cg, "memory"))
    TRY (apply_memory (d, res, err));
  if (husk_cg_v2_has (cg, "cpu"))
    TRY (apply_cpu (d, res, err));
  if (res->pids_limit.set && res->pids_limit.v != 0)
    TRY (wr_max (d, "pids.max", res->pids_limit.v, err));
  if (io)
    TRY (apply_io (d, res, err));
  if (res->has_devices)
    TRY (husk_cg_devices_bpf_apply (d, res->devs, res->n_devs, err));
  return 0;
}

int
husk_cg_apply_v2 (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  const char *d = husk_cg_dir_v2 (cg);
  bool hybrid = cg->layout == HUSK_CG_HYBRID;
  if (d == NULL)
    return 0;
  if (!hybrid)
    TRY (apply_pure (cg, d, res, err));
  /* On hybrid, hugetlb/rdma come here only when v1 does not have them. */
  if (res->n_huge && (!hybrid || husk_cg_dir_v1 (cg, "hugetlb") == NULL))
    {
      TRY (need (cg, "hugetlb", true, err));
      TRY (apply_hugetlb (d, res, err));
    }
  if (res->n_rdma && (!hybrid || husk_cg_dir_v1 (cg, "rdma") == NULL))
    {
      TRY (need (cg, "rdma", true, err));
      TRY (apply_rdma (d, res, err));
    }
  return apply_unified (d, res, err);
}
