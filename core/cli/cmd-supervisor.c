/* `netloom supervisor NAME [status|start|stop]`: the lab's background process, which
 * owns the captures. If it died, inspect says so and `start` brings it back; and the
 * hidden `netloom supervise` is the supervisor itself, as deploy starts it. */
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/supervisor.h"
#include "core/util.h"

static int
supervisor_exec (struct loom_args *args)
{
  const char *verb = args->argc > 1 ? args->argv[1] : "status";
  loom_error_t err = NULL;

  if (strcmp (verb, "status") == 0)
    {
      json_t *req = json_pack ("{s:s}", "cmd", "status");
      json_t *st = loom_supervisor_call (args->lab, req, &err);
      json_decref (req);
      if (st == NULL)
        {
          loom_error_release (&err);
          printf ("supervisor of lab '%s': not running (start it: netloom supervisor %s start)\n",
                  args->lab, args->lab);
          return LOOM_EXIT_FAILURE;
        }
      printf ("supervisor of lab '%s': running, pid %lld, up %llds, %lld links captured, "
              "%lld packets (%lld bytes), %lld dropped\n",
              args->lab, json_integer_value (json_object_get (st, "pid")),
              json_integer_value (json_object_get (st, "uptime")),
              json_integer_value (json_object_get (st, "links")),
              json_integer_value (json_object_get (st, "packets")),
              json_integer_value (json_object_get (st, "bytes")),
              json_integer_value (json_object_get (st, "drops")));
      json_decref (st);
      return LOOM_EXIT_OK;
    }
  if (strcmp (verb, "start") == 0)
    {
      pid_t pid = loom_lab_supervisor_start (args->lab, NULL, &err);
      if (pid < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      if (loom_cli_verbosity >= 0)
        printf ("started the supervisor of lab '%s' (pid %d)\n", args->lab, (int) pid);
      return LOOM_EXIT_OK;
    }
  if (strcmp (verb, "stop") == 0)
    {
      if (loom_lab_supervisor_stop (args->lab, &err) < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      if (loom_cli_verbosity >= 0)
        printf ("stopped the supervisor of lab '%s' (captures stop until it is started)\n",
                args->lab);
      return LOOM_EXIT_OK;
    }
  return loom_cli_usage_error (args->cmd->name, "unknown action '%s' (status, start or stop)",
                               verb);
}

const struct loom_cmd loom_cmd_supervisor = {
  .name = "supervisor",
  .usage = "NAME|FILE [status|start|stop]",
  .summary = "Show, start or stop a lab's supervisor (captures, containers, VMs, NAT)",
  .help = "Every deployed lab has one background process, its supervisor, that owns what\n"
          "must keep running after netloom exits: the capture of every link. It is\n"
          "started by deploy and stopped by destroy. If it died, `inspect` says so and\n"
          "`start` brings it back (capture files go on where they were).\n",
  .example = "  netloom supervisor quickstart\n  netloom supervisor quickstart start\n",
  .min_args = 1,
  .max_args = 2,
  .flags = LOOM_CMD_LAB_ARG,
  .exec = supervisor_exec,
};

static const struct loom_cmd_opt supervise_opts[] = {
  { "run-dir", 0, "DIR", "the state root the lab lives in" },
  { "ready-fd", 0, "FD", "write \"ok\" there once ready" },
  { NULL, 0, NULL, NULL },
};

static int
supervise_exec (struct loom_args *args)
{
  const char *run_dir = loom_args_get (args, "run-dir");
  const char *fd = loom_args_get (args, "ready-fd");

  if (run_dir)
    setenv ("NETLOOM_RUN_DIR", run_dir, 1);
  return loom_supervisor_run (args->argv[0], fd ? atoi (fd) : -1);
}

const struct loom_cmd loom_cmd_supervise = {
  .name = "supervise",
  .usage = "[--run-dir DIR] [--ready-fd FD] NAME",
  .summary = "Run as a lab's supervisor (started by deploy)",
  .opts = supervise_opts,
  .min_args = 1,
  .max_args = 1,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_HIDDEN,
  .exec = supervise_exec,
};
