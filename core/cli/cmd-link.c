/* `netloom link LAB NODE:IF down|up`: pull a link's cable and put it back, as on a real
 * bench: both ends lose their carrier, routing protocols notice and reroute. */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/supervisor.h"
#include "core/util.h"

static int
link_show (struct loom_args *args)
{
  loom_error_t err = NULL;
  json_t *req = json_pack ("{s:s}", "cmd", "impair-show");
  json_t *resp = loom_supervisor_call (args->lab, req, &err), *e;
  const char *want = args->argc > 1 ? args->argv[1] : NULL;
  size_t i, shown = 0;

  json_decref (req);
  if (resp == NULL)
    return loom_cli_fail_err (args->cmd->name, &err);
  json_array_foreach (json_object_get (resp, "impairments"), i, e)
  {
    loom_autofree char *ep = loom_xasprintf ("%s:%s", json_string_value (json_object_get (e, "node")),
                                             json_string_value (json_object_get (e, "interface")));
    if (want && strcmp (want, ep) != 0)
      continue;
    printf ("%s: %s\n  path: %s\n  frames %lld, sent %lld, lost %lld, duplicated %lld, "
            "corrupted %lld, reordered %lld, dropped (queue full) %lld\n",
            ep, json_string_value (json_object_get (e, "impair")),
            json_string_value (json_object_get (e, "path")),
            json_integer_value (json_object_get (e, "frames")),
            json_integer_value (json_object_get (e, "sent")),
            json_integer_value (json_object_get (e, "lost")),
            json_integer_value (json_object_get (e, "duplicated")),
            json_integer_value (json_object_get (e, "corrupted")),
            json_integer_value (json_object_get (e, "reordered")),
            json_integer_value (json_object_get (e, "dropped")));
    shown++;
  }
  if (shown == 0)
    printf ("%s: no impairment (a plain wire)\n", want ? want : "every link");
  json_decref (resp);
  return LOOM_EXIT_OK;
}

static int
link_exec (struct loom_args *args)
{
  const char *verb = args->argc > 2 ? args->argv[2] : "show";
  loom_error_t err = NULL;
  bool up;

  if (args->argc < 2 || strcmp (verb, "show") == 0)
    return link_show (args);
  if (strcmp (verb, "set") == 0 || strcmp (verb, "reset") == 0)
    {
      bool reset = strcmp (verb, "reset") == 0;
      if (!reset && args->argc < 4)
        return loom_cli_usage_error (args->cmd->name, "set what? e.g. delay=50ms loss=1%%");
      if (loom_lab_impair_set (args->lab, args->argv[1], (const char *const *) args->argv + 3,
                               reset ? 0 : (size_t) args->argc - 3, &err)
          < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      if (loom_cli_verbosity >= 0)
        printf ("%s of lab '%s': %s\n", args->argv[1], args->lab,
                reset ? "impairments removed" : "impairments set");
      return LOOM_EXIT_OK;
    }

  if (strcmp (verb, "down") == 0)
    up = false;
  else if (strcmp (verb, "up") == 0)
    up = true;
  else
    return loom_cli_usage_error (args->cmd->name, "unknown action '%s' (down, up, set, show or reset)", verb);
  if (loom_lab_link_set (args->lab, args->argv[1], up, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  if (loom_cli_verbosity >= 0)
    printf ("link %s of lab '%s' is %s\n", args->argv[1], args->lab, up ? "up" : "down");
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_link = {
  .name = "link",
  .usage = "NAME|FILE [NODE:IF [down|up|show|reset|set KEY=VALUE...]]",
  .summary = "Pull a link's cable or put it back; impair a link (delay, loss, rate ...)",
  .help = "Takes both ends of the link (named by either end) down, as a pulled cable\n"
          "would, or brings them up again. Addresses stay; routes through the link go\n"
          "while it is down, and routing daemons (OSPF, BGP) notice at once.\n\n"
          "set changes what the frames NODE:IF sends suffer: delay=50ms jitter=5ms loss=1%\n"
          "duplicate=1% corrupt=0.1% reorder=5% rate=10mbit (given keys change, others\n"
          "stay); reset removes them; show lists them with counters and the path used.\n",
  .example = "  netloom link ospf r1:eth2 down\n  netloom link ospf r1:eth2 up\n"
             "  netloom link quickstart h1:eth1 set delay=50ms loss=1%\n"
             "  netloom link quickstart h1:eth1 show\n",
  .min_args = 1,
  .max_args = -1,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG,
  .exec = link_exec,
};
