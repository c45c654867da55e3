/* Small parsers with no dependency beyond libc, so that the unit tests
 * (tests/unit/test_ttrpc_parse.c) can build them on their own: the ttrpc
 * frame header and the two JSON outputs of the runtime the shim reads. */
#include "shim/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ttrpc_put_header (uint8_t *h, uint32_t len, uint32_t stream, uint8_t type, uint8_t flags)
{
  for (int i = 0; i < 4; i++)
    {
      h[i] = (uint8_t)(len >> (24 - 8 * i));
      h[4 + i] = (uint8_t)(stream >> (24 - 8 * i));
    }
  h[8] = type;
  h[9] = flags;
}

void
ttrpc_get_header (const uint8_t *h, uint32_t *len, uint32_t *stream, uint8_t *type, uint8_t *flags)
{
  *len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
  *stream = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
  *type = h[8];
  *flags = h[9];
}

/* The string value of "key" in one json log line (runc/husk write flat
 * objects with string values), unescaped; NULL when absent. */
char *
shim_json_line_string (const char *line, const char *key)
{
  char pat[32], *out, *o;
  const char *p;
  snprintf (pat, sizeof pat, "\"%s\":", key);
  p = strstr (line, pat);
  if (p == NULL)
    return NULL;
  p += strlen (pat);
  while (*p == ' ')
    p++;
  if (*p++ != '"')
    return NULL;
  o = out = malloc (strlen (p) + 1);
  if (out == NULL)
    abort ();
  for (; *p && *p != '"'; p++)
    {
      if (*p != '\\' || p[1] == '\0')
        {
          *o++ = *p;
          continue;
        }
      switch (*++p)
        {
        case 'n':
          *o++ = '\n';
          break;
        case 't':
          *o++ = '\t';
          break;
        case 'r':
          *o++ = '\r';
          break;
        case 'b':
          *o++ = '\b';
          break;
        case 'f':
          *o++ = '\f';
          break;
        case 'u':
          {
            unsigned cp = 0;
            int i;
            for (i = 1; i <= 4 && isxdigit ((unsigned char)p[i]); i++)
              cp = cp * 16
                   + (unsigned)(isdigit ((unsigned char)p[i]) ? p[i] - '0' : (tolower (p[i]) - 'a' + 10));
            p += i - 1;
            if (cp < 0x80)
              *o++ = (char)cp;
            else if (cp < 0x800)
              {
                *o++ = (char)(0xc0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3f));
              }
            else
              *o++ = '?';
            break;
          }
        default:
          *o++ = *p;
          break;
        }
    }
  *o = '\0';
  return out;
}

/* `ps --format json` prints a JSON array of pids. */
ssize_t
shim_parse_pid_array (const char *s, pid_t **out)
{
  size_t n = 0, cap = 16;
  pid_t *v = malloc (cap * sizeof *v);
  char *end;
  if (v == NULL)
    abort ();
  while (isspace ((unsigned char)*s))
    s++;
  if (*s++ != '[')
    goto bad;
  for (;;)
    {
      while (isspace ((unsigned char)*s) || *s == ',')
        s++;
      if (*s == ']')
        break;
      long pid = strtol (s, &end, 10);
      if (end == s || pid <= 0)
        goto bad;
      s = end;
      if (n == cap)
        {
          pid_t *nv = realloc (v, (cap *= 2) * sizeof *v);
          if (nv == NULL)
            abort ();
          v = nv;
        }
      v[n++] = (pid_t)pid;
    }
  *out = v;
  return (ssize_t)n;
bad:
  free (v);
  return -1;
}
