/* kind: switch (alias bridge) and hub — a kernel bridge in the node's own namespace.
 * Every link end on the node is created already enslaved to it. A switch can keep
 * VLANs apart (access ports and 802.1Q trunk ports, see core/vlan.h) and run STP; a hub
 * is a bridge that never learns an address, so every frame floods to every port. */
#include "core/nl.h"
#include "core/node.h"
#include "core/vlan.h"

static int
bridge_ns_init (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  const struct loom_node *node = rt->node;
  /* VLANs are done by eBPF on the ports (core/vlan.c): the kernel's VLAN-aware
   * bridge is not there on every kernel, and the programs work on all of them. */
  struct loom_bridge_opts opts = {
    .stp = node->stp,
    .hub = node->kind == LOOM_KIND_HUB,
  };

  if (loom_nl_bridge_create (sk, LOOM_BRIDGE_NAME, LOOM_IFINDEX_BRIDGE, &opts, err) < 0)
    return -1;
  rt->master = LOOM_IFINDEX_BRIDGE;
  return 0;
}

static int
switch_configure (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  const struct loom_node *node = rt->node;
  size_t i;
  int r;

  if (!node->vlan_filtering)
    return 0;
  for (i = 0; i < node->n_ifaces; i++)
    {
      const struct loom_iface *iface = node->ifaces[i];

      if (iface->link == NULL)
        continue;
      /* A port the lab file says nothing about is an access port in VLAN 1, as on a
       * real switch. */
      if (iface->n_trunk > 0)
        r = loom_vlan_trunk_port (sk, rt->ifindex[i], iface->trunk, iface->n_trunk, err);
      else
        r = loom_vlan_access_port (sk, rt->ifindex[i], iface->vlan ? iface->vlan : LOOM_VLAN_NATIVE,
                                   err);
      if (r < 0)
        return loom_error_wrap (err, "port %s", iface->name);
    }
  return 0;
}

const struct loom_device_ops loom_device_switch = {
  .kind = LOOM_KIND_SWITCH,
  .ns_init = bridge_ns_init,
  .configure = switch_configure,
};

const struct loom_device_ops loom_device_hub = {
  .kind = LOOM_KIND_HUB,
  .ns_init = bridge_ns_init,
};
