/* CVE-2019-5736: a process that enters a container must never hand the
 * container a writable handle on the husk binary. */
#ifndef HUSK_LINUX_SEALED_H
#define HUSK_LINUX_SEALED_H

/* Called first thing in main() for the commands that enter containers.
 * If the running binary is not sealed, re-exec from a sealed copy (or a
 * read-only mount); returns only when already sealed (or on failure, with
 * a message printed, -1). */
int husk_ensure_sealed (int argc, char **argv, char **envp);

#endif
