/* `husk features`: what this build supports, per the OCI features doc. */
#include "oci/config.h"
#include "oci/spec.h"

static json_object *
strv (const char *const *v)
{
  json_object *a = json_object_new_array ();
  for (; *v; v++)
    json_object_array_add (a, json_object_new_string (*v));
  return a;
}

static json_object *
flag (bool enabled)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "enabled", json_object_new_boolean (enabled));
  return o;
}

static json_object *
seccomp_features (void)
{
  static const char *const actions[] = {
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",         NULL
  };
  static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
                                     "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
  static const char *const archs[]
      = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
  static const char *const flags[]
      = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  json_object *s = flag (true);
  json_object_object_add (s, "actions", strv (actions));
  json_object_object_add (s, "operators", strv (ops));
  json_object_object_add (s, "archs", strv (archs));
  json_object_object_add (s, "knownFlags", strv (flags));
  json_object_object_add (s, "supportedFlags", strv (flags));
  return s;
}

static json_object *
linux_features (void)
{
  json_object *l = json_object_new_object (), *ns = json_object_new_array (),
              *caps = json_object_new_array ();
  json_object *cg = json_object_new_object ();
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    json_object_array_add (ns, json_object_new_string (husk_ns_name (t)));
  for (int c = 0; c <= husk_cap_last (); c++)
    json_object_array_add (caps, json_object_new_string (husk_cap_name (c)));
  json_object_object_add (l, "namespaces", ns);
  json_object_object_add (l, "capabilities", caps);
  json_object_object_add (cg, "v1", json_object_new_boolean (true));
  json_object_object_add (cg, "v2", json_object_new_boolean (true));
  json_object_object_add (cg, "systemd", json_object_new_boolean (false));
  json_object_object_add (cg, "systemdUser", json_object_new_boolean (false));
  json_object_object_add (cg, "rdma", json_object_new_boolean (true));
  json_object_object_add (l, "cgroup", cg);
  json_object_object_add (l, "seccomp", seccomp_features ());
  /* Labels are written through /proc/thread-self/attr when the LSM is on. */
  json_object_object_add (l, "apparmor", flag (true));
  json_object_object_add (l, "selinux", flag (true));
  json_object_object_add (l, "intelRdt", flag (false));
  {
    json_object *me = json_object_new_object ();
    json_object_object_add (me, "idmap", flag (false));
    json_object_object_add (l, "mountExtensions", me);
  }
  return l;
}

json_object *
husk_features (void)
{
  static const char *const hooks[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };
  static const char *const mount_opts[] = { "async",
                                            "atime",
                                            "bind",
                                            "defaults",
                                            "dev",
                                            "diratime",
                                            "dirsync",
                                            "exec",
                                            "iversion",
                                            "lazytime",
                                            "loud",
                                            "mand",
                                            "noatime",
                                            "nodev",
                                            "nodiratime",
                                            "noexec",
                                            "noiversion",
                                            "nolazytime",
                                            "nomand",
                                            "norelatime",
                                            "nostrictatime",
                                            "nosuid",
                                            "nosymfollow",
                                            "private",
                                            "ratime",
                                            "rbind",
                                            "rdev",
                                            "rdiratime",
                                            "relatime",
                                            "remount",
                                            "rexec",
                                            "rnoatime",
                                            "rnodev",
                                            "rnodiratime",
                                            "rnoexec",
                                            "rnorelatime",
                                            "rnostrictatime",
                                            "rnosuid",
                                            "rnosymfollow",
                                            "ro",
                                            "rprivate",
                                            "rrelatime",
                                            "rro",
                                            "rrw",
                                            "rshared",
                                            "rslave",
                                            "rstrictatime",
                                            "rsuid",
                                            "rsymfollow",
                                            "runbindable",
                                            "rw",
                                            "shared",
                                            "silent",
                                            "slave",
                                            "strictatime",
                                            "suid",
                                            "symfollow",
                                            "sync",
                                            "unbindable",
                                            NULL };
  json_object *f = json_object_new_object (), *ann = json_object_new_object ();
  json_object_object_add (f, "ociVersionMin", json_object_new_string ("1.0.0"));
  json_object_object_add (f, "ociVersionMax", json_object_new_string ("1.3.0"));
  json_object_object_add (f, "hooks", strv (hooks));
  json_object_object_add (f, "mountOptions", strv (mount_opts));
  json_object_object_add (f, "linux", linux_features ());
  json_object_object_add (ann, "org.opencontainers.runc.checkpoint.enabled",
                          json_object_new_string ("false"));
  json_object_object_add (ann, "io.github.husk.version", json_object_new_string ("0.1.0"));
  json_object_object_add (f, "annotations", ann);
  return f;
}
