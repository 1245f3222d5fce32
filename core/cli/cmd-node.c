/* `netloom node LAB NODE stop|start|restart|suspend|resume|reset`: a node powered off
 * and on again. It comes back with the same links, addresses and routes (and its
 * routing daemons; a VM boots again from the same disk with the same MACs). suspend,
 * resume and reset are for VMs: the guest is paused (its links stay up), continued, or
 * reset as by the reset button. */
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
  bool vm_verb = strcmp (verb, "suspend") == 0 || strcmp (verb, "resume") == 0
                 || strcmp (verb, "reset") == 0;

  if (vm_verb)
    {
      if (loom_lab_vm_control (args->lab, node, verb, &err) < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      if (loom_cli_verbosity >= 0)
        printf ("node %s of lab '%s': %s\n", node, args->lab,
                strcmp (verb, "suspend") == 0  ? "suspended"
                : strcmp (verb, "resume") == 0 ? "resumed"
                                               : "reset");
      return LOOM_EXIT_OK;
    }
  if (!stop && !start)
    return loom_cli_usage_error (args->cmd->name,
                                 "unknown action '%s' (stop, start, restart; for VMs also "
                                 "suspend, resume, reset)",
                                 verb);
  if (stop && loom_lab_node_set (args->lab, node, false, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (start && loom_lab_node_set (args->lab, node, true, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (loom_cli_verbosity >= 0)
    printf ("node %s of lab '%s': %s\n", node, args->lab,
            strcmp (verb, "restart") == 0 ? "restarted"
            : start                       ? "started"
                                          : "stopped");
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_node = {
  .name = "node",
  .usage = "NAME|FILE NODE stop|start|restart|suspend|resume|reset",
  .summary = "Stop, start or restart a node; suspend, resume or reset a VM",
  .help = "stop ends the node's processes (its routing daemons, and what was started in it\n"
          "with exec or shell) and takes its interfaces down; start brings them back with\n"
          "the same links, addresses and routes, and starts its routing daemons again.\n"
          "For a VM, stop powers the guest off (QEMU quits; its disk overlay is kept) and\n"
          "start boots it again with the same MACs and wiring. VMs only: suspend pauses\n"
          "the guest (its links stay up), resume continues it, reset resets it as the\n"
          "reset button would.\n",
  .example = "  netloom node ospf r2 restart\n"
             "  netloom node multi-vm vm1 suspend\n",
  .min_args = 3,
  .max_args = 3,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG,
  .exec = node_exec,
};
