/* When may `create`/`run` skip re-executing from a sealed copy?
 *
 * The seal (linux/sealed.c) exists for CVE-2019-5736: a container process
 * must never get a handle on the host's husk binary.  During create/run
 * the only husk process inside the container is the init, and in a new
 * pid namespace nothing else runs there until the init's execve.  The init
 * is non-dumpable, so the one way the container reaches the binary is by
 * the init executing husk itself: process.args[0] (or a `#!` interpreter,
 * or an ELF PT_INTERP) resolving to /proc/self/exe or to the same file.
 *
 * So the parent skips the seal only when it can prove, on the bundle's
 * rootfs, that this chain never reaches the husk file and never crosses a
 * mount target (whose content the parent cannot see), and the init checks
 * again right before execve with the kernel's own path resolution,
 * refusing to run an unsealed husk.  Anything unexpected means "seal". */
#ifndef HUSK_LINUX_SEAL_CHECK_H
#define HUSK_LINUX_SEAL_CHECK_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct husk_file_id
{
  dev_t dev;
  ino_t ino;
};

/* The running binary's identity (fstat of /proc/self/exe); -1 on error. */
int husk_self_id (struct husk_file_id *id);

/* Parent, before anything is created: false only if the exec target of
 * cfg's process provably is not husk (see above). rootfs: host path. */
bool husk_seal_needed (const struct husk_config *cfg, const char *rootfs, const struct husk_file_id *self);

/* Init, in the container's root: fail if exe or one of its interpreters
 * is the file `self`. */
int husk_exec_check_not_self (const char *exe, const struct husk_file_id *self, husk_error_t *err);

#endif
