/* husk spec [--bundle B] [--rootless] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "oci/spec.h"
#include "util/fs.h"

static const char usage[] = "Usage: husk spec [--bundle DIR] [--rootless]\n\n"
                            "Write a default config.json into the bundle directory.\n";

struct spec_flags
{
  const char *bundle;
  bool rootless;
};

static int
spec_opt (int opt, const char *arg, void *data)
{
  struct spec_flags *f = data;
  if (opt == 'b')
    f->bundle = arg;
  else
    f->rootless = true;
  return 0;
}

int
husk_cmd_spec (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[]
      = { { "bundle", required_argument, NULL, 'b' }, { "rootless", no_argument, NULL, 'r' }, { 0 } };
  struct spec_flags f = { .bundle = "." };
  husk_error_t err = NULL;
  cleanup_free char *path = NULL;
  json_object *spec;
  const char *text;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, opts, spec_opt, &f, &done), fd, r = 0;
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 0, 0, usage) < 0)
    return 1;
  if (asprintf (&path, "%s/config.json", f.bundle) < 0)
    return 1;
  spec = husk_default_spec (f.rootless);
  text = json_object_to_json_string_ext (spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                   | JSON_C_TO_STRING_NOSLASHESCAPE);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    r = errno == EEXIST ? husk_error (&err, 0, "`%s` exists already: remove it first", path)
                        : husk_error (&err, errno, "create `%s`", path);
  else if (husk_write_all (fd, text, strlen (text)) < 0 || husk_write_all (fd, "\n", 1) < 0)
    r = husk_error (&err, errno, "write `%s`", path);
  if (fd >= 0)
    close (fd);
  json_object_put (spec);
  return r < 0 ? husk_cli_fail (&err) : 0;
}
