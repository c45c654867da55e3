/* Internals shared by the cgroupfs driver files. */
#ifndef HUSK_LINUX_CGROUP_INTERNAL_H
#define HUSK_LINUX_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "linux/cgroups/cgroup.h"

enum husk_cg_layout
{
  HUSK_CG_V1,
  HUSK_CG_V2,
  HUSK_CG_HYBRID
};

/* One mounted hierarchy of the host. */
struct husk_cg_mount
{
  char *mnt;   /* mount point */
  char *root;  /* root of the mount inside the hierarchy ("/" normally) */
  char *ctrls; /* comma list ("cpu,cpuacct", "name=systemd"); "" for v2 */
  bool v2;
};

struct husk_cg_layout_info
{
  enum husk_cg_layout layout;
  struct husk_cg_mount *mounts;
  size_t n;
};

/* A directory of the container in one hierarchy. */
struct husk_cg_dir
{
  char *ctrls; /* as in the mount ("" for the v2 hierarchy) */
  char *path;  /* absolute directory */
  bool v2;
  size_t base; /* length of the mount point prefix of path (create only) */
};

struct husk_cgroup
{
  enum husk_cg_layout layout;
  char *inner; /* the cgroupsPath (the id when absent: relative to our own cgroup) */
  int parents; /* ancestors to try to remove on destroy (we created them) */
  struct husk_cg_dir *dirs;
  size_t n;
  /* v1 cpuset made only when cpus/mems are asked for (see docs/cgroups.md):
   * until then the container runs in cpuset_join, the nearest existing
   * ancestor of the directory it would have, which is never removed,
   * signalled or listed. update makes cpuset_path and moves it there. */
  char *cpuset_path;  /* the container's cpuset directory to be (absolute) */
  size_t cpuset_base; /* length of its mount point prefix */
  char *cpuset_join;  /* the existing cpuset cgroup the container runs in */
  bool cpuset_here;   /* create: we are in cpuset_join already (not saved) */
};

/* Layout detection (layout.c). */
int husk_cg_layout_detect (struct husk_cg_layout_info *out, husk_error_t *err);
void husk_cg_layout_free (struct husk_cg_layout_info *l);
bool husk_cg_ctrls_has (const char *ctrls, const char *ctrl);
const char *husk_cg_layout_name (enum husk_cg_layout l);

/* The directory of controller `ctrl` ("memory", "name=systemd"), or of the
 * v2 hierarchy when ctrl is NULL; NULL when the container has none. On v2,
 * a controller name returns the v2 directory if the controller is there. */
const char *husk_cg_dir_v1 (const struct husk_cgroup *cg, const char *ctrl);
const char *husk_cg_dir_v2 (const struct husk_cgroup *cg);
/* Whether any directory of cg is the root of its hierarchy. */
bool husk_cg_any_root (const struct husk_cgroup *cg);
/* Whether the v2 directory has `ctrl` in cgroup.controllers. */
bool husk_cg_v2_has (const struct husk_cgroup *cg, const char *ctrl);

/* File helpers: errors read "write `memory.max` = `1`: Device or resource busy". */
int husk_cg_write (const char *dir, const char *file, const char *value, husk_error_t *err);
/* The same on *fd, which is opened on first use (-1) and kept for more
 * writes; the caller closes it. */
