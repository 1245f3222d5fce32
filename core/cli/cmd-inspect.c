/* `netloom inspect [NAME|FILE]`: show deployed labs, node by node, as a table or as the
 * state JSON. With no lab named it shows what is there, so on a machine with one lab
 * `netloom inspect` is all anyone has to type. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/nl.h"
#include "core/util.h"

static const struct loom_cmd_opt inspect_opts[] = {
  { "json", 0, NULL, "print the state as JSON (an array with --all or several labs)" },
  { "all", 'a', NULL, "show every deployed lab" },
  { NULL, 0, NULL, NULL },
};

static bool
no_addresses (json_t *iface)
{
  return json_array_size (json_object_get (iface, "ipv4")) == 0
         && json_array_size (json_object_get (iface, "ipv6")) == 0;
}

static void
live_addr (const char *ifname, int family, const char *cidr, void *data)
{
  json_t *iface;
  size_t i;

  json_array_foreach (json_object_get (data, "interfaces"), i, iface)
    {
      const char *key = family == AF_INET ? "live_ipv4" : "live_ipv6";
      json_t *list;

      if (strcmp (json_string_value (json_object_get (iface, "name")) ?: "", ifname) != 0
          || !no_addresses (iface))
        continue;
      list = json_object_get (iface, key);
      if (list == NULL)
        json_object_set_new (iface, key, list = json_array ());
      json_array_append_new (list, json_string (cidr));
    }
}

/* An interface the lab file gives no address (a DHCP lease, or an address a node's own
 * command or a user added) shows what it has now, as live_ipv4 / live_ipv6: read from
 * the node's namespace, so only as root, and only for nodes with such an interface. A
 * VM's addresses are in its guest, out of reach. */
static void
add_live_addresses (json_t *state)
{
  json_t *node, *iface;
  size_t i, k;

  if (geteuid () != 0)
    return;
  json_array_foreach (json_object_get (state, "nodes"), i, node)
    {
      const char *kind = json_string_value (json_object_get (node, "kind")) ?: "";
      const char *ns = json_string_value (json_object_get (node, "netns"));
      loom_autonl struct nl_sock *sk = NULL;
      bool wanted = false;

      if (!ns || json_object_get (node, "vm")
          || strcmp (json_string_value (json_object_get (node, "state")) ?: "", "running") != 0
          || (strcmp (kind, "host") != 0 && strcmp (kind, "router") != 0
              && strcmp (kind, "container") != 0))
        continue;
      json_array_foreach (json_object_get (node, "interfaces"), k, iface)
        wanted = wanted || no_addresses (iface);
      if (wanted && (sk = loom_nl_open_in (ns, NULL)) != NULL)
        loom_nl_addrs_each (sk, live_addr, node, NULL);
    }
}

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
      add_live_addresses (state);
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
          "MAC address and the interface at the other end of its link; an interface the lab\n"
          "file gives no address shows what it has now (a DHCP lease, say; as root, and not\n"
          "for VMs, whose addresses are in the guest). Containers that are\n"
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
