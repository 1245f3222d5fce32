/* kind: router — a host namespace that forwards IPv4 (and IPv6 when the lab uses it). */
#include "core/nl.h"
#include "core/node.h"

static int
router_ns_init (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  return loom_node_forwarding_on (rt, err);
}

static int
router_configure (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  if (loom_node_add_addresses (rt, sk, err) < 0)
    return -1;
  return loom_node_add_routes (rt, sk, err);
}

const struct loom_device_ops loom_device_router = {
  .kind = LOOM_KIND_ROUTER,
  .ns_init = router_ns_init,
  .configure = router_configure,
};
