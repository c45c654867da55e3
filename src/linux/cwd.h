/* CVE-2024-21626: process.cwd (or exec --cwd) = /proc/self/fd/N names a
 * directory through an fd the runtime holds -- possibly a host directory
 * inherited from the caller or leaked by the runtime -- and starts the
 * container outside its root. */
#ifndef HUSK_LINUX_CWD_H
#define HUSK_LINUX_CWD_H

#include "util/error.h"

/* chdir to `cwd` resolved inside the current root ("/", i.e. call it after
 * pivot_root/chroot): openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so
 * /proc/self/fd/N and other magic links are refused, then fchdir; then
 * husk_cwd_verify. Use it instead of chdir (p->cwd) in the init and in
 * the exec child. */
int husk_chdir_in_container (const char *cwd, husk_error_t *err);
/* Fail when the current directory is not reachable from the root (the
 * kernel's getcwd says "(unreachable)"): the last line of defence. */
int husk_cwd_verify (const char *what, husk_error_t *err);

#endif
