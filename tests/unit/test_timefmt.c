/* husk_rfc3339 against glibc's gmtime_r + strftime (which husk avoids at
 * run time because they read /etc/localtime), over leap days, century and
 * year boundaries and a sweep of random instants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/timefmt.h"

static void
check (time_t t, long nsec)
{
  struct timespec ts = { .tv_sec = t, .tv_nsec = nsec };
  struct tm tm;
  char want[64], base[32], got[64];
  gmtime_r (&t, &tm);
  strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (want, sizeof want, "%s.%09ldZ", base, nsec);
  husk_rfc3339 (&ts, got, sizeof got);
  if (strcmp (want, got) != 0)
    fail_msg ("t=%lld: want %s got %s", (long long)t, want, got);
}

static void
test_boundaries (void **state)
{
  static const time_t ts[]
      = { 0,         59,         86399,      86400,      951782399,  951782400,  951868800,  978307199,
          978307200, 1709164800, 1709251199, 1798761599, 4102444799, 4102444800, 4107542400, 253402300799 };
  (void)state;
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
    check (ts[i], 123456789);
  check (1795350000, 0);
}

static void
test_sweep (void **state)
{
  (void)state;
  srand (7);
  for (int i = 0; i < 200000; i++)
    check ((time_t)(((unsigned long long)rand () << 16 ^ (unsigned long long)rand ()) % 253402300800ULL),
           rand () % 1000000000);
}

int
main (void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test (test_boundaries), cmocka_unit_test (test_sweep) };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
