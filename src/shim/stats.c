/* Stats: cgroup v1 metrics of the container (io.containerd.cgroups.v1.Metrics,
 * what `ctr task metrics` prints), read straight from the cgroup files of
 * the init process's cgroups. */
#include "shim/task.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/events.h"
#include "shim/loop.h"
#include "shim/proto/events.pb-c.h"
#include "shim/proto/google.pb-c.h"
#include "shim/proto/metrics.pb-c.h"
#include "shim/proto/task.pb-c.h"
#include "shim/shim.h"
#include "util/fs.h"

struct cgroups
{
  char *dir[5]; /* pids, cpu, cpuacct, memory, unified */
};

static const char *const ctrl_names[] = { "pids", "cpu", "cpuacct", "memory" };

/* "/sys/fs/cgroup/<hierarchy>/<path>" for each v1 controller we read. */
static int
find_cgroups (pid_t pid, struct cgroups *cg)
{
  char path[64], *line, *lsave = NULL;
  cleanup_free char *data = NULL;
  husk_error_t err = NULL;
  snprintf (path, sizeof path, "/proc/%d/cgroup", pid);
  if (husk_read_file (path, &data, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return -1;
    }
  for (line = strtok_r (data, "\n", &lsave); line; line = strtok_r (NULL, "\n", &lsave))
    {
      char *ctrls = strchr (line, ':'), *cgpath;
      if (ctrls == NULL || (cgpath = strchr (++ctrls, ':')) == NULL)
        continue;
      *cgpath++ = '\0';
      for (size_t i = 0; i < 4; i++)
        {
          char *save = NULL, *tmp = shim_strdup (ctrls);
          for (char *c = strtok_r (tmp, ",", &save); c; c = strtok_r (NULL, ",", &save))
            if (strcmp (c, ctrl_names[i]) == 0 && cg->dir[i] == NULL
                && asprintf (&cg->dir[i], "/sys/fs/cgroup/%s%s", ctrls, cgpath) < 0)
              abort ();
          free (tmp);
        }
    }
  return cg->dir[3] ? 0 : -1;
}

static uint64_t
read_u64 (const char *dir, const char *file)
{
  char buf[64];
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  husk_error_t err = NULL;
  if (dir == NULL)
    return 0;
  path = shim_path (dir, file);
  if (husk_read_file (path, &data, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return 0;
    }
  snprintf (buf, sizeof buf, "%s", data);
  if (strncmp (buf, "max", 3) == 0)
    return UINT64_MAX;
  return strtoull (buf, NULL, 10);
}

/* Calls fn for each "key value" line of dir/file (memory.stat, cpu.stat). */
static void
for_each_kv (const char *dir, const char *file, void (*fn) (void *, const char *, uint64_t), void *data)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  husk_error_t err = NULL;
  char *line, *save = NULL;
  if (dir == NULL)
    return;
  path = shim_path (dir, file);
  if (husk_read_file (path, &text, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return;
    }
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp++ = '\0';
      fn (data, line, strtoull (sp, NULL, 10));
    }
}

/* memory.stat key -> MemoryStat field name (pgpgin -> pg_pg_in ...). */
static void
set_memory_field (void *data, const char *key, uint64_t v)
{
  Io__Containerd__Cgroups__V1__MemoryStat *m = data;
  static const char *const renames[][2] = {
    { "pgpgin", "pg_pg_in" },
    { "pgpgout", "pg_pg_out" },
    { "pgfault", "pg_fault" },
    { "pgmajfault", "pg_maj_fault" },
    { "hierarchical_memsw_limit", "hierarchical_swap_limit" },
  };
  const ProtobufCFieldDescriptor *fd;
  char name[128];
  bool total = strncmp (key, "total_", 6) == 0;
  const char *base = total ? key + 6 : key;
  snprintf (name, sizeof name, "%s", key);
  for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++)
    if (strcmp (base, renames[i][0]) == 0)
      snprintf (name, sizeof name, "%s%s", total ? "total_" : "", renames[i][1]);
  fd = protobuf_c_message_descriptor_get_field_by_name (m->base.descriptor, name);
  if (fd && fd->type == PROTOBUF_C_TYPE_UINT64 && fd->label == PROTOBUF_C_LABEL_NONE)
    *(uint64_t *)((char *)m + fd->offset) = v;
}