int husk_cg_write_fd (const char *dir, const char *file, int *fd, const char *value, husk_error_t *err);
int husk_cg_writef (const char *dir, const char *file, husk_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
int husk_cg_read (const char *dir, const char *file, char **out, husk_error_t *err);
/* Read a single integer (or "max" -> UINT64_MAX). */
int husk_cg_read_u64 (const char *dir, const char *file, uint64_t *out, husk_error_t *err);
bool husk_cg_exists (const char *dir, const char *file);
/* Value of `key` in a flat keyed file ("key value" lines). */
int husk_cg_read_key (const char *dir, const char *file, const char *key, uint64_t *out, husk_error_t *err);

/* The parsed linux.resources. Fields not given are not touched. */
struct husk_cg_opt
{
  bool set;
  int64_t v;
};

struct husk_cg_dev_rule
{
  bool allow;
  char type;            /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1: any */
  char access[4];       /* subset of "rwm" */
};

struct husk_cg_wdev
{
  int64_t major, minor;
  struct husk_cg_opt weight, leaf_weight;
};

struct husk_cg_rate
{
  int64_t major, minor;
  uint64_t rate;
};

enum
{
  HUSK_THR_READ_BPS,
  HUSK_THR_WRITE_BPS,
  HUSK_THR_READ_IOPS,
  HUSK_THR_WRITE_IOPS,
  HUSK_THR_N
};

struct husk_cg_hugepage
{
  const char *size; /* "2MB" */
  uint64_t limit;
};

struct husk_cg_ifprio
{
  const char *name;
  uint32_t prio;
};

struct husk_cg_rdma
{
  const char *dev;
  struct husk_cg_opt handles, objects;
};

struct husk_cg_res
{
  struct
  {
    struct husk_cg_opt limit, reservation, swap, kernel, kernel_tcp, swappiness;
    bool has_disable_oom, disable_oom, check_before_update;
  } mem;
  struct
  {
    struct husk_cg_opt shares, quota, period, burst, rt_runtime, rt_period, idle;
    const char *cpus, *mems;
  } cpu;
  struct husk_cg_opt pids_limit;
  struct
  {
    struct husk_cg_opt weight, leaf_weight;
    struct husk_cg_wdev *wdev;
    size_t n_wdev;
    struct husk_cg_rate *thr[HUSK_THR_N];
    size_t n_thr[HUSK_THR_N];
  } blkio;
  struct husk_cg_hugepage *huge;
  size_t n_huge;
  struct husk_cg_opt class_id;
  struct husk_cg_ifprio *prios;
  size_t n_prios;
  bool has_devices;
  struct husk_cg_dev_rule *devs;
  size_t n_devs;
  json_object *unified; /* borrowed */
  struct husk_cg_rdma *rdma;
  size_t n_rdma;
};

/* Parse linux.resources (may be NULL) into res; jpath names it in errors. */
int husk_cg_res_parse (json_object *o, const char *jpath, struct husk_cg_res *res, husk_error_t *err);
/* Append runc's default device rules and the config's linux.devices. */
int husk_cg_res_add_default_devices (struct husk_cg_res *res, const struct husk_config *cfg,
                                     husk_error_t *err);
void husk_cg_res_free (struct husk_cg_res *res);
/* Whether any limit (not counting device rules) is asked for. */
bool husk_cg_res_has_limits (const struct husk_cg_res *res);

/* Apply (resources_v1.c / resources_v2.c). `update` relaxes ordering
 * checks that only matter on a live cgroup. */
int husk_cg_apply_v1 (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err);
int husk_cg_apply_v2 (struct husk_cgroup *cg, const struct husk_cg_res *res, husk_error_t *err);
/* Controllers of v2 that `res` needs ("memory", "cpu"...), NULL-terminated
 * static strings into out[] (size >= 16). */
size_t husk_cg_res_v2_needs (const struct husk_cg_res *res, bool hybrid, const char **out);

/* "dev hca_handle=N hca_object=M" for rdma.max. */
int husk_cg_rdma_line (const struct husk_cg_rdma *r, char *buf, size_t len);

/* v1 <-> v2 conversions, as runc. */
uint64_t husk_cg_shares_to_weight (uint64_t shares);
uint64_t husk_cg_blkio_to_io_weight (uint64_t w);
int husk_cg_swap_to_v2 (int64_t memsw, int64_t mem, int64_t *out, husk_error_t *err);

/* v2 device filter (devices_bpf.c): replace the program attached to dir. */
int husk_cg_devices_bpf_apply (const char *dir, const struct husk_cg_dev_rule *rules, size_t n,
                               husk_error_t *err);

/* Make the deferred v1 cpuset directory (update with cpus/mems) and move
 * every process of the container into it (lifecycle.c). */
int husk_cg_cpuset_move_all (struct husk_cgroup *cg, const char *dir, husk_error_t *err);

/* Wait until no process is left in dir (cgroup.procs empty). */
int husk_cg_wait_empty (const char *dir, int timeout_ms);

#endif
