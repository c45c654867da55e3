/* `husk events [--stats] [--interval D] ID`: runc's event stream, one
 * JSON object per line: {"type":"stats","id":..,"data":{...}} every
 * interval and {"type":"oom","id":..} when the kernel OOM-kills inside
 * the container. Ends when the container is gone. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "linux/cgroups/container_cg.h"
#include "util/log.h"

static const char usage[] = "Usage: husk events [--stats] [--interval DURATION] CONTAINER_ID\n\n"
                            "Print container events (oom) and resource statistics (every 5s by default)\n"
                            "as JSON lines. --stats prints the statistics once and exits.\n";

struct events_opts
{
  bool stats;
  const char *interval;
};

static int
events_opt (int opt, const char *arg, void *data)
{
  struct events_opts *o = data;
  if (opt == 's')
    o->stats = true;
  else
    o->interval = arg;
  return 0;
}

/* A Go duration ("5s", "500ms", "1m30s", "1.5s") in milliseconds. */
static int
parse_duration (const char *s, long *ms)
{
  static const struct
  {
    const char *u;
    double ms;
  } units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 },
                { "s", 1e3 },   { "m", 6e4 },   { "h", 3.6e6 } };
  double total = 0;
  if (*s == '\0')
    return -1;
  while (*s)
    {
      char *end;
      double v = strtod (s, &end);
      size_t best = 0;
      int k = -1;
      if (end == s || v < 0)
        return -1;
      for (int i = 0; i < (int)(sizeof (units) / sizeof (units[0])); i++)
        if (strncmp (end, units[i].u, strlen (units[i].u)) == 0 && strlen (units[i].u) > best)
          best = strlen (units[i].u), k = i;
      if (k < 0)
        return -1;
      total += v * units[k].ms;
      s = end + best;
    }
  *ms = (long)(total + 0.999);
  return *ms > 0 ? 0 : -1;
}

static void
emit (const char *type, const char *id, json_object *data)
{
  json_object *e = json_object_new_object ();
  json_object_object_add (e, "type", json_object_new_string (type));
  json_object_object_add (e, "id", json_object_new_string (id));
  if (data)
    json_object_object_add (e, "data", data);
  puts (json_object_to_json_string_ext (e, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  fflush (stdout);
  json_object_put (e);
}

static int
emit_stats (struct husk_cgroup *cg, const char *id, husk_error_t *err)
{
  json_object *st = NULL;
  if (husk_cgroup_stats (cg, &st, err) < 0)
    return -1;
  emit ("stats", id, st);
  return 0;
}

/* Whether the container still exists and runs (reloads its state). */
static bool
still_running (struct husk_global *g, const char *id)
{
  struct husk_container *c = NULL;
  husk_error_t err = NULL;
  if (husk_container_load (g->root, id, &c, &err) < 0)
    {
      husk_error_free (&err);
      return false;
    }
  bool r = husk_container_status (c) != HUSK_STATUS_STOPPED;
  husk_container_free (c);
  return r;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
stream (struct husk_global *g, struct husk_cgroup *cg, const char *id, long interval, husk_error_t *err)
{
  int fd = -1;
  uint64_t ooms = 0, n;
  husk_error_t e = NULL;
  /* No memory cgroup: stats only. */
  if (husk_cgroup_oom_watch (cg, &fd, &e) < 0 || husk_cgroup_oom_count (cg, &ooms, &e) < 0)
    husk_error_free (&e);
  int64_t next = now_ms ();
  for (;;)
    {
      int64_t t = now_ms ();
      if (t >= next)
        {
          if (!still_running (g, id))
            break;
          if (emit_stats (cg, id, &e) < 0)
            {
              husk_log_error_msg (e->msg);
              husk_error_free (&e);
            }
          next = t + interval;
        }
      struct pollfd p = { fd, POLLIN, 0 };
      int r = poll (&p, fd >= 0 ? 1 : 0, (int)(next - now_ms () > 0 ? next - now_ms () : 0));
      if (r < 0 && errno != EINTR)
        {
          int saved = errno;
          if (fd >= 0)
            close (fd);
          return husk_error (err, saved, "poll");
        }
      if (r > 0 && (p.revents & POLLIN))
        {
          /* v1: the eventfd counts OOM notifications; v2: memory.events
           * changed, and oom_kill tells whether it was a kill. */
          uint64_t k = husk_cgroup_oom_ack (fd);
          if (husk_cgroup_oom_count (cg, &n, &e) < 0)
            husk_error_free (&e);
          else if (k > 0 || n > ooms)
            emit ("oom", id, NULL);
          if (e == NULL)
            ooms = n;
        }
      if (r > 0 && (p.revents & (POLLHUP | POLLERR)))
        {
          close (fd);
          fd = -1;
        }
    }
  if (fd >= 0)
    close (fd);
  return 0;
}

int
husk_cmd_events (struct husk_global *g, int argc, char **argv)
{
  static const struct option opts[]
      = { { "stats", no_argument, NULL, 's' }, { "interval", required_argument, NULL, 'i' }, { 0 } };
  struct events_opts o = { false, "5s" };
  husk_error_t err = NULL;
  struct husk_container *c = NULL;
  struct husk_cgroup *cg = NULL;
  long interval;
  bool done;
  int first = husk_cli_parse (argc, argv, usage, opts, events_opt, &o, &done);
  if (first < 0 || done)
    return first < 0;
  if (husk_cli_operands (argc, argv, first, 1, 1, usage) < 0)
    return 1;
  if (parse_duration (o.interval, &interval) < 0)
    return husk_cli_error ("events", "invalid --interval `%s`: give a duration like 5s or 500ms", o.interval),
           1;
  if (husk_container_load (g->root, argv[first], &c, &err) < 0)
    return husk_cli_fail (&err);
  cleanup_free char *id = strdup (c->id);
  int r = husk_container_cgroup_running (c, &cg, &err);
  /* Do not hold the container lock while streaming. */
  husk_container_free (c);
  if (r == 0)
    r = o.stats ? emit_stats (cg, id, &err) : stream (g, cg, id, interval, &err);
  husk_cgroup_free (cg);
  return r < 0 ? husk_cli_fail (&err) : 0;
}
