/* glibc's gmtime_r and strftime call tzset on first use, which reads
 * /etc/localtime: a file and five syscalls on every `create`, for a UTC
 * string. The civil date from days since 1970 is Howard Hinnant's
 * days-from-civil algorithm run backwards (valid for any date here). */
#include "util/timefmt.h"

#include <stdio.h>

void
husk_rfc3339 (const struct timespec *ts, char *buf, size_t len)
{
  long long days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
  long long z, era, doe, yoe, doy, mp, y;
  unsigned d, m;
  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
  snprintf (buf, len, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09ldZ", y, m, d, secs / 3600, secs / 60 % 60,
            secs % 60, ts->tv_nsec);
}
