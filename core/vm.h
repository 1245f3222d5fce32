/* VM nodes (kind vm): what the engine writes into state.json for a guest, the checks a
 * lab's VMs must pass before anything is created, and the supervisor's "vms" service
 * that runs QEMU (core/vmrun.c). The guest's side of the network (its addresses, routes,
 * host name) travels on its kernel command line in netloom-tiny's protocol:
 *   netloom.if=<mac>,<name>[,mtu=<n>][,<addr/prefix>]...   one per interface
 *   netloom.route=<dst/prefix|default>,<gateway>             one per route
 *   netloom.hostname=<name> console=ttyS0                                          */
#ifndef LOOM_VM_H
#define LOOM_VM_H

#include <jansson.h>

#include "core/node.h"
#include "core/service.h"

/* Default guest memory: the built-in guest needs little (a kernel and a busybox
 * initramfs); a disk image is usually a full distribution. */
#define LOOM_VM_MEMORY_TINY (128ULL << 20)
#define LOOM_VM_MEMORY_DEFAULT (512ULL << 20)
#define LOOM_VM_QEMU "qemu-system-x86_64"

/* The directory holding the built-in guest netloom-tiny (vmlinuz, initrd.img), under
 * loom_vm_builtin_dir() (core/vmimage.h). Owned by the caller. */
char *loom_vm_builtin_path (void);

/* The "vm" object of a VM node's state (rt: the node's deploy data, for its MACs and
 * link ends): boot files, memory, cpus, accel, and per interface the guest MAC, the
 * wire end's ifindex and the addresses; the guest's routes and host name. */
json_t *loom_vm_state (const struct loom_node_rt *rt);

/* Adds an error (file:line:col) for every VM node whose disk image, kernel or initrd is
 * missing, and when the built-in guest is needed but not built. Returns the count. */
size_t loom_vm_check (const struct loom_lab *lab, struct loom_diags *diags);

extern const struct loom_service loom_service_vms;

#endif
