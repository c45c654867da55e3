/* linux.resources on cgroup v1 controllers (also the v1 half of hybrid). */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/fs.h"
#include "util/log.h"

static int
wr_i64 (const char *dir, const char *file, int64_t v, husk_error_t *err)
{
  return husk_cg_writef (dir, file, err, "%lld", (long long)v);
}

/* The v1 directory of ctrl; *skip when the setting lives elsewhere (v2
 * half of hybrid) or nothing is asked. Error when asked but not mounted. */
static const char *
need_dir (struct husk_cgroup *cg, const char *ctrl, bool wanted, bool *skip, husk_error_t *err)
{
  const char *d = husk_cg_dir_v1 (cg, ctrl);
  *skip = false;
  if (d || !wanted)
    {
      *skip = d == NULL;
      return d;
    }
  if (cg->layout == HUSK_CG_HYBRID && husk_cg_v2_has (cg, ctrl))
    {
      *skip = true;
      return NULL;
    }
  husk_error (err, 0, "cannot set %s limit: the `%s` controller is not mounted", ctrl, ctrl);
  return NULL;
}

#define NEED(var, ctrl, wanted)                                                                              \
  bool skip_##var;                                                                                           \
  const char *var = need_dir (cg, ctrl, wanted, &skip_##var, err);                                           \
  if (var == NULL && !skip_##var)                                                                            \
    return -1;                                                                                               \
  if (skip_##var)                                                                                            \
  return 0

/* A setting the kernel dropped (kmem on >= 6.x) only warns. */
static int
try_optional (const char *dir, const char *file, int64_t v, husk_error_t *err)
{
  if (wr_i64 (dir, file, v, err) == 0)
    return 0;
  int e = (*err)->errno_;
  if (e != ENOENT && e != EOPNOTSUPP && e != EINVAL)
    return -1;
  husk_warn ("%s; ignored", (*err)->msg);
  husk_error_free (err);
  return 0;
}

static int
memory_and_swap (const char *d, const struct husk_cg_res *res, husk_error_t *err)
{
  int64_t mem = res->mem.limit.set ? res->mem.limit.v : 0;
  int64_t swap = res->mem.swap.set ? res->mem.swap.v : 0;
  bool has_memsw = husk_cg_exists (d, "memory.memsw.limit_in_bytes");
  if (mem == -1 && swap == 0)
    swap = -1;
  if (!has_memsw && swap != 0 && swap != -1)
    return husk_error (err, 0, "cannot set swap limit: swap accounting is disabled in the kernel");
  if (!has_memsw)
    swap = 0;
  /* A new memory limit alone keeps the swap allowance it had (memsw -
   * memory), so raising memory above the old memsw works. */
  if (has_memsw && mem > 0 && !res->mem.swap.set)
    {
      uint64_t cur_mem = 0, cur_sw = 0;
      TRY (husk_cg_read_u64 (d, "memory.limit_in_bytes", &cur_mem, err));
      TRY (husk_cg_read_u64 (d, "memory.memsw.limit_in_bytes", &cur_sw, err));
      if (cur_sw < (1ULL << 62) && cur_sw >= cur_mem)
        swap = mem + (int64_t)(cur_sw - cur_mem);
    }
  if (mem != 0 && swap != 0)
    {
      /* memsw must stay >= memory at every step. */
      uint64_t cur = 0;
      TRY (husk_cg_read_u64 (d, "memory.memsw.limit_in_bytes", &cur, err));
      if (swap == -1 || cur < (uint64_t)swap)
        {
          TRY (wr_i64 (d, "memory.memsw.limit_in_bytes", swap, err));
          return wr_i64 (d, "memory.limit_in_bytes", mem, err);
        }
      TRY (wr_i64 (d, "memory.limit_in_bytes", mem, err));
      return wr_i64 (d, "memory.memsw.limit_in_bytes", swap, err);
    }
  if (mem != 0)
    TRY (wr_i64 (d, "memory.limit_in_bytes", mem, err));
  if (swap != 0)
    TRY (wr_i64 (d, "memory.memsw.limit_in_bytes", swap, err));
  return 0;
}

static int
apply_memory (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  bool wanted = res->mem.limit.set || res->mem.swap.set || res->mem.reservation.set || res->mem.kernel.set
                || res->mem.kernel_tcp.set || res->mem.swappiness.set || res->mem.disable_oom;
  NEED (d, "memory", wanted);
  if (!wanted)
    return 0;
  if (res->mem.check_before_update && res->mem.limit.set && res->mem.limit.v > 0)
    {
      uint64_t usage = 0;
      TRY (husk_cg_read_u64 (d, "memory.usage_in_bytes", &usage, err));
      if ((uint64_t)res->mem.limit.v < usage)
        return husk_error (err, 0, "rejecting memory limit %lld below the current usage %llu",
                           (long long)res->mem.limit.v, (unsigned long long)usage);
    }
  TRY (memory_and_swap (d, res, err));
  if (res->mem.reservation.set && res->mem.reservation.v != 0)
    TRY (wr_i64 (d, "memory.soft_limit_in_bytes", res->mem.reservation.v, err));
  if (res->mem.kernel.set && res->mem.kernel.v != 0)
    TRY (try_optional (d, "memory.kmem.limit_in_bytes", res->mem.kernel.v, err));
  if (res->mem.kernel_tcp.set && res->mem.kernel_tcp.v != 0)
    TRY (try_optional (d, "memory.kmem.tcp.limit_in_bytes", res->mem.kernel_tcp.v, err));
  if (res->mem.swappiness.set)
    TRY (wr_i64 (d, "memory.swappiness", res->mem.swappiness.v, err));
  if (res->mem.disable_oom)
    TRY (husk_cg_write (d, "memory.oom_control", "1", err));
  return 0;
}

/* Period and quota (and the rt pair) constrain each other; when the first
 * write is refused, write the other one first, as runc does. */
static int
write_pair (const char *d, const char *f1, struct husk_cg_opt v1, const char *f2, struct husk_cg_opt v2,
            husk_error_t *err)
{
  bool w1 = v1.set && v1.v != 0, w2 = v2.set && v2.v != 0;
  if (w1 && wr_i64 (d, f1, v1.v, err) < 0)
    {
      if ((*err)->errno_ != EINVAL || !w2)
        return -1;
      husk_error_free (err);
      TRY (wr_i64 (d, f2, v2.v, err));
      return wr_i64 (d, f1, v1.v, err);
    }
  if (w2)
    TRY (wr_i64 (d, f2, v2.v, err));
  return 0;
}

static int
apply_cpu (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  bool wanted = res->cpu.shares.set || res->cpu.quota.set || res->cpu.period.set || res->cpu.burst.set
                || res->cpu.rt_runtime.set || res->cpu.rt_period.set || res->cpu.idle.set;
  NEED (d, "cpu", wanted);
  if (res->cpu.shares.set && res->cpu.shares.v != 0)
    {
      uint64_t got = 0;
      TRY (wr_i64 (d, "cpu.shares", res->cpu.shares.v, err));
      TRY (husk_cg_read_u64 (d, "cpu.shares", &got, err));
      /* The kernel clamps silently; say so instead. */
      if ((uint64_t)res->cpu.shares.v > got)
        return husk_error (err, 0, "the maximum allowed cpu-shares is %llu", (unsigned long long)got);
      if ((uint64_t)res->cpu.shares.v < got)
        return husk_error (err, 0, "the minimum allowed cpu-shares is %llu", (unsigned long long)got);
    }
  TRY (write_pair (d, "cpu.cfs_period_us", res->cpu.period, "cpu.cfs_quota_us", res->cpu.quota, err));
  if (res->cpu.burst.set)
    TRY (wr_i64 (d, "cpu.cfs_burst_us", res->cpu.burst.v, err));
  if (res->cpu.idle.set)
    TRY (wr_i64 (d, "cpu.idle", res->cpu.idle.v, err));
  return write_pair (d, "cpu.rt_period_us", res->cpu.rt_period, "cpu.rt_runtime_us", res->cpu.rt_runtime,
                     err);
}

static int
apply_cpuset (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  bool wanted = (res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems);
  NEED (d, "cpuset", wanted);
  if (res->cpu.cpus && *res->cpu.cpus)
    TRY (husk_cg_write (d, "cpuset.cpus", res->cpu.cpus, err));
  if (res->cpu.mems && *res->cpu.mems)
    TRY (husk_cg_write (d, "cpuset.mems", res->cpu.mems, err));
  return 0;
}

static int
apply_pids (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  NEED (d, "pids", res->pids_limit.set && res->pids_limit.v != 0);
  if (!res->pids_limit.set || res->pids_limit.v == 0)
    return 0;
  if (res->pids_limit.v < 0)
    return husk_cg_write (d, "pids.max", "max", err);
  return wr_i64 (d, "pids.max", res->pids_limit.v, err);
}

static const char *
blkio_file (const char *d, const char *plain, const char *bfq)
{
  return husk_cg_exists (d, bfq) || !husk_cg_exists (d, plain) ? bfq : plain;
}

static int
apply_blkio (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  static const char *const thr[HUSK_THR_N]
      = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
          "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
  bool wanted = res->blkio.weight.set || res->blkio.leaf_weight.set || res->blkio.n_wdev;
  for (int i = 0; i < HUSK_THR_N; i++)
    wanted |= res->blkio.n_thr[i] > 0;
  NEED (d, "blkio", wanted);
  /* Without CFQ the weights are BFQ's (blkio.bfq.weight). */
  if (res->blkio.weight.set && res->blkio.weight.v != 0)
    TRY (wr_i64 (d, blkio_file (d, "blkio.weight", "blkio.bfq.weight"), res->blkio.weight.v, err));
  if (res->blkio.leaf_weight.set && res->blkio.leaf_weight.v != 0)
    TRY (wr_i64 (d, "blkio.leaf_weight", res->blkio.leaf_weight.v, err));
  for (size_t i = 0; i < res->blkio.n_wdev; i++)
    {
      const struct husk_cg_wdev *w = &res->blkio.wdev[i];
      if (w->weight.set)
        TRY (husk_cg_writef (d, blkio_file (d, "blkio.weight_device", "blkio.bfq.weight_device"), err,
                             "%lld:%lld %lld", (long long)w->major, (long long)w->minor,
                             (long long)w->weight.v));
      if (w->leaf_weight.set)
        TRY (husk_cg_writef (d, "blkio.leaf_weight_device", err, "%lld:%lld %lld", (long long)w->major,
                             (long long)w->minor, (long long)w->leaf_weight.v));
    }
  for (int t = 0; t < HUSK_THR_N; t++)
    for (size_t i = 0; i < res->blkio.n_thr[t]; i++)
      {
        const struct husk_cg_rate *r = &res->blkio.thr[t][i];
        TRY (husk_cg_writef (d, thr[t], err, "%lld:%lld %llu", (long long)r->major, (long long)r->minor,
                             (unsigned long long)r->rate));
      }
  return 0;
}

static int
apply_hugetlb (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  NEED (d, "hugetlb", res->n_huge > 0);
  for (size_t i = 0; i < res->n_huge; i++)
    {
      char file[128];
      snprintf (file, sizeof (file), "hugetlb.%s.limit_in_bytes", res->huge[i].size);
      TRY (wr_i64 (d, file, (int64_t)res->huge[i].limit, err));
      snprintf (file, sizeof (file), "hugetlb.%s.rsvd.limit_in_bytes", res->huge[i].size);
      if (husk_cg_exists (d, file))
        TRY (wr_i64 (d, file, (int64_t)res->huge[i].limit, err));
    }
  return 0;
}

static int
apply_net (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  if (res->class_id.set && res->class_id.v != 0)
    {
      NEED (d, "net_cls", true);
      TRY (wr_i64 (d, "net_cls.classid", res->class_id.v, err));
    }
  if (res->n_prios)
    {
      NEED (d, "net_prio", true);
      for (size_t i = 0; i < res->n_prios; i++)
        TRY (husk_cg_writef (d, "net_prio.ifpriomap", err, "%s %u", res->prios[i].name, res->prios[i].prio));
    }
  return 0;
}

int
husk_cg_rdma_line (const struct husk_cg_rdma *r, char *buf, size_t len)
{
  int n = snprintf (buf, len, "%s", r->dev);
  if (r->handles.set)
    n += snprintf (buf + n, len - n, " hca_handle=%lld", (long long)r->handles.v);
  if (r->objects.set)
    n += snprintf (buf + n, len - n, " hca_object=%lld", (long long)r->objects.v);
  return n;
}

static int
apply_rdma (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  NEED (d, "rdma", res->n_rdma > 0);
  for (size_t i = 0; i < res->n_rdma; i++)
    {
      char line[256];
      husk_cg_rdma_line (&res->rdma[i], line, sizeof (line));
      TRY (husk_cg_write (d, "rdma.max", line, err));
    }
  return 0;
}

static void
dev_rule_str (const struct husk_cg_dev_rule *r, char *buf, size_t len)
{
  char maj[24] = "*", min[24] = "*";
  if (r->major >= 0)
    snprintf (maj, sizeof (maj), "%lld", (long long)r->major);
  if (r->minor >= 0)
    snprintf (min, sizeof (min), "%lld", (long long)r->minor);
  if (r->type == 'a')
    snprintf (buf, len, "a *:* %s", r->access);
  else
    snprintf (buf, len, "%c %s:%s %s", r->type, maj, min, r->access);
}

static int
apply_devices (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  const char *d = husk_cg_dir_v1 (cg, "devices");
  if (!res->has_devices)
    return 0;
  if (d == NULL)
    return cg->layout == HUSK_CG_V1
               ? husk_error (err, 0, "cannot set devices: the `devices` controller is not mounted")
               : 0;
  /* The rules are a whitelist on top of "deny everything", as runc. Each
   * file is opened once; v1 parses every write(2) as one rule. */
  cleanup_close int deny = -1, allow = -1;
  TRY (husk_cg_write_fd (d, "devices.deny", &deny, "a", err));
  for (size_t i = 0; i < res->n_devs; i++)
    {
      char rule[80];
      dev_rule_str (&res->devs[i], rule, sizeof (rule));
      if (res->devs[i].allow)
        TRY (husk_cg_write_fd (d, "devices.allow", &allow, rule, err));
      else
        TRY (husk_cg_write_fd (d, "devices.deny", &deny, rule, err));
    }
  return 0;
}

int
husk_cg_apply_v1 (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err)
{
  int (*const steps[]) (struct husk_cgroup *, const struct husk_cg_res *, husk_error_t *)
      = { apply_devices, apply_cpuset,  apply_memory, apply_cpu, apply_pids,
          apply_blkio,   apply_hugetlb, apply_net,    apply_rdma };
  for (size_t i = 0; i < sizeof (steps) / sizeof (steps[0]); i++)
    TRY (steps[i](cg, res, err));
  if (res->unified && json_object_object_length (res->unified) && cg->layout == HUSK_CG_V1)
    return husk_error (err, 0, "linux.resources.unified: needs cgroup v2, this host has only v1");
  return 0;
}
