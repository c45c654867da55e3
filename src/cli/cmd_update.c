/* `husk update [--resources FILE|-] [--memory N] ... ID`: change the
 * limits of a running container, with runc's flags. The flags build an
 * OCI linux.resources object on top of --resources, which the cgroup
 * driver applies like at create time. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "linux/cgroups/container_cg.h"
#include "util/fs.h"

static const char usage[]
    = "Usage: husk update [OPTIONS] CONTAINER_ID\n\n"
      "Update the resource limits of a container.\n\n"
      "  -r, --resources FILE      JSON linux.resources to apply ('-' reads stdin)\n"
      "  --memory N                memory limit in bytes (units: 10m, 1g; -1 unlimited)\n"
      "  --memory-reservation N    memory soft limit\n"
      "  --memory-swap N           memory+swap limit (-1 unlimited)\n"
      "  --kernel-memory N         kernel memory limit (ignored where the kernel dropped it)\n"
      "  --kernel-memory-tcp N     kernel TCP buffer limit\n"
      "  --cpu-share(s) N          CPU shares\n"
      "  --cpu-quota N             CFS quota in microseconds\n"
      "  --cpu-period N            CFS period in microseconds\n"
      "  --cpu-burst N             CFS burst in microseconds\n"
      "  --cpu-rt-runtime N        realtime runtime in microseconds\n"
      "  --cpu-rt-period N         realtime period in microseconds\n"
      "  --cpu-idle N              SCHED_IDLE for the cgroup (0 or 1)\n"
      "  --cpuset-cpus LIST        CPUs to use (0-3, 0,1)\n"
      "  --cpuset-mems LIST        memory nodes to use\n"
      "  --pids-limit N            maximum number of pids (-1 or 0: unlimited)\n"
      "  --blkio-weight N          block IO weight, 10 to 1000\n"
      "  --l3-cache-schema S       Intel RDT L3 cache schema\n"
      "  --mem-bw-schema S         Intel RDT memory bandwidth schema\n";

enum
{
  O_RES = 'r',
  O_MEMORY = 256,
  O_MEM_RES,
  O_MEM_SWAP,
  O_KMEM,
  O_KMEM_TCP,
  O_SHARES,
  O_QUOTA,
  O_PERIOD,
  O_BURST,
  O_RT_RUNTIME,
  O_RT_PERIOD,
  O_IDLE,
  O_CPUS,
  O_MEMS,
  O_PIDS,
  O_BLKIO,
  O_L3,
  O_MEMBW,
};

/* Where each flag goes in linux.resources, and how its value is read. */
enum kind
{
  K_BYTES,
  K_INT,
  K_UINT,
  K_STR
};
static const struct target
{
  int opt;
  const char *obj, *key;
  enum kind kind;
  const char *flag;
} targets[] = {
  { O_MEMORY, "memory", "limit", K_BYTES, "memory" },
  { O_MEM_RES, "memory", "reservation", K_BYTES, "memory-reservation" },
  { O_MEM_SWAP, "memory", "swap", K_BYTES, "memory-swap" },
  { O_KMEM, "memory", "kernel", K_BYTES, "kernel-memory" },
  { O_KMEM_TCP, "memory", "kernelTCP", K_BYTES, "kernel-memory-tcp" },
  { O_SHARES, "cpu", "shares", K_UINT, "cpu-share" },
  { O_QUOTA, "cpu", "quota", K_INT, "cpu-quota" },
  { O_PERIOD, "cpu", "period", K_UINT, "cpu-period" },
  { O_BURST, "cpu", "burst", K_UINT, "cpu-burst" },
  { O_RT_RUNTIME, "cpu", "realtimeRuntime", K_INT, "cpu-rt-runtime" },
  { O_RT_PERIOD, "cpu", "realtimePeriod", K_UINT, "cpu-rt-period" },
  { O_IDLE, "cpu", "idle", K_INT, "cpu-idle" },
  { O_CPUS, "cpu", "cpus", K_STR, "cpuset-cpus" },
  { O_MEMS, "cpu", "mems", K_STR, "cpuset-mems" },
  { O_PIDS, "pids", "limit", K_INT, "pids-limit" },
  { O_BLKIO, "blockIO", "weight", K_UINT, "blkio-weight" },
};

