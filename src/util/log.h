/* Logging as runc does it: --log FILE (default stderr) in logrus text or
 * json-lines format. containerd and podman read the last "error" line of
 * the json log to show the user why a runtime command failed. */
#ifndef HUSK_LOG_H
#define HUSK_LOG_H

#include <stdbool.h>

enum husk_log_level
{
  HUSK_LOG_ERROR,
  HUSK_LOG_WARNING,
  HUSK_LOG_INFO,
  HUSK_LOG_DEBUG
};

/* path NULL: stderr. format "text" or "json". Returns -1 on bad format or
 * unopenable file (with a message printed to stderr). */
int husk_log_init (const char *path, const char *format, bool debug);
void husk_log (enum husk_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Error messages go to the log and, when the log is a file, to stderr too,
 * so a person at a terminal always sees them. */
void husk_log_error_msg (const char *msg);
bool husk_log_debug_enabled (void);
int husk_log_fd (void);

#define husk_debug(...)                                                                                      \
  do                                                                                                         \
    {                                                                                                        \
      if (husk_log_debug_enabled ())                                                                         \
        husk_log (HUSK_LOG_DEBUG, __VA_ARGS__);                                                              \
    }                                                                                                        \
  while (0)
#define husk_warn(...) husk_log (HUSK_LOG_WARNING, __VA_ARGS__)

#endif
