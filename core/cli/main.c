/* The `netloom` command's entry point. It parses only the global options, finds the
 * command in the table below and does, once for every command, the argument work a
 * command entry declares (see cli.h): option parsing, counting positional arguments,
 * checking lab and node names, refusing early when root is needed, and resolving a lab
 * name or lab file. Commands themselves live one per file in cmd-<name>.c. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/log.h"
#include "core/netns.h"
#include "core/util.h"

const struct loom_cmd *const loom_cmds[] = {
  &loom_cmd_deploy,   &loom_cmd_destroy, &loom_cmd_inspect,    &loom_cmd_list,
  &loom_cmd_exec,     &loom_cmd_shell,   &loom_cmd_console,    &loom_cmd_logs,
  &loom_cmd_capture,  &loom_cmd_pcap,    &loom_cmd_link,       &loom_cmd_node,
  &loom_cmd_image,    &loom_cmd_supervisor, &loom_cmd_validate, &loom_cmd_version,
  &loom_cmd_help,     &loom_cmd_supervise,
  NULL,
};

const struct loom_cmd *
loom_cmd_find (const char *name)
{
  size_t i;

  for (i = 0; loom_cmds[i]; i++)
    if (strcmp (loom_cmds[i]->name, name) == 0
        || (loom_cmds[i]->alias && strcmp (loom_cmds[i]->alias, name) == 0))
      return loom_cmds[i];
  return NULL;
}

/* getopt_long values of a command's own long options: past every char. */
#define OPT_BASE 0x100

/* Parses a command's options into args. Returns -1 to go on, or an exit code (help was
 * printed, or a usage error). argv[0] is the command name, as getopt expects. */
static int
parse_cmd_opts (const struct loom_cmd *cmd, int argc, char **argv, struct loom_args *args)
{
  struct option longopts[LOOM_CMD_MAX_OPTS + 4];
  char shortopts[3 * LOOM_CMD_MAX_OPTS + 8];
  size_t nl = 0, ns = 0;
  bool help = false;
  int i, c;

  if (cmd->flags & LOOM_CMD_STOP_AT_ARG)
    shortopts[ns++] = '+';
  shortopts[ns++] = ':'; /* report a missing value as ':' rather than '?' */
  for (i = 0; cmd->opts && cmd->opts[i].long_name; i++)
    {
      const struct loom_cmd_opt *o = &cmd->opts[i];
      longopts[nl++] = (struct option){ o->long_name, o->metavar ? required_argument : no_argument,
                                        NULL, OPT_BASE + i };
      if (o->short_name)
        {
          shortopts[ns++] = (char) o->short_name;
          if (o->metavar)
            shortopts[ns++] = ':';
        }
    }
  longopts[nl++] = (struct option){ "help", no_argument, NULL, 'h' };
  longopts[nl++] = (struct option){ "verbose", no_argument, NULL, 'v' };
  longopts[nl++] = (struct option){ "quiet", no_argument, NULL, 'q' };
  longopts[nl] = (struct option){ NULL, 0, NULL, 0 };
  memcpy (shortopts + ns, "hvq", 4);

  optind = 0; /* GNU: start over, main already ran getopt on the global options */
  opterr = 0;
  while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1)
    {
      switch (c)
        {
        case 'h':
          help = true;
          continue;
        case 'v':
          loom_cli_verbosity = 1;
          continue;
        case 'q':
          loom_cli_verbosity = -1;
          continue;
        case '?':
          if (optopt && optopt < OPT_BASE)
            return loom_cli_usage_error (cmd->name, "unknown option '-%c'", optopt);
          return loom_cli_usage_error (cmd->name, "unknown option '%s'", argv[optind - 1]);
        case ':':
          if (optopt >= OPT_BASE)
            return loom_cli_usage_error (cmd->name, "option '--%s' needs a value (%s)",
                                         cmd->opts[optopt - OPT_BASE].long_name,
                                         cmd->opts[optopt - OPT_BASE].metavar);
          return loom_cli_usage_error (cmd->name, "option '-%c' needs a value", optopt);
        default:
          break;
        }
      if (c < OPT_BASE)
        for (i = 0; cmd->opts && cmd->opts[i].long_name; i++)
          if (cmd->opts[i].short_name == c)
            {
              c = OPT_BASE + i;
              break;
            }
      if (c < OPT_BASE || c >= OPT_BASE + LOOM_CMD_MAX_OPTS)
        abort (); /* getopt returned what we never gave it */
      args->set[c - OPT_BASE] = true;
      args->value[c - OPT_BASE] = optarg;
    }
  if (help)
    {
      loom_cli_print_cmd_help (cmd, stdout);
      return LOOM_EXIT_OK;
    }
  args->argc = argc - optind;
  args->argv = argv + optind;
  return -1;
}

/* Looks the node up in the lab's state so that a typo gets the list of nodes back. A
 * lab whose state cannot be read is left to loom_node_spawn() to report. */
