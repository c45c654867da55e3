#include "util/log.h"

#include "util/timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

static int log_fd = 2;
static bool log_json;
static bool log_debug;
static bool log_to_file;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int
husk_log_init (const char *path, const char *format, bool debug)
{
  log_debug = debug;
  if (format && strcmp (format, "json") == 0)
    log_json = true;
  else if (format && strcmp (format, "text") != 0)
    {
      fprintf (stderr, "husk: invalid --log-format '%s': expected text or json\n", format);
      return -1;
    }
  if (path && *path)
    {
      int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (fd < 0)
        {
          fprintf (stderr, "husk: open log file '%s': %s\n", path, strerror (errno));
          return -1;
        }
      log_fd = fd;
      log_to_file = true;
    }
  return 0;
}

bool
husk_log_debug_enabled (void)
{
  return log_debug;
}

int
husk_log_fd (void)
{
  return log_fd;
}

static void
format_time (char *buf, size_t len)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  husk_rfc3339 (&ts, buf, len);
}

static void
write_line (enum husk_log_level level, const char *msg)
{
  char tbuf[64];
  char *line = NULL;
  int n;
  format_time (tbuf, sizeof tbuf);
  if (log_json)
    {
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "level", json_object_new_string (level_names[level]));
      json_object_object_add (o, "msg", json_object_new_string (msg));
      json_object_object_add (o, "time", json_object_new_string (tbuf));
      n = asprintf (
          &line, "%s\n",
          json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
      json_object_put (o);
    }
  else if (log_to_file)
    n = asprintf (&line, "time=\"%s\" level=%s msg=\"%s\"\n", tbuf, level_names[level], msg);
  else if (level == HUSK_LOG_ERROR)
    n = asprintf (&line, "husk: %s\n", msg);
  else
    n = asprintf (&line, "husk: %s: %s\n", level_names[level], msg);
  if (n < 0)
    return;
  if (write (log_fd, line, strlen (line)) < 0)
    {
      /* nothing better to do */
    }
  free (line);
}

void
husk_log (enum husk_log_level level, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  int saved = errno;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) >= 0)
    write_line (level, msg);
  va_end (ap);
  free (msg);
  errno = saved;
}

void
husk_log_error_msg (const char *msg)
{
  write_line (HUSK_LOG_ERROR, msg);
  if (log_to_file)
    {
      /* runc prints errors on stderr as well as in the log. */
      dprintf (2, "husk: %s\n", msg);
    }
}
