/* kind: nat — DHCP, DNS and outbound NAT for the lab through the host's own sockets
 * (libslirp), with host ports forwarded into the lab. The namespace holds the node's
 * one link end and, once the supervisor starts it (core/nat.c), a TAP joined to it by a
 * tc wire; the node has no addresses of its own, so deploy has nothing to configure. */
#include "core/node.h"

const struct loom_device_ops loom_device_nat = {
  .kind = LOOM_KIND_NAT,
};
