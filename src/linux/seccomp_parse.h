/* Internal to the seccomp module: the prepared filter and the parser of
 * the linux.seccomp JSON object into a libseccomp context. */
#ifndef HUSK_LINUX_SECCOMP_PARSE_H
#define HUSK_LINUX_SECCOMP_PARSE_H

#include <stdbool.h>
#include <linux/filter.h>
#include <seccomp.h>

#include "linux/seccomp.h"

struct husk_seccomp
{
  scmp_filter_ctx ctx;    /* only while preparing */
  struct sock_fprog prog; /* the exported BPF */
  unsigned int flags;     /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;            /* some rule uses SCMP_ACT_NOTIFY */
  char *listener_path;
  char *listener_metadata;
  int listener_fd; /* connected in prepare, -1 if none */
};

/* Fill s->ctx, s->flags, s->notify and the listener fields from spec. */
int husk_seccomp_parse (json_object *spec, struct husk_seccomp *s, husk_error_t *err);

#endif
