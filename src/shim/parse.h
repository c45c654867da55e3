/* See parse.c. */
#ifndef HUSK_SHIM_PARSE_H
#define HUSK_SHIM_PARSE_H

#include <stdint.h>
#include <sys/types.h>

/* ttrpc frame header: length, stream id (big-endian), type, flags. */
void ttrpc_put_header (uint8_t *h, uint32_t len, uint32_t stream, uint8_t type, uint8_t flags);
void ttrpc_get_header (const uint8_t *h, uint32_t *len, uint32_t *stream, uint8_t *type, uint8_t *flags);
/* The unescaped string value of "key" in one flat json log line, or NULL
 * (malloc'd). */
char *shim_json_line_string (const char *line, const char *key);
/* `ps --format json` output (a JSON array of pids) -> count, or -1. */
ssize_t shim_parse_pid_array (const char *s, pid_t **out);

#endif
