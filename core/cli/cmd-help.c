/* `netloom help [COMMAND]`: the command list, or one command's page — the same page as
 * `netloom COMMAND --help`, both printed from the command's entry. */
#include "core/cli/cli.h"

static int
help_exec (struct loom_args *args)
{
  const struct loom_cmd *cmd;

  if (args->argc == 0)
    {
      loom_cli_print_usage (stdout);
      return LOOM_EXIT_OK;
    }
  cmd = loom_cmd_find (args->argv[0]);
  if (cmd == NULL)
    return loom_cli_usage_error (NULL, "unknown command '%s'", args->argv[0]);
  loom_cli_print_cmd_help (cmd, stdout);
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_help = {
  .name = "help",
  .alias = NULL,
  .usage = "[COMMAND]",
  .summary = "Show the commands, or one command's usage, options and example",
  .help = NULL,
  .example = "  netloom help deploy\n",
  .opts = NULL,
  .min_args = 0,
  .max_args = 1,
  .flags = 0,
  .exec = help_exec,
};