static int
check_node (const struct loom_cmd *cmd, const char *lab, const char *node)
{
  loom_error_t err = NULL;
  json_t *state = loom_lab_state_load (lab, &err);
  json_t *nodes, *n;
  loom_autofree char *names = NULL;
  size_t i;
  int ret;

  if (state == NULL)
    {
      loom_error_release (&err);
      return -1;
    }
  nodes = json_object_get (state, "nodes");
  json_array_foreach (nodes, i, n)
    {
      const char *name = json_string_value (json_object_get (n, "name"));
      char *next;
      if (name == NULL)
        continue;
      if (strcmp (name, node) == 0)
        {
          json_decref (state);
          return -1;
        }
      next = loom_xasprintf ("%s%s%s", names ? names : "", names ? ", " : "", name);
      free (names);
      names = next;
    }
  ret = loom_cli_fail (cmd->name, "lab '%s' has no node '%s' (its nodes: %s)", lab, node,
                       names ? names : "none");
  json_decref (state);
  return ret;
}

/* Whether the command has an option of that name and it was given. */
static bool
has_opt (const struct loom_cmd *cmd, const struct loom_args *args, const char *long_name)
{
  int i;

  for (i = 0; cmd->opts && cmd->opts[i].long_name; i++)
    if (strcmp (cmd->opts[i].long_name, long_name) == 0)
      return args->set[i];
  return false;
}

static int
run_cmd (const struct loom_cmd *cmd, int argc, char **argv)
{
  struct loom_args args = { .cmd = cmd };
  int ret;

  ret = parse_cmd_opts (cmd, argc, argv, &args);
  if (ret >= 0)
    return ret;

  if (args.argc < cmd->min_args)
    return loom_cli_usage_error (cmd->name, "missing arguments: usage: netloom %s %s", cmd->name,
                                 cmd->usage);
  if (cmd->max_args >= 0 && args.argc > cmd->max_args)
    return loom_cli_usage_error (cmd->name, "unexpected argument '%s'", args.argv[cmd->max_args]);

  /* By convention --all means every lab, which a named lab contradicts. */
  if ((cmd->flags & LOOM_CMD_LAB_ARG) && args.argc >= 1 && has_opt (cmd, &args, "all"))
    return loom_cli_usage_error (cmd->name, "give a lab or --all, not both");
  if ((cmd->flags & LOOM_CMD_LAB_ARG) && args.argc >= 1 && !loom_cli_is_lab_file (args.argv[0])
      && !loom_name_valid (args.argv[0]))
    return loom_cli_usage_error (cmd->name,
                                 "'%s' is neither a lab name (1 to %d of A-Z a-z 0-9 _ . -, "
                                 "not starting with '-' or '.') nor a lab file",
                                 args.argv[0], LOOM_NAME_MAX);
  if ((cmd->flags & LOOM_CMD_NODE_ARG) && args.argc >= 2 && !loom_name_valid (args.argv[1]))
    return loom_cli_usage_error (cmd->name,
                                 "'%s' is not a node name (1 to %d of A-Z a-z 0-9 _ . -, "
                                 "not starting with '-' or '.')",
                                 args.argv[1], LOOM_NAME_MAX);

  if ((cmd->flags & LOOM_CMD_NEEDS_ROOT) && geteuid () != 0)
    return loom_cli_fail (cmd->name,
                          "must be run as root: network namespaces need "
                          "CAP_SYS_ADMIN and CAP_NET_ADMIN (try: sudo netloom %s ...)",
                          cmd->name);

  if ((cmd->flags & LOOM_CMD_LAB_ARG) && args.argc >= 1)
    {
      if ((cmd->flags & LOOM_CMD_LAB_MAY_BE_GONE) && loom_cli_is_lab_file (args.argv[0]))
        {
          loom_error_t e = NULL;
          args.lab = loom_lab_resolve (args.argv[0], &e);
          loom_error_release (&e);
        }
      else
        {
          ret = loom_cli_resolve_lab (cmd->name, args.argv[0], &args.lab);
          if (ret != LOOM_EXIT_OK)
            return ret;
        }
      if ((cmd->flags & LOOM_CMD_NODE_ARG) && args.argc >= 2)
        {
          ret = check_node (cmd, args.lab, args.argv[1]);
          if (ret >= 0)
            {
              free (args.lab);
              return ret;
            }
        }
    }

  ret = cmd->exec (&args);
  free (args.lab);
  return ret;
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  const struct loom_cmd *cmd;
  int c;

  loom_cli_start_time = loom_now ();
  /* Remember the namespace we started in before any code (the supervisor's services
   * too) enters a node's: loom_netns_host_fd() is the way back. */
  loom_netns_host_fd ();
  /* Line-buffered even into a pipe, so our lines and a spawned command's output (and
   * stderr) come out in the order they happened. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  loom_log_set_handler (loom_cli_log_handler, NULL);

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+hvq", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        loom_cli_print_usage (stdout);
        return LOOM_EXIT_OK;
      case 'V':
        {
          struct loom_args args = { .cmd = &loom_cmd_version };
          return loom_cmd_version.exec (&args);
        }
      case 'v':
        loom_cli_verbosity = 1;
        break;
      case 'q':
        loom_cli_verbosity = -1;
        break;
      default:
        if (optopt)
          return loom_cli_usage_error (NULL, "unknown option '-%c'", optopt);
        return loom_cli_usage_error (NULL, "unknown option '%s'", argv[optind - 1]);
      }

  if (optind >= argc)
    {
      loom_cli_print_usage (stderr);
      return LOOM_EXIT_USAGE;
    }
  cmd = loom_cmd_find (argv[optind]);
  if (cmd == NULL)
    return loom_cli_usage_error (NULL, "unknown command '%s'", argv[optind]);
  return run_cmd (cmd, argc - optind, argv + optind);
}
