/* kind: host — a network namespace with addresses and routes; no process of its own. */
#include "core/node.h"

static int
host_configure (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  if (loom_node_add_addresses (rt, sk, err) < 0)
    return -1;
  return loom_node_add_routes (rt, sk, err);
}

const struct loom_device_ops loom_device_host = {
  .kind = LOOM_KIND_HOST,
  .configure = host_configure,
};
