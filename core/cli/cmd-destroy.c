/* `netloom destroy NAME|FILE` (alias `down`): remove what a lab created, from its
 * journal, so it also cleans up after a crashed deploy. With --all it goes through every
 * lab and keeps going past one that fails, so one broken lab never blocks the rest. */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

static const struct loom_cmd_opt destroy_opts[] = {
  { "all", 'a', NULL, "destroy every deployed lab" },
  { "cleanup", 'c', NULL, "also remove the lab directory (./netloom-<lab>/)" },
  { NULL, 0, NULL, NULL },
};

static int
destroy_one (const char *cmd, const char *name, unsigned flags)
{
  loom_error_t err = NULL;
  double t0 = loom_now ();

  if (loom_lab_destroy (name, flags, &err) < 0)
    {
      loom_cli_wrap_lab (&err, "destroying", name);
      return loom_cli_fail_err (cmd, &err);
    }
  if (loom_cli_verbosity >= 0)
    printf ("destroyed lab '%s' in %.2f s\n", name, loom_now () - t0);
  return LOOM_EXIT_OK;
}

static int
destroy_exec (struct loom_args *args)
{
  const char *cmd = args->cmd->name;
  unsigned flags = loom_args_has (args, "cleanup") ? LOOM_DESTROY_CLEANUP : 0;
  loom_error_t err = NULL;
  char **names = NULL;
  int ret = LOOM_EXIT_OK;
  size_t i;

  if (!loom_args_has (args, "all"))
    {
      if (args->argc == 0)
        return loom_cli_usage_error (cmd, "which lab? Give its name or lab file, or --all");
      if (args->lab == NULL)
        {
          /* Not deployed (any more): with --cleanup, what it left next to its file (the
           * captures destroy keeps) can still go. */
          if (flags & LOOM_DESTROY_CLEANUP)
            {
              loom_autofree char *removed = NULL;
              if (loom_lab_cleanup_file (args->argv[0], &removed, &err) < 0)
                return loom_cli_fail_err (cmd, &err);
              if (removed)
                {
                  if (loom_cli_verbosity >= 0)
                    printf ("removed %s (the lab was not deployed)\n", removed);
                  return LOOM_EXIT_OK;
                }
            }
          {
            char *name = NULL;
            return loom_cli_resolve_lab (cmd, args->argv[0], &name);
          }
        }
      return destroy_one (cmd, args->lab, flags);
    }

  if (loom_lab_list (&names, &err) < 0)
    return loom_cli_fail_err (cmd, &err);
  if ((names == NULL || names[0] == NULL) && loom_cli_verbosity >= 0)
    printf ("no labs to destroy\n");
  for (i = 0; names && names[i]; i++)
    {
      if (destroy_one (cmd, names[i], flags) != LOOM_EXIT_OK)
        ret = LOOM_EXIT_FAILURE;
      free (names[i]);
    }
  free (names);
  return ret;
}

const struct loom_cmd loom_cmd_destroy = {
  .name = "destroy",
  .alias = "down",
  .usage = "[--cleanup] NAME|FILE | --all",
  .summary = "Destroy a deployed lab",
  .help = "Removes exactly what the lab created - its namespaces, and with them its links\n"
          "and bridges - as listed in the lab's journal, so it also cleans up after a\n"
          "deploy that crashed or was killed. The lab is named by its name or by the lab\n"
          "file it was deployed from.\n",
  .example = "  netloom destroy quickstart\n"
             "  netloom destroy labs/quickstart.yaml\n"
             "  netloom destroy --all --cleanup\n",
  .opts = destroy_opts,
  .min_args = 0,
  .max_args = 1,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG | LOOM_CMD_LAB_MAY_BE_GONE,
  .exec = destroy_exec,
};
