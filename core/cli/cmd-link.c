/* `netloom link LAB NODE:IF down|up`: pull a link's cable and put it back, as on a real
 * bench: both ends lose their carrier, routing protocols notice and reroute. */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"

static int
link_exec (struct loom_args *args)
{
  const char *verb = args->argv[2];
  loom_error_t err = NULL;
  bool up;

  if (strcmp (verb, "down") == 0)
    up = false;
  else if (strcmp (verb, "up") == 0)
    up = true;
  else
    return loom_cli_usage_error (args->cmd->name, "unknown action '%s' (down or up)", verb);
  if (loom_lab_link_set (args->lab, args->argv[1], up, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (loom_cli_verbosity >= 0)
    printf ("link %s of lab '%s' is %s\n", args->argv[1], args->lab, up ? "up" : "down");
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_link = {
  .name = "link",
  .usage = "NAME|FILE NODE:IF down|up",
  .summary = "Pull a link's cable, or put it back",
  .help = "Takes both ends of the link (named by either end) down, as a pulled cable\n"
          "would, or brings them up again. Addresses stay; routes through the link go\n"
          "while it is down, and routing daemons (OSPF, BGP) notice at once.\n",
  .example = "  netloom link ospf r1:eth2 down\n  netloom link ospf r1:eth2 up\n",
  .min_args = 3,
  .max_args = 3,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG,
  .exec = link_exec,
};
