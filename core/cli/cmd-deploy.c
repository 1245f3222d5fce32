/* `netloom deploy FILE` (alias `up`): load and check a lab file, then build the lab and
 * show what was built. Every diagnostic is printed before anything touches the system,
 * so a lab file with errors never leaves half a lab behind. */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

static const struct loom_cmd_opt deploy_opts[] = {
  { "reconfigure", 0, NULL, "destroy the deployed lab of the same name first" },
  { "workers", 'j', "N", "deploy with N parallel workers (0: automatic, the default)" },
  { NULL, 0, NULL, NULL },
};

static int
deploy_exec (struct loom_args *args)
{
  const char *cmd = args->cmd->name;
  struct loom_deploy_opts opts = { 0 };
  struct loom_lab *lab = NULL;
  loom_error_t err = NULL;
  json_t *state;
  double t0;
  int ret;

  if (loom_args_has (args, "workers"))
    {
      long n = loom_cli_parse_count (loom_args_get (args, "workers"), 4096);
      if (n < 0)
        return loom_cli_usage_error (cmd, "--workers wants a number from 0 to 4096, not '%s'",
                                     loom_args_get (args, "workers"));
      opts.workers = (int) n;
    }

  ret = loom_cli_load_lab (cmd, args->argv[0], &lab);
  if (ret != LOOM_EXIT_OK)
    return ret;

  if (loom_cli_lab_exists (lab->name))
    {
      if (!loom_args_has (args, "reconfigure"))
        {
          ret = loom_cli_fail (cmd,
                               "lab '%s' is already deployed: destroy it first "
                               "(netloom destroy %s) or redeploy with --reconfigure",
                               lab->name, lab->name);
          loom_lab_free (lab);
          return ret;
        }
      t0 = loom_now ();
      if (loom_lab_destroy (lab->name, 0, &err) < 0)
        {
          loom_cli_wrap_lab (&err, "destroying", lab->name);
          loom_error_wrap (&err, "--reconfigure");
          loom_lab_free (lab);
          return loom_cli_fail_err (cmd, &err);
        }
      if (loom_cli_verbosity >= 0)
        printf ("destroyed lab '%s' in %.2f s\n", lab->name, loom_now () - t0);
    }

  t0 = loom_now ();
  if (loom_lab_deploy (lab, &opts, &err) < 0)
    {
      loom_cli_wrap_lab (&err, "deploying", lab->name);
      loom_lab_free (lab);
      return loom_cli_fail_err (cmd, &err);
    }
  if (loom_cli_verbosity >= 0)
    printf ("deployed lab '%s': %zu %s, %zu %s in %.2f s\n", lab->name, lab->n_nodes,
            loom_cli_plural (lab->n_nodes, "node", "nodes"), lab->n_links,
            loom_cli_plural (lab->n_links, "link", "links"), loom_now () - t0);

  /* The lab is up: failing to show it is worth a word, but the deploy succeeded. */
  state = loom_lab_state_load (lab->name, &err);
  if (state == NULL)
    {
      loom_autofree char *text = loom_error_text (err);
      loom_error_release (&err);
      fprintf (stderr, "netloom: %s: warning: cannot show the lab: %s\n", cmd, text);
    }
  else
    {
      if (loom_cli_verbosity >= 0)
        loom_cli_print_table (&state, 1, stdout);
      json_decref (state);
    }
  loom_lab_free (lab);
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_deploy = {
  .name = "deploy",
  .alias = "up",
  .usage = "[OPTIONS] FILE",
  .summary = "Deploy the lab described by a lab file",
  .help = "Loads FILE, prints every error and warning in it (file:line:col) and, when it has\n"
          "no errors, builds the lab: one network namespace per node, a veth pair per\n"
          "link, bridges for switches, then addresses, routes and each node's exec\n"
          "commands. A failed deploy removes everything it created. On success it prints\n"
          "how long it took and the same table as 'netloom inspect'.\n",
  .example = "  netloom deploy labs/quickstart.yaml\n"
             "  netloom deploy --reconfigure -j 8 labs/quickstart.yaml\n",
  .opts = deploy_opts,
  .min_args = 1,
  .max_args = 1,
  .flags = LOOM_CMD_NEEDS_ROOT,
  .exec = deploy_exec,
};
