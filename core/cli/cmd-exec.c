/* `netloom exec NAME NODE -- CMD...`: run a command inside a node and exit with its
 * status, so scripts and tests can use it like the command itself (`netloom exec lab h1
 * -- ping -c 1 10.0.2.13 && echo crossed`). */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

static int
exec_exec (struct loom_args *args)
{
  char **argv = args->argv + 2;
  int argc = args->argc - 2;

  /* Options stop at the lab name, so a "--" between the node and the command is still
   * here; it only marks where the command starts. */
  if (argc > 0 && strcmp (argv[0], "--") == 0)
    {
      argv++;
      argc--;
    }
  if (argc == 0)
    return loom_cli_usage_error (args->cmd->name, "no command to run: netloom exec %s %s -- CMD",
                                 args->argv[0], args->argv[1]);
  return loom_cli_run_in_node (args->cmd->name, args->lab, args->argv[1], argv);
}

const struct loom_cmd loom_cmd_exec = {
  .name = "exec",
  .alias = NULL,
  .usage = "NAME|FILE NODE [--] CMD [ARGS...]",
  .summary = "Run a command inside a node and pass its exit status through",
  .help = "Runs CMD in the node's network namespace (with /sys showing the node's own\n"
          "interfaces and the node's env), sharing this terminal. netloom exits with the\n"
          "command's status, or 128+N when a signal N killed it. Everything after NODE is\n"
          "the command, its own options included; '--' before it is optional. In a\n"
          "container node CMD runs inside all of the container's namespaces (its files,\n"
          "processes, hostname, cgroups, network) with its env, working directory and user.\n"
          "In a VM node CMD runs in the node's namespace on the host, beside the VM's TAP\n"
          "devices, not in the guest: 'netloom console' types into the guest.\n",
  .example = "  netloom exec quickstart h1 -- ping -c 3 10.0.2.13\n"
             "  netloom exec quickstart r1 -- ip route\n",
  .opts = NULL,
  .min_args = 2,
  .max_args = -1,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG | LOOM_CMD_STOP_AT_ARG,
  .exec = exec_exec,
};
