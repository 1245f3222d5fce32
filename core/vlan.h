/* VLANs on a switch node without the kernel's VLAN-aware bridge (these machines' kernel
 * has neither bridge vlan_filtering nor 8021q devices nor the tc vlan action). Each
 * port of a VLAN switch gets two small eBPF programs on its clsact hooks:
 *   access port, VLAN v:  ingress tags the frame's skb mark with v (tagged frames are
 *                         dropped); egress lets through only frames marked v (or 0,
 *                         the bridge's own, such as BPDUs).
 *   trunk port, VLANs A:  ingress pops the 802.1Q tag of a frame in A and marks it
 *                         with its VLAN (untagged frames belong to the native VLAN 1,
 *                         others are dropped); egress pushes the tag back for VLANs in
 *                         A, sends VLAN 1 and the bridge's own frames untagged, and
 *                         drops the rest.
 * The bridge forwards between ports as usual; the mark keeps VLANs apart. Its MAC table
 * is shared by all VLANs (one MAC in two VLANs of one switch confuses it). */
#ifndef LOOM_VLAN_H
#define LOOM_VLAN_H

#include <stddef.h>

#include "core/error.h"

struct nl_sock;

#define LOOM_VLAN_NATIVE 1

/* Makes port ifindex (in the socket's namespace) an access port of VLAN vid. */
int loom_vlan_access_port (struct nl_sock *sk, int ifindex, int vid, loom_error_t *err);
/* Makes port ifindex a trunk carrying the VLANs in vids (VLAN 1 travels untagged). */
int loom_vlan_trunk_port (struct nl_sock *sk, int ifindex, const int *vids, size_t n,
                          loom_error_t *err);

#endif
