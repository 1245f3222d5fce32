/* `netloom inspect [NAME|FILE]`: show deployed labs, node by node, as a table or as the
 * state JSON. With no lab named it shows what is there, so on a machine with one lab
 * `netloom inspect` is all anyone has to type. */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

static const struct loom_cmd_opt inspect_opts[] = {
  { "json", 0, NULL, "print the state as JSON (an array with --all or several labs)" },
  { "all", 'a', NULL, "show every deployed lab" },
  { NULL, 0, NULL, NULL },
};

static int
inspect_exec (struct loom_args *args)
{
  const char *cmd = args->cmd->name;
  bool all = loom_args_has (args, "all");
  bool json = loom_args_has (args, "json");
  loom_error_t err = NULL;
  char **names = NULL;
  json_t **states = NULL;
  size_t n_names = 0, n = 0, i;
  int ret = LOOM_EXIT_OK;

  if (args->argc > 0)
    {
      names = loom_xcalloc (2, sizeof (char *));
      names[0] = loom_steal (&args->lab);
      n_names = 1;
    }
  else
    {
      if (loom_lab_list (&names, &err) < 0)
        return loom_cli_fail_err (cmd, &err);
      while (names && names[n_names])
        n_names++;
    }

  states = loom_xcalloc (n_names + 1, sizeof (json_t *));
  for (i = 0; i < n_names; i++)
    {
      json_t *state = loom_lab_state_load (names[i], &err);
      if (state == NULL)
        {
          /* One unreadable lab (a crashed deploy) must not hide the others. */
          loom_cli_wrap_lab (&err, "reading", names[i]);
          loom_cli_fail_err (cmd, &err);
          ret = LOOM_EXIT_FAILURE;
          continue;
        }
      states[n++] = state;
    }

  if (json)
    {
      json_t *out = NULL;
      /* One lab (named, or the only one) is an object; otherwise an array, even an
       * empty one, so scripts always get valid JSON. */
      if (n_names == 1 && !all)
        out = n == 1 ? json_incref (states[0]) : NULL;
      else
        {
          out = json_array ();
          for (i = 0; i < n; i++)
            json_array_append (out, states[i]);
        }
      if (out)
        {
          json_dumpf (out, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
          fputc ('\n', stdout);
          json_decref (out);
        }
    }
  else if (n > 0)
    loom_cli_print_table (states, n, stdout);
  else if (n_names == 0 && loom_cli_verbosity >= 0)
    fprintf (stderr, "netloom: %s: no labs deployed\n", cmd);

  for (i = 0; i < n; i++)
    json_decref (states[i]);
  free (states);
  for (i = 0; i < n_names; i++)
    free (names[i]);
  free (names);
  return ret;
}

const struct loom_cmd loom_cmd_inspect = {
  .name = "inspect",
  .alias = NULL,
  .usage = "[OPTIONS] [NAME|FILE]",
  .summary = "Show the nodes, namespaces and interfaces of deployed labs",
  .help = "Prints one row per node: its lab, name, kind, state (running, or missing when its\n"
          "namespace is gone; for a container its process's: running, exited N, stopped),\n"
          "namespace (for 'ip netns exec') and one line per interface with its addresses,\n"
          "MAC address and the interface at the other end of its link. Containers that are\n"
          "not simply running get a line saying why (exit status, OOM kills). With no lab\n"
          "named it shows every deployed lab.\n",
  .example = "  netloom inspect\n"
             "  netloom inspect quickstart --json\n",
  .opts = inspect_opts,
  .min_args = 0,
  .max_args = 1,
  .flags = LOOM_CMD_LAB_ARG,
  .exec = inspect_exec,
};
