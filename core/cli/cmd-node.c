/* `netloom node LAB NODE stop|start|restart`: a node powered off and on again. It
 * comes back with the same links, addresses and routes (and its routing daemons). */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"

static int
node_exec (struct loom_args *args)
{
  const char *node = args->argv[1], *verb = args->argv[2];
  loom_error_t err = NULL;
  bool stop = strcmp (verb, "stop") == 0 || strcmp (verb, "restart") == 0;
  bool start = strcmp (verb, "start") == 0 || strcmp (verb, "restart") == 0;

  if (!stop && !start)
    return loom_cli_usage_error (args->cmd->name, "unknown action '%s' (stop, start or restart)",
                                 verb);
  if (stop && loom_lab_node_set (args->lab, node, false, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (start && loom_lab_node_set (args->lab, node, true, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (loom_cli_verbosity >= 0)
    printf ("node %s of lab '%s': %s\n", node, args->lab,
            strcmp (verb, "restart") == 0 ? "restarted" : start ? "started" : "stopped");
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_node = {
  .name = "node",
  .usage = "NAME|FILE NODE stop|start|restart",
  .summary = "Stop, start or restart a node",
  .help = "stop ends the node's processes (its routing daemons, and what was started in it\n"
          "with exec or shell) and takes its interfaces down; start brings them back with\n"
          "the same links, addresses and routes, and starts its routing daemons again.\n",
  .example = "  netloom node ospf r2 restart\n",
  .min_args = 3,
  .max_args = 3,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG,
  .exec = node_exec,
};