static void
memory_entry (const char *dir, const char *prefix, Io__Containerd__Cgroups__V1__MemoryEntry *e)
{
  char f[64];
  snprintf (f, sizeof f, "%s.usage_in_bytes", prefix);
  e->usage = read_u64 (dir, f);
  snprintf (f, sizeof f, "%s.limit_in_bytes", prefix);
  e->limit = read_u64 (dir, f);
  snprintf (f, sizeof f, "%s.max_usage_in_bytes", prefix);
  e->max = read_u64 (dir, f);
  snprintf (f, sizeof f, "%s.failcnt", prefix);
  e->failcnt = read_u64 (dir, f);
}

/* cpuacct.stat is in clock ticks; containerd reports nanoseconds. */
static void
cpuacct_kv (void *data, const char *key, uint64_t v)
{
  Io__Containerd__Cgroups__V1__CPUUsage *u = data;
  long hz = sysconf (_SC_CLK_TCK);
  uint64_t ns = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
  if (strcmp (key, "user") == 0)
    u->user = v * ns;
  else if (strcmp (key, "system") == 0)
    u->kernel = v * ns;
}

static void
throttle_kv (void *data, const char *key, uint64_t v)
{
  Io__Containerd__Cgroups__V1__Throttle *t = data;
  if (strcmp (key, "nr_periods") == 0)
    t->periods = v;
  else if (strcmp (key, "nr_throttled") == 0)
    t->throttled_periods = v;
  else if (strcmp (key, "throttled_time") == 0)
    t->throttled_time = v;
}

static void
read_cpu (const struct cgroups *cg, Io__Containerd__Cgroups__V1__CPUUsage *u,
          Io__Containerd__Cgroups__V1__Throttle *t, uint64_t *percpu, size_t *n_percpu)
{
  cleanup_free char *data = NULL;
  husk_error_t err = NULL;
  char path[512];
  unsigned long long v;
  u->total = read_u64 (cg->dir[2], "cpuacct.usage");
  for_each_kv (cg->dir[2], "cpuacct.stat", cpuacct_kv, u);
  snprintf (path, sizeof path, "%s/cpuacct.usage_percpu", cg->dir[2] ? cg->dir[2] : "");
  *n_percpu = 0;
  if (husk_read_file (path, &data, NULL, &err) == 0)
    {
      char *p = data, *end;
      while (*n_percpu < 256 && (v = strtoull (p, &end, 10), end != p))
        {
          percpu[(*n_percpu)++] = v;
          p = end;
        }
    }
  else
    husk_error_free (&err);
  for_each_kv (cg->dir[1], "cpu.stat", throttle_kv, t);
}

