/* The explicit table of node kinds: one const ops structure per kind, no constructors
 * and no dynamic loading. Kinds this build cannot deploy yet say what they need. */
#include <stddef.h>

#include "core/node.h"

extern const struct loom_device_ops loom_device_host;
extern const struct loom_device_ops loom_device_router;
extern const struct loom_device_ops loom_device_switch;
extern const struct loom_device_ops loom_device_hub;
extern const struct loom_device_ops loom_device_container;
extern const struct loom_device_ops loom_device_nat;
extern const struct loom_device_ops loom_device_vm;

static const struct loom_device_ops *const registry[LOOM_KIND__COUNT] = {
  [LOOM_KIND_HOST] = &loom_device_host,
  [LOOM_KIND_ROUTER] = &loom_device_router,
  [LOOM_KIND_SWITCH] = &loom_device_switch,
  [LOOM_KIND_HUB] = &loom_device_hub,
  [LOOM_KIND_CONTAINER] = &loom_device_container,
  [LOOM_KIND_VM] = &loom_device_vm,
  [LOOM_KIND_NAT] = &loom_device_nat,
};

const struct loom_device_ops *
loom_device_lookup (enum loom_kind kind)
{
  if ((int) kind < 0 || kind >= LOOM_KIND__COUNT)
    return NULL;
  return registry[kind];
}
