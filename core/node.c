/* Steps that several device kinds share: interface addresses and static routes. */
#include <string.h>

#include "core/nl.h"
#include "core/node.h"

int
loom_node_add_addresses (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  const struct loom_node *node = rt->node;
  size_t i, j;

  for (i = 0; i < node->n_ifaces; i++)
    for (j = 0; j < node->ifaces[i]->n_addrs; j++)
      if (loom_nl_addr_add (sk, rt->ifindex[i], &node->ifaces[i]->addrs[j], err) < 0)
        return loom_error_wrap (err, "%s", node->ifaces[i]->name);
  return 0;
}

int
loom_node_add_routes (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  const struct loom_node *node = rt->node;
  size_t i, j;

  for (i = 0; i < node->n_routes; i++)
    {
      const struct loom_route *route = &node->routes[i];
      int oif = 0;

      if (route->dev)
        for (j = 0; j < node->n_ifaces; j++)
          if (strcmp (node->ifaces[j]->name, route->dev) == 0)
            oif = rt->ifindex[j];
      if (loom_nl_route_add (sk, route, oif, err) < 0)
        return -1;
    }
  return 0;
}

int
loom_node_forwarding_on (struct loom_node_rt *rt, loom_error_t *err)
{
  if (loom_sysctl_set ("net.ipv4.ip_forward", "1", err) < 0)
    return -1;
  if (rt->ipv6 && loom_sysctl_set ("net.ipv6.conf.all.forwarding", "1", err) < 0)
    return -1;
  return 0;
}
