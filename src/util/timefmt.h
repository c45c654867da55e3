/* RFC 3339 timestamps in UTC, without glibc's time zone machinery. */
#ifndef HUSK_UTIL_TIMEFMT_H
#define HUSK_UTIL_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* "2026-11-22T12:46:40.076293459Z" into buf (at least 32 bytes). */
void husk_rfc3339 (const struct timespec *ts, char *buf, size_t len);

#endif
