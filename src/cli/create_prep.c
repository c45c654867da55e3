/* create/run: read and parse config.json once, then decide whether to
 * re-exec from a sealed copy (linux/seal_check.h). This runs before
 * anything exists, so the re-exec leaves nothing behind. */
#include "cli/create_opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/seal_check.h"
#include "linux/sealed.h"
#include "util/fs.h"

static bool
seal_needed (struct create_flags *f)
{
  const char *bundle = f->o.bundle ? f->o.bundle : ".";
  const char *root = f->o.cfg->root_path;
  cleanup_free char *rootfs = NULL;
  if (husk_self_id (&f->o.self) < 0)
    return true;
  f->o.self_known = true;
  if (root[0] == '/')
    rootfs = strdup (root);
  else if (asprintf (&rootfs, "%s/%s", bundle, root) < 0)
    rootfs = NULL;
  /* create reports a bad rootfs; until then, assume the worst. */
  if (rootfs == NULL || realpath (rootfs, f->rootfs_real) == NULL)
    return true;
  f->o.rootfs_real = f->rootfs_real;
  return husk_seal_needed (f->o.cfg, f->rootfs_real, &f->o.self);
}

int
husk_cli_create_prepare (struct husk_global *g, struct create_flags *f, char **text, husk_error_t *err)
{
  cleanup_free char *path = NULL;
  size_t len;
  if (asprintf (&path, "%s/config.json", f->o.bundle ? f->o.bundle : ".") < 0)
    return husk_error (err, ENOMEM, "config");
  if (husk_read_file (path, text, &len, err) < 0
      || husk_config_parse (*text, len, "config.json", true, &f->o.cfg, err) < 0)
    return -1;
  f->o.config_text = *text;
  f->o.config_len = len;
  if (!husk_is_sealed () && seal_needed (f) && husk_ensure_sealed (g->argc, g->argv, g->envp) < 0)
    {
      husk_config_free (f->o.cfg);
      f->o.cfg = NULL;
      return husk_error (err, 0, "cannot run from a sealed copy of husk");
    }
  return 0;
}
