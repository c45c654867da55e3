/* husk list [-q] [--format table|json] */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "container/container.h"

static const char usage[] = "Usage: husk list [--quiet] [--format table|json]\n\nList containers.\n";

struct list_flags
{
  bool quiet, json;
};

static int
list_opt (int opt, const char *arg, void *data)
{
  struct list_flags *f = data;
  if (opt == 'q')
    f->quiet = true;
  else if (strcmp (arg, "json") == 0)
    f->json = true;
  else if (strcmp (arg, "table") != 0)
    return husk_cli_error ("list", "invalid --format `%s`: expected table or json", arg);
  return 0;
}

static void
print_row (json_object *st)
{
  json_object *v;
  const char *f[5];
  static const char *const keys[] = { "id", "pid", "status", "bundle", "created" };
  for (int i = 0; i < 5; i++)
    f[i] = json_object_object_get_ex (st, keys[i], &v) ? json_object_get_string (v) : "";
  printf ("%-12s %-10s %-10s %-40s %-31s %s\n", f[0], f[1], f[2], f[3], f[4], "root");
}

int
husk_cmd_list (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[]
      = { { "quiet", no_argument, NULL, 'q' }, { "format", required_argument, NULL, 'f' }, { 0 } };
  struct list_flags f = { 0 };
  json_object *arr = json_object_new_array ();
  struct dirent *de;
  DIR *d;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, opts, list_opt, &f, &done);
  if (first < 0 || done)
    return json_object_put (arr), first < 0;
  d = opendir (g->root);
  while (d && (de = readdir (d)))
    {
      struct husk_container *c = NULL;
      husk_error_t err = NULL;
      if (de->d_name[0] == '.')
        continue;
      /* Half-made containers have no state.json yet: load skips them. */
      if (husk_container_load (g->root, de->d_name, &c, &err) < 0)
        {
          husk_error_free (&err);
          continue;
        }
      json_object_array_add (arr, husk_container_state_json (c));
      husk_container_free (c);
    }
  if (d)
    closedir (d);
  if (f.json)
    puts (json_object_to_json_string_ext (arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  else
    {
      if (!f.quiet)
        printf ("%-12s %-10s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (size_t i = 0; i < json_object_array_length (arr); i++)
        {
          json_object *st = json_object_array_get_idx (arr, i), *id;
          if (f.quiet && json_object_object_get_ex (st, "id", &id))
            puts (json_object_get_string (id));
          else if (!f.quiet)
            print_row (st);
        }
    }
  json_object_put (arr);
  return 0;
}
