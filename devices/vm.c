/* kind: vm — a QEMU guest. The node is a namespace that holds only wire ends: each of
 * its link ends (a veth) is joined to a TAP of the guest by a tc mirred wire, and the
 * addresses and routes the lab file gives the node are the guest's (passed on its
 * kernel command line, see core/vm.h), never the namespace's. QEMU itself is started
 * by the lab supervisor (core/vm.c, the "vms" service) once the links are up. */
#include "core/nl.h"
#include "core/node.h"

static int
vm_ns_init (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  /* The namespace never speaks on the links itself: no IPv6 link-local addresses, no
   * router solicitations or MLD reports from the wire ends beside the guest's own. */
  if (loom_sysctl_set ("net.ipv6.conf.all.disable_ipv6", "1", err) < 0
      || loom_sysctl_set ("net.ipv6.conf.default.disable_ipv6", "1", err) < 0)
    return -1;
  return 0;
}

const struct loom_device_ops loom_device_vm = {
  .kind = LOOM_KIND_VM,
  .ns_init = vm_ns_init,
};
