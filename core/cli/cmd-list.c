/* `netloom list`: one line per lab that has state on this machine — deployed, or left
 * behind by a crash (shown as "unknown" when its state cannot be read, which is the cue
 * to destroy it). */
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

static int
list_exec (struct loom_args *args)
{
  loom_error_t err = NULL;
  char **names = NULL;
  json_t **states;
  size_t n = 0, i, wname = 4, wstatus = 6;

  if (loom_lab_list (&names, &err) < 0)
    return loom_cli_fail_err (args->cmd->name, &err);
  while (names && names[n])
    n++;

  states = loom_xcalloc (n + 1, sizeof (json_t *));
  for (i = 0; i < n; i++)
    {
      const char *status;
      states[i] = loom_lab_state_load (names[i], &err);
      if (states[i] == NULL)
        {
          loom_autofree char *text = loom_error_text (err);
          loom_error_release (&err);
          loom_log (LOOM_LOG_DEBUG, "lab '%s': %s", names[i], text);
        }
      status = json_string_value (json_object_get (states[i], "status"));
      if (strlen (names[i]) > wname)
        wname = strlen (names[i]);
      if (status && strlen (status) > wstatus)
        wstatus = strlen (status);
    }

  if (n > 0)
    printf ("%-*s  %-*s  %5s  %s\n", (int) wname, "NAME", (int) wstatus, "STATUS", "NODES", "FILE");
  for (i = 0; i < n; i++)
    {
      const char *status = json_string_value (json_object_get (states[i], "status"));
      const char *file = json_string_value (json_object_get (states[i], "file"));
      json_t *nodes = json_object_get (states[i], "nodes");

      if (states[i] && json_is_array (nodes))
        printf ("%-*s  %-*s  %5zu  %s\n", (int) wname, names[i], (int) wstatus,
                status ? status : "-", json_array_size (nodes), file ? file : "-");
      else
        printf ("%-*s  %-*s  %5s  %s\n", (int) wname, names[i], (int) wstatus,
                status ? status : "unknown", "-", file ? file : "-");
      json_decref (states[i]);
      free (names[i]);
    }
  if (n == 0 && loom_cli_verbosity >= 0)
    fprintf (stderr, "netloom: %s: no labs deployed\n", args->cmd->name);
  free (states);
  free (names);
  return LOOM_EXIT_OK;
}

const struct loom_cmd loom_cmd_list = {
  .name = "list",
  .alias = "ls",
  .usage = "",
  .summary = "List the deployed labs",
  .help = "Prints a header, then one line per lab: its name, status (running, degraded when\n"
          "some node's namespace is gone, deploying, failed, or unknown when its state\n"
          "cannot be read - destroy it), number of nodes and the lab file it came from.\n",
  .example = "  netloom list\n",
  .opts = NULL,
  .min_args = 0,
  .max_args = 0,
  .flags = 0,
  .exec = list_exec,
};
