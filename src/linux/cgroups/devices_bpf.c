/* cgroup v2 has no devices.allow: access to device nodes is decided by an
 * eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup.
 * We emit one block per rule, last rule first, so the first block that
 * matches decides (the last matching rule wins, as with v1 lists); no
 * match denies (the rules are a whitelist). */
#include "linux/cgroups/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i)                                                                                  \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN (BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU_K(op, d, i) INSN (BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) INSN (BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, i) INSN (BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JMP_K(op, d, i, o) INSN (BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static long
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static int
access_mask (const char *a)
{
  int m = 0;
  m |= strchr (a, 'm') ? BPF_DEVCG_ACC_MKNOD : 0;
  m |= strchr (a, 'r') ? BPF_DEVCG_ACC_READ : 0;
  m |= strchr (a, 'w') ? BPF_DEVCG_ACC_WRITE : 0;
  return m;
}

/* One rule: r2 = type, r3 = access, r4 = major, r5 = minor. */
static size_t
emit_rule (struct bpf_insn *p, const struct husk_cg_dev_rule *r)
{
  struct bpf_insn b[12];
  size_t n = 0;
  int mask = access_mask (r->access);
  if (r->type != 'a')
    b[n++] = JMP_K (BPF_JNE, 2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
  if (mask != 7)
    {
      b[n++] = MOV_X (1, 3);
      /* allow: every requested bit is allowed; deny: any requested bit denied. */
      b[n++] = ALU_K (BPF_AND, 1, r->allow ? (~mask & 7) : mask);
      b[n++] = JMP_K (r->allow ? BPF_JNE : BPF_JEQ, 1, 0, 0);
    }
  if (r->type != 'a' && r->major >= 0)
    b[n++] = JMP_K (BPF_JNE, 4, (int32_t)r->major, 0);
  if (r->type != 'a' && r->minor >= 0)
    b[n++] = JMP_K (BPF_JNE, 5, (int32_t)r->minor, 0);
  b[n++] = MOV_K (0, r->allow ? 1 : 0);
  b[n++] = EXIT ();
  /* Patch the jumps to the end of the block. */
  for (size_t i = 0; i < n; i++)
    if (BPF_CLASS (b[i].code) == BPF_JMP && BPF_OP (b[i].code) != BPF_EXIT)
      b[i].off = (int16_t)(n - i - 1);
  memcpy (p, b, n * sizeof (*b));
  return n;
}

static int
build (const struct husk_cg_dev_rule *rules, size_t n, struct bpf_insn **out, size_t *len)
{
  struct bpf_insn *p = calloc (8 + 12 * n, sizeof (*p));
  size_t k = 0;
  if (p == NULL)
    return -1;
  p[k++] = LDX_W (2, 1, 0);
  p[k++] = ALU_K (BPF_AND, 2, 0xffff);
  p[k++] = LDX_W (3, 1, 0);
  p[k++] = ALU_K (BPF_RSH, 3, 16);
  p[k++] = LDX_W (4, 1, 4);
  p[k++] = LDX_W (5, 1, 8);
  for (size_t i = n; i-- > 0;)
    {
      k += emit_rule (p + k, &rules[i]);
      /* "a *:* rwm" matches everything: earlier rules and the default are
       * unreachable, and the verifier refuses unreachable code. */
      if (rules[i].type == 'a' && access_mask (rules[i].access) == 7)
        {
          *out = p;
          *len = k;
          return 0;
        }
    }
  p[k++] = MOV_K (0, 0);
  p[k++] = EXIT ();
  *out = p;
  *len = k;
  return 0;
}

static int
prog_load (const struct bpf_insn *insns, size_t n, husk_error_t *err)
{
  union bpf_attr a;
  static char log[4096];
  memset (&a, 0, sizeof (a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uintptr_t)insns;
  a.insn_cnt = (uint32_t)n;
  a.license = (uintptr_t) "GPL";
  int fd = (int)sys_bpf (BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return fd;
  /* Load again with the verifier log to say why. */
  a.log_buf = (uintptr_t)log;
  a.log_size = sizeof (log);
  a.log_level = 1;
  log[0] = '\0';
  fd = (int)sys_bpf (BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return fd;
  return husk_error (err, errno, "load the device filter (bpf BPF_PROG_LOAD)%s%.200s", log[0] ? ": " : "",
                     log);
}

/* Ids of the device programs attached to the cgroup now. */
static int
query (int cgfd, uint32_t *ids, uint32_t *n)
{
  union bpf_attr a;
  memset (&a, 0, sizeof (a));
  a.query.target_fd = cgfd;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (uintptr_t)ids;
  a.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &a) < 0)
    return -1;
  *n = a.query.prog_cnt;
  return 0;
}

static void
detach (int cgfd, uint32_t id)
{
  union bpf_attr a;
  memset (&a, 0, sizeof (a));
  a.prog_id = id;
  int pfd = (int)sys_bpf (BPF_PROG_GET_FD_BY_ID, &a);
  if (pfd < 0)
    return;
  memset (&a, 0, sizeof (a));
  a.target_fd = cgfd;
  a.attach_bpf_fd = pfd;
  a.attach_type = BPF_CGROUP_DEVICE;
  sys_bpf (BPF_PROG_DETACH, &a);
  close (pfd);
}

int
husk_cg_devices_bpf_apply (const char *dir, const struct husk_cg_dev_rule *rules, size_t n, husk_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  size_t len = 0;
  uint32_t old[64], n_old = 64;
  if (build (rules, n, &insns, &len) < 0)
    return husk_error (err, ENOMEM, "device filter");
  cleanup_close int cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return husk_error (err, errno, "open `%s`", dir);
  if (query (cgfd, old, &n_old) < 0)
    n_old = 0;
  cleanup_close int pfd = prog_load (insns, len, err);
  if (pfd < 0)
    return -1;
  union bpf_attr a;
  memset (&a, 0, sizeof (a));
  a.target_fd = cgfd;
  a.attach_bpf_fd = pfd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &a) < 0)
    return husk_error (err, errno, "attach the device filter to `%s`", dir);
  /* Attach first, then drop the old ones: all attached programs must
   * allow, so there is no window with fewer restrictions. */
  for (uint32_t i = 0; i < n_old; i++)
    detach (cgfd, old[i]);
  return 0;
}
