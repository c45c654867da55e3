/* Name tables: namespaces, capabilities, rlimits. */
#include "oci/config.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *oci, *proc;
  int flag;
} ns_table[HUSK_NS_COUNT] = {
  [HUSK_NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [HUSK_NS_NET] = { "network", "net", CLONE_NEWNET },
  [HUSK_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
  [HUSK_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [HUSK_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [HUSK_NS_USER] = { "user", "user", CLONE_NEWUSER },
  [HUSK_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [HUSK_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *
husk_ns_name (enum husk_ns_type t)
{
  return ns_table[t].oci;
}

const char *
husk_ns_proc_name (enum husk_ns_type t)
{
  return ns_table[t].proc;
}

int
husk_ns_clone_flag (enum husk_ns_type t)
{
  return ns_table[t].flag;
}

int
husk_ns_type_from_name (const char *name)
{
  for (int i = 0; i < HUSK_NS_COUNT; i++)
    if (strcmp (name, ns_table[i].oci) == 0)
      return i;
  return -1;
}

static const char *const cap_names[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

int
husk_cap_last (void)
{
  return (int)(sizeof cap_names / sizeof cap_names[0]) - 1;
}

int
husk_cap_from_name (const char *name)
{
  /* Accept "CAP_X" in any case, as runc does. */
  for (int i = 0; i <= husk_cap_last (); i++)
    if (strcasecmp (name, cap_names[i]) == 0)
      return i;
  return -1;
}

const char *
husk_cap_name (int cap)
{
  if (cap < 0 || cap > husk_cap_last ())
    return NULL;
  return cap_names[cap];
}

static const struct
{
  const char *name;
  int res;
} rlimit_table[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
husk_rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < sizeof rlimit_table / sizeof rlimit_table[0]; i++)
    if (strcmp (name, rlimit_table[i].name) == 0)
      return rlimit_table[i].res;
  return -1;
}

bool
husk_oci_version_supported (const char *v)
{
  unsigned major, minor;
  int n = 0;
  if (v == NULL || sscanf (v, "%u.%u%n", &major, &minor, &n) != 2)
    return false;
  return major == 1 && minor <= 3;
}
