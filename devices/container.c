/* kind: container (containerlab's linux) — a network namespace with addresses and routes
 * like a host, plus a process tree of its own that the lab supervisor runs (see
 * core/container.h): its own root file system, PID, mount, UTS, IPC and cgroup
 * namespaces, binds, volumes and limits. */
#include "core/node.h"

static int
container_configure (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err)
{
  if (loom_node_add_addresses (rt, sk, err) < 0)
    return -1;
  return loom_node_add_routes (rt, sk, err);
}

const struct loom_device_ops loom_device_container = {
  .kind = LOOM_KIND_CONTAINER,
  .configure = container_configure,
};
