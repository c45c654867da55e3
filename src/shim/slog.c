/* The shim's own small logger: stderr is containerd's "log" fifo for the
 * bundle, which containerd copies into its log. Kept apart from husk's
 * logger so the shim does not link json-c (smaller resident set). */
#include "shim/shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
shim_log (int level, const char *fmt, ...)
{
  static const char *const names[] = { "error", "warning", "info", "debug" };
  char buf[1024];
  va_list ap;
  int n;
  if (level == SHIM_LOG_DEBUG && !shim_cfg.debug)
    return;
  n = snprintf (buf, sizeof buf, "containerd-shim-husk-v2: %s: ", names[level & 3]);
  va_start (ap, fmt);
  n += vsnprintf (buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end (ap);
  if (n > (int)sizeof buf - 2)
    n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  /* non-blocking fifo: a log line is dropped rather than stall the shim */
  if (write (2, buf, (size_t)n) < 0)
    return;
}
