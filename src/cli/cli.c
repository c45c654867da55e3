#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

int
husk_cli_fail (struct husk_error_s **err)
{
  int status = (err && *err) ? (*err)->status : 1;
  husk_log_error_msg ((err && *err && (*err)->msg) ? (*err)->msg : "unknown error");
  husk_error_free (err);
  return status ? status : 1;
}

int
husk_cli_error (const char *cmd, const char *fmt, ...)
{
  char *msg = NULL, *full = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg && asprintf (&full, "%s: %s", cmd, msg) >= 0)
    husk_log_error_msg (full);
  free (msg);
  free (full);
  return -1;
}

int
husk_cli_parse (int argc, char **argv, const char *usage, const struct option *opts, husk_opt_fn on_opt,
                void *data, bool *done)
{
  struct option all[64];
  char shortopts[128] = "+:h";
  size_t n = 0, sl = strlen (shortopts);
  int c, idx;
  *done = false;
  for (; opts && opts[n].name && n < 62; n++)
    {
      all[n] = opts[n];
      if (opts[n].flag == NULL && opts[n].val > 0 && opts[n].val < 128 && sl + 3 < sizeof shortopts)
        {
          shortopts[sl++] = (char)opts[n].val;
          if (opts[n].has_arg == required_argument)
            shortopts[sl++] = ':';
          shortopts[sl] = '\0';
        }
    }
  all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
  all[n] = (struct option){ 0 };
  optind = 0;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, shortopts, all, &idx)) != -1)
    {
      if (c == 'h')
        {
          fputs (usage, stdout);
          *done = true;
          return argc;
        }
      if (c == '?')
        return husk_cli_error (argv[0], "unknown flag `%s`\n%s", argv[optind - 1], usage);
      if (c == ':')
        return husk_cli_error (argv[0], "flag `%s` needs a value", argv[optind - 1]);
      if (on_opt (c, optarg, data) < 0)
        return -1;
    }
  return optind;
}

int
husk_cli_operands (int argc, char **argv, int first, int min, int max, const char *usage)
{
  int n = argc - first;
  if (n < min)
    return husk_cli_error (argv[0], "%s\n%s", min == 1 ? "missing container id" : "missing arguments", usage);
  if (max >= 0 && n > max)
    return husk_cli_error (argv[0], "unexpected argument `%s`", argv[first + max]);
  return 0;
}

int
husk_parse_int (const char *s, long min, long max, long *out)
{
  char *end;
  long v;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno || *s == '\0' || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int
husk_cli_no_opt (int opt, const char *arg, void *data)
{
  return -1;
}
