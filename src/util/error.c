#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
husk_verror (husk_error_t *err, int errno_, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (err == NULL)
    return -1;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  if (msg && errno_)
    {
      char *full = NULL;
      if (asprintf (&full, "%s: %s", msg, strerror (errno_)) >= 0)
        {
          free (msg);
          msg = full;
        }
    }
  husk_error_free (err);
  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    {
      free (msg);
      return -1;
    }
  (*err)->errno_ = errno_;
  (*err)->status = 1;
  (*err)->msg = msg ? msg : strdup ("out of memory");
  return -1;
}

int
husk_error (husk_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  husk_verror (err, errno_, fmt, ap);
  va_end (ap);
  return -1;
}

int
husk_error_prefix (husk_error_t *err, const char *fmt, ...)
{
  char *prefix = NULL, *full = NULL;
  va_list ap;
  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix && asprintf (&full, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = full;
    }
  free (prefix);
  return -1;
}

void
husk_error_free (husk_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
husk_error_move (husk_error_t *dst, husk_error_t *src)
{
  husk_error_free (dst);
  *dst = *src;
  *src = NULL;
}

void
cleanup_strvp (char ***strv)
{
  char **p;
  if (*strv == NULL)
    return;
  for (p = *strv; *p; p++)
    free (*p);
  free (*strv);
}
