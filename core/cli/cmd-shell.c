/* `netloom shell NAME NODE`: an interactive shell inside a node, with a prompt that
 * says which lab and node it is in — several of these open side by side are otherwise
 * impossible to tell apart. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/util.h"

/* $SHELL when it can be run, else bash, else sh. */
static const char *
pick_shell (void)
{
  const char *shell = getenv ("SHELL");

  if (shell && *shell == '/' && access (shell, X_OK) == 0)
    return shell;
  if (access ("/bin/bash", X_OK) == 0)
    return "/bin/bash";
  return "/bin/sh";
}

enum node_sort
{
  NODE_NAMESPACE, /* host, router, switch...: a shell in its namespace */
  NODE_CONTAINER, /* the container's own shell */
  NODE_VM,        /* the guest's serial console */
};

static enum node_sort
node_sort (const char *lab, const char *node)
{
  json_t *state = loom_lab_state_load (lab, NULL), *n;
  enum node_sort sort = NODE_NAMESPACE;
  size_t i;

  json_array_foreach (json_object_get (state, "nodes"), i, n)
    if (strcmp (json_string_value (json_object_get (n, "name")) ?: "", node) == 0)
      {
        if (json_object_get (n, "container"))
          sort = NODE_CONTAINER;
        else if (json_object_get (n, "vm"))
          sort = NODE_VM;
      }
  json_decref (state);
  return sort;
}

static int
shell_exec (struct loom_args *args)
{
  const char *node = args->argv[1];
  const char *shell = pick_shell ();
  const char *base = strrchr (shell, '/') ? strrchr (shell, '/') + 1 : shell;
  bool bash = strcmp (base, "bash") == 0;
  loom_autofree char *ps1 = NULL;
  enum node_sort sort;
  char *argv[5];
  int i = 0;

  /* bash reads PS1 from the environment only when no rc file resets it (--norc);
   * \W is bash's; a POSIX sh prints PS1 as it is. The child inherits our env. */
  ps1 = bash ? loom_xasprintf ("[%s:%s \\W]\\$ ", args->lab, node)
             : loom_xasprintf ("[%s:%s]# ", args->lab, node);
  setenv ("PS1", ps1, 1);
  setenv ("NETLOOM_LAB", args->lab, 1);
  setenv ("NETLOOM_NODE", node, 1);

  argv[i++] = (char *) shell;
  if (bash)
    argv[i++] = "--norc";
  argv[i++] = "-i";
  argv[i] = NULL;
  sort = node_sort (args->lab, node);
  if (sort == NODE_VM)
    {
      /* A VM's shell is the guest's, on its serial console: what console does, with
       * none of console's options set. */
      struct loom_args con = *args;

      con.cmd = &loom_cmd_console;
      memset (con.set, 0, sizeof con.set);
      memset (con.value, 0, sizeof con.value);
      if (loom_cli_verbosity >= 0)
        fprintf (stderr, "netloom: '%s' is a VM: its shell is on its serial console\n", node);
      return loom_cmd_console.exec (&con);
    }
  if (sort == NODE_CONTAINER)
    {
      /* The container's own shell: bash when its image has one, else sh (busybox's
       * ash reads the same prompt escapes). */
      ps1 = (free (ps1), loom_xasprintf ("[%s:%s \\W]\\$ ", args->lab, node));
      setenv ("PS1", ps1, 1);
      argv[0] = "/bin/sh";
      argv[1] = "-c";
      argv[2] = "command -v bash >/dev/null 2>&1 && exec bash --norc -i; exec sh -i";
      argv[3] = NULL;
    }

  if (loom_cli_verbosity >= 0)
    fprintf (stderr, "netloom: shell in node '%s' of lab '%s'; type 'exit' to leave\n", node,
             args->lab);
  return loom_cli_run_in_node (args->cmd->name, args->lab, node, argv);
}

const struct loom_cmd loom_cmd_shell = {
  .name = "shell",
  .alias = "sh",
  .usage = "NAME|FILE NODE",
  .summary = "Open an interactive shell inside a node",
  .help = "Starts $SHELL (or bash, or sh) inside the node with the prompt set to\n"
          "'[lab:node]', and NETLOOM_LAB and NETLOOM_NODE set. bash starts with --norc\n"
          "so that the prompt stays. Leave with 'exit'; netloom exits with the shell's\n"
          "status. In a container node it is the container's own shell (bash if its image\n"
          "has one, else sh), inside all of the container's namespaces. A VM's shell is\n"
          "the guest's own, on its serial console (as 'netloom console'; Ctrl-] leaves).\n",
  .example = "  netloom shell quickstart h1\n",
  .opts = NULL,
  .min_args = 2,
  .max_args = 2,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG,
  .exec = shell_exec,
};