struct update
{
  const char *resources;
  const char *val[O_MEMBW + 1];
  bool rdt;
};

static int
update_opt (int opt, const char *arg, void *data)
{
  struct update *u = data;
  if (opt == O_RES)
    u->resources = arg;
  else if (opt == O_L3 || opt == O_MEMBW)
    u->rdt = true;
  else if (opt >= O_MEMORY && opt <= O_MEMBW)
    u->val[opt] = arg;
  return 0;
}

/* docker/go-units RAMInBytes, as runc: "512", "10m", "1.5GiB"; binary. */
static int
parse_bytes (const char *s, int64_t *out)
{
  char *end;
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || v < 0 || !isdigit ((unsigned char)s[0]))
    return -1;
  while (*end == ' ')
    end++;
  static const char units[] = "kmgtp";
  double mul = 1;
  if (*end)
    {
      const char *u = strchr (units, tolower ((unsigned char)*end));
      if (u == NULL && tolower ((unsigned char)*end) != 'b')
        return -1;
      if (u)
        {
          for (const char *p = units; p <= u; p++)
            mul *= 1024;
          end++;
          if (tolower ((unsigned char)*end) == 'i')
            end++;
        }
      if (tolower ((unsigned char)*end) == 'b')
        end++;
      if (*end)
        return -1;
    }
  if (v * mul > (double)INT64_MAX)
    return -1;
  *out = (int64_t)(v * mul);
  return 0;
}

static json_object *
section (json_object *res, const char *name)
{
  json_object *o;
  if (json_object_object_get_ex (res, name, &o) && json_object_is_type (o, json_type_object))
    return o;
  o = json_object_new_object ();
  json_object_object_add (res, name, o);
  return o;
}

static int
flag_value (const struct target *t, const char *v, json_object **out)
{
  int64_t i;
  char *end;
  switch (t->kind)
    {
    case K_STR:
      *out = json_object_new_string (v);
      return 0;
    case K_BYTES:
      if (parse_bytes (v, &i) < 0)
        return -1;
      *out = json_object_new_int64 (i);
      return 0;
    case K_INT:
      errno = 0;
      i = strtoll (v, &end, 10);
      if (errno || *v == '\0' || *end)
        return -1;
      *out = json_object_new_int64 (i);
      return 0;
    case K_UINT:
      errno = 0;
      if (*v == '-')
        return -1;
      uint64_t u = strtoull (v, &end, 10);
      if (errno || *v == '\0' || *end)
        return -1;
      *out = json_object_new_uint64 (u);
      return 0;
    }
  return -1;
}

static int
load_resources (const char *path, json_object **out, husk_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (strcmp (path, "-") == 0)
    {
      size_t cap = 0;
      char buf[4096];
      for (ssize_t n; (n = husk_read_all (0, buf, sizeof (buf))) > 0;)
        {
          char *t = realloc (text, cap + n + 1);
          if (t == NULL)
            return husk_error (err, ENOMEM, "read stdin");
          text = t;
          memcpy (text + cap, buf, n);
          cap += n;
          text[cap] = '\0';
          if ((size_t)n < sizeof (buf))
            break;
        }
      len = cap;
      if (text == NULL)
        return husk_error (err, 0, "--resources: stdin is empty");
    }
  else if (husk_read_file (path, &text, &len, err) < 0)
    return -1;
  enum json_tokener_error jerr;
  *out = json_tokener_parse_verbose (text, &jerr);
  if (*out == NULL || !json_object_is_type (*out, json_type_object))
    {
      json_object_put (*out);
      *out = NULL;
      return husk_error (err, 0, "--resources `%s`: not a JSON object (%s)", path,
                         json_tokener_error_desc (jerr));
    }
  return 0;
}

