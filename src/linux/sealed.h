/* CVE-2019-5736: a process that enters a container must never hand the
 * container a writable handle on the husk binary. */
#ifndef HUSK_LINUX_SEALED_H
#define HUSK_LINUX_SEALED_H

#include <stdbool.h>

/* Called first thing in main() for the commands that enter containers.
 * If the running binary is not sealed, re-exec from a sealed copy (or a
 * read-only mount); returns only when already sealed (or on failure, with
 * a message printed, -1). */
int husk_ensure_sealed (int argc, char **argv, char **envp);
/* True once husk_ensure_sealed verified this process runs sealed. */
bool husk_is_sealed (void);
/* How /proc/self/exe is protected: "bind" (a read-only detached bind
 * mount of the binary: no copy, no memory; needs CAP_SYS_ADMIN), "memfd"
 * (a sealed copy, the rootless fallback) or NULL (not sealed).
 *
 * husk_ensure_sealed also sets PR_SET_DUMPABLE 0 (inherited by the forked
 * init, reset by its execve of the container process) so nothing in the
 * container can ptrace husk or open its /proc/<pid>/ files. Consequence
 * for the init: its /proc/self/ files belong to host root, so in a user
 * namespace the init cannot write its own /proc/self/{uid_map,setgroups,
 * oom_score_adj}: write them from the parent (as runc does), or set
 * PR_SET_DUMPABLE 1 only after the init has dropped host resources. */
const char *husk_sealed_how (void);

#endif
