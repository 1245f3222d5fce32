/* `netloom validate FILE...`: everything deploy checks before it touches the system —
 * parsing, validation, and whether this build supports every node kind — and nothing
 * more, so it needs no root and is safe to run in CI on every lab in a repository. */
#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

static int
validate_exec (struct loom_args *args)
{
  int ret = LOOM_EXIT_OK;
  int i;

  for (i = 0; i < args->argc; i++)
    {
      struct loom_lab *lab = NULL;
      int r = loom_cli_load_lab (args->cmd->name, args->argv[i], &lab);

      if (r != LOOM_EXIT_OK)
        {
          /* A usage error outranks a failure: 2 means "fix your lab file". */
          if (ret != LOOM_EXIT_USAGE)
            ret = r;
          continue;
        }
      if (loom_cli_verbosity >= 0)
        printf ("lab '%s' is valid: %zu %s, %zu %s\n", lab->name, lab->n_nodes,
                loom_cli_plural (lab->n_nodes, "node", "nodes"), lab->n_links,
                loom_cli_plural (lab->n_links, "link", "links"));
      loom_lab_free (lab);
    }
  return ret;
}

const struct loom_cmd loom_cmd_validate = {
  .name = "validate",
  .alias = NULL,
  .usage = "FILE...",
  .summary = "Check lab files without deploying them",
  .help = "Parses and validates each FILE the way deploy does, printing every error and\n"
          "warning as file:line:col, and reports node kinds this build cannot deploy yet.\n"
          "Changes nothing on the system and needs no root. Exits 2 when any file has an\n"
          "error.\n",
  .example = "  netloom validate labs/*.yaml\n",
  .opts = NULL,
  .min_args = 1,
  .max_args = -1,
  .flags = 0,
  .exec = validate_exec,
};
