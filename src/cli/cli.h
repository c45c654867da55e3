/* Helpers shared by the command files. */
#ifndef HUSK_CLI_CLI_H
#define HUSK_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "cli/commands.h"
#include "util/error.h"

/* Parse a command's flags (getopt_long_only, so -flag and --flag both work
 * as with runc). `on_opt` gets each option; return <0 from it to fail.
 * --help/-h prints `usage` and makes *done true. Returns the index of the
 * first operand or -1 after printing an error. */
typedef int (*husk_opt_fn) (int opt, const char *arg, void *data);
/* For commands without flags of their own. */
int husk_cli_no_opt (int opt, const char *arg, void *data);
int husk_cli_parse (int argc, char **argv, const char *usage, const struct option *opts, husk_opt_fn on_opt,
                    void *data, bool *done);
/* Check the operand count; prints "husk CMD: ..." and returns -1 if off. */
int husk_cli_operands (int argc, char **argv, int first, int min, int max, const char *usage);
int husk_cli_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int husk_parse_int (const char *s, long min, long max, long *out);

#endif