static int
build (struct update *u, json_object **out, husk_error_t *err)
{
  json_object *res = NULL;
  if (u->resources && load_resources (u->resources, &res, err) < 0)
    return -1;
  if (res == NULL)
    res = json_object_new_object ();
  for (size_t i = 0; i < sizeof (targets) / sizeof (targets[0]); i++)
    {
      const struct target *t = &targets[i];
      json_object *v = NULL;
      if (u->val[t->opt] == NULL)
        continue;
      if (flag_value (t, u->val[t->opt], &v) < 0)
        {
          json_object_put (res);
          return husk_error (err, 0, "invalid value `%s` for --%s", u->val[t->opt], t->flag);
        }
      json_object_object_add (section (res, t->obj), t->key, v);
    }
  *out = res;
  return 0;
}

/* Rewrite state.json (under the container's lock) when the cgroup
 * changed. */
static int
save_cgroup (struct husk_container *c, const struct husk_cgroup *cg, husk_error_t *err)
{
  json_object *now = husk_cgroup_to_json (cg);
  cleanup_free char *path = NULL;
  if (json_object_equal (now, c->cgroup))
    {
      json_object_put (now);
      return 0;
    }
  json_object_object_add (c->state, "cgroup", now);
  c->cgroup = now;
  if (husk_container_save (c, err) < 0)
    return husk_error_prefix (err, "save the new cgroup of `%s`", c->id);
  return 0;
}

int
husk_cmd_update (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "resources", required_argument, NULL, O_RES },
                                        { "memory", required_argument, NULL, O_MEMORY },
                                        { "memory-reservation", required_argument, NULL, O_MEM_RES },
                                        { "memory-swap", required_argument, NULL, O_MEM_SWAP },
                                        { "kernel-memory", required_argument, NULL, O_KMEM },
                                        { "kernel-memory-tcp", required_argument, NULL, O_KMEM_TCP },
                                        { "cpu-share", required_argument, NULL, O_SHARES },
                                        { "cpu-shares", required_argument, NULL, O_SHARES },
                                        { "cpu-quota", required_argument, NULL, O_QUOTA },
                                        { "cpu-period", required_argument, NULL, O_PERIOD },
                                        { "cpu-burst", required_argument, NULL, O_BURST },
                                        { "cpu-rt-runtime", required_argument, NULL, O_RT_RUNTIME },
                                        { "cpu-rt-period", required_argument, NULL, O_RT_PERIOD },
                                        { "cpu-idle", required_argument, NULL, O_IDLE },
                                        { "cpuset-cpus", required_argument, NULL, O_CPUS },
                                        { "cpuset-mems", required_argument, NULL, O_MEMS },
                                        { "pids-limit", required_argument, NULL, O_PIDS },
                                        { "blkio-weight", required_argument, NULL, O_BLKIO },
                                        { "l3-cache-schema", required_argument, NULL, O_L3 },
                                        { "mem-bw-schema", required_argument, NULL, O_MEMBW },
                                        { 0 } };
  struct update u = { 0 };
  husk_error_t err = NULL;
  struct husk_container *c = NULL;
  struct husk_cgroup *cg = NULL;
  json_object *res = NULL;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, opts, update_opt, &u, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  if (u.rdt && access ("/sys/fs/resctrl/schemata", F_OK) != 0)
    return husk_cli_error ("update", "Intel RDT is not enabled on this host (no resctrl mount)"), 1;
  if (u.rdt)
    return husk_cli_error ("update", "Intel RDT schemas are not supported by husk yet"), 1;
  if (build (&u, &res, &err) < 0)
    return husk_cli_fail (&err);
  if (husk_container_load (g->root, argv[first], &c, &err) == 0
      && husk_container_cgroup_running (c, &cg, &err) == 0)
    {
      husk_error_t serr = NULL;
      husk_cgroup_update (cg, res, &err);
      /* A v1 cpuset cgroup made now (first cpus/mems) must be in the
       * state, failed or not: exec joins it, delete removes it. */
      if (save_cgroup (c, cg, &serr) < 0 && err == NULL)
        husk_error_move (&err, &serr);
      husk_error_free (&serr);
    }
  json_object_put (res);
  husk_cgroup_free (cg);
  husk_container_free (c);
  return err ? husk_cli_fail (&err) : 0;
}