void
task_stats (const struct ttrpc_call *call)
{
  Io__Containerd__Cgroups__V1__Metrics m = IO__CONTAINERD__CGROUPS__V1__METRICS__INIT;
  Io__Containerd__Cgroups__V1__PidsStat pids = IO__CONTAINERD__CGROUPS__V1__PIDS_STAT__INIT;
  Io__Containerd__Cgroups__V1__CPUStat cpu = IO__CONTAINERD__CGROUPS__V1__CPUSTAT__INIT;
  Io__Containerd__Cgroups__V1__CPUUsage usage = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
  Io__Containerd__Cgroups__V1__Throttle thr = IO__CONTAINERD__CGROUPS__V1__THROTTLE__INIT;
  Io__Containerd__Cgroups__V1__MemoryStat mem = IO__CONTAINERD__CGROUPS__V1__MEMORY_STAT__INIT;
  Io__Containerd__Cgroups__V1__MemoryEntry mu = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
  Io__Containerd__Cgroups__V1__MemoryEntry ms = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
  Io__Containerd__Cgroups__V1__MemoryEntry mk = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
  Io__Containerd__Cgroups__V1__MemoryEntry mt = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
  Io__Containerd__Cgroups__V1__MemoryOomControl oom = IO__CONTAINERD__CGROUPS__V1__MEMORY_OOM_CONTROL__INIT;
  Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  struct cgroups cg = { { NULL } };
  uint64_t percpu[256];
  size_t n_percpu;
  struct proc *p = task_lookup (call, NULL, "");
  uint8_t *buf;

  if (p == NULL)
    return;
  if (p->status == PROC_STOPPED || p->pid <= 0 || find_cgroups (p->pid, &cg) < 0)
    {
      ttrpc_reply_error (
          call->conn, call->stream, RPC_FAILED_PRECONDITION,
          "no cgroup v1 memory hierarchy for task %s (stopped, or cgroup v2 only: not supported)",
          shim_task->id);
      goto out;
    }
  pids.current = read_u64 (cg.dir[0], "pids.current");
  pids.limit = read_u64 (cg.dir[0], "pids.max");
  if (pids.limit == UINT64_MAX)
    pids.limit = 0;
  read_cpu (&cg, &usage, &thr, percpu, &n_percpu);
  usage.per_cpu = percpu;
  usage.n_per_cpu = n_percpu;
  cpu.usage = &usage;
  cpu.throttling = &thr;
  for_each_kv (cg.dir[3], "memory.stat", set_memory_field, &mem);
  memory_entry (cg.dir[3], "memory", &mu);
  memory_entry (cg.dir[3], "memory.memsw", &ms);
  memory_entry (cg.dir[3], "memory.kmem", &mk);
  memory_entry (cg.dir[3], "memory.kmem.tcp", &mt);
  mem.usage = &mu;
  mem.swap = &ms;
  mem.kernel = &mk;
  mem.kernel_tcp = &mt;
  m.pids = &pids;
  m.cpu = &cpu;
  m.memory = &mem;
  m.memory_oom_control = &oom;
  buf = malloc (protobuf_c_message_get_packed_size (&m.base) + 1);
  if (buf == NULL)
    abort ();
  any.type_url = "io.containerd.cgroups.v1.Metrics";
  any.value.len = protobuf_c_message_pack (&m.base, buf);
  any.value.data = buf;
  resp.stats = &any;
  ttrpc_reply (call->conn, call->stream, &resp.base);
  free (buf);
out:
  for (size_t i = 0; i < 5; i++)
    free (cg.dir[i]);
}

/* OOM notifications (cgroup v1): an eventfd registered through
 * cgroup.event_control on memory.oom_control becomes a TaskOOM event. */
static struct shim_watch oom_watch = { .fd = -1 };
static char *oom_control;

static void
oom_event (struct shim_watch *w, uint32_t events)
{
  Containerd__Events__TaskOOM ev = CONTAINERD__EVENTS__TASK_OOM__INIT;
  uint64_t n;
  if (read (w->fd, &n, sizeof n) != sizeof n)
    return;
  /* the eventfd also fires when the cgroup goes away */
  if (shim_task == NULL || access (oom_control, F_OK) < 0)
    {
      oom_watch_stop ();
      return;
    }
  ev.container_id = shim_task->id;
  events_publish (TOPIC_TASK_OOM, "containerd.events.TaskOOM", &ev.base);
}

void
oom_watch_start (pid_t pid)
{
  struct cgroups cg = { { NULL } };
  cleanup_free char *ctl = NULL, *oomc = NULL;
  char line[64];
  int efd = -1, ofd = -1, cfd = -1;
  if (oom_watch.fd >= 0 || find_cgroups (pid, &cg) < 0)
    goto out;
  ctl = shim_path (cg.dir[3], "cgroup.event_control");
  oomc = shim_path (cg.dir[3], "memory.oom_control");
  efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  ofd = open (oomc, O_RDONLY | O_CLOEXEC);
  cfd = open (ctl, O_WRONLY | O_CLOEXEC);
  if (efd < 0 || ofd < 0 || cfd < 0)
    goto out;
  snprintf (line, sizeof line, "%d %d", efd, ofd);
  if (write (cfd, line, strlen (line)) < 0)
    goto out;
  oom_watch.fd = steal_fd (efd);
  oom_control = steal_ptr (oomc);
  oom_watch.cb = oom_event;
  if (shim_loop_add (&oom_watch, EPOLLIN) < 0)
    {
      close (oom_watch.fd);
      oom_watch.fd = -1;
    }
out:
  if (efd >= 0)
    close (efd);
  if (ofd >= 0)
    close (ofd);
  if (cfd >= 0)
    close (cfd);
  for (size_t i = 0; i < 5; i++)
    free (cg.dir[i]);
}

void
oom_watch_stop (void)
{
  if (oom_watch.fd < 0)
    return;
  shim_loop_del (&oom_watch);
  close (oom_watch.fd);
  oom_watch.fd = -1;
  free (oom_control);
  oom_control = NULL;
}
