/* TAP devices inside a node's namespace: the frame interface of QEMU guests and of the
 * NAT node's slirp. A TAP is joined to the node's link end by loom_tc_mirred_wire()
 * (core/tc.h), so the link (its capture, impairments, up/down) stays a plain veth. */
#ifndef LOOM_TAP_H
#define LOOM_TAP_H

#include <stdbool.h>

#include "core/error.h"

/**
 * loom_tap_create() - create a TAP device in a network namespace.
 * @nsfd: the namespace (the calling thread enters it for the call and returns to the
 *        namespace it was in).
 * @name: the interface name (at most 15 characters).
 * @vnet_hdr: frames carry a struct virtio_net_hdr (IFF_VNET_HDR): offloads (TSO,
 *            checksum) pass through the TAP instead of being done in software.
 * @ifindex: receives the device's index in that namespace.
 *
 * Returns the TAP's fd (non-blocking, close-on-exec; clear FD_CLOEXEC to hand it to
 * another program). The device lives as long as the fd: closing it removes the device.
 */
int loom_tap_create (int nsfd, const char *name, bool vnet_hdr, int *ifindex, loom_error_t *err);

#endif
