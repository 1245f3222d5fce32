/* tc over rtnetlink: the clsact qdisc and direct-action cls_bpf filters, the only tc
 * objects netloom needs (VLAN ports, capture points). Filters of different users of
 * one interface sit at different priorities and hand frames on with TC_ACT_UNSPEC. */
#ifndef LOOM_TC_H
#define LOOM_TC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

struct nl_sock;

enum
{
  LOOM_TC_PRIO_CAPTURE = 1, /* sees every frame first, passes it on */
  LOOM_TC_PRIO_VLAN = 2,
  LOOM_TC_PRIO_IMPAIR = 3, /* takes the frame (after capture saw it) */
  LOOM_TC_PRIO_WIRE = 4,   /* a TAP<->veth wire: redirects what is left */
};

/* Adds the clsact qdisc to an interface; one that is there already is fine. */
int loom_tc_clsact (struct nl_sock *sk, int ifindex, loom_error_t *err);
/* Attaches (or replaces) a direct-action eBPF filter at a priority. */
int loom_tc_bpf_filter (struct nl_sock *sk, int ifindex, bool ingress, int prio, int prog_fd,
                        const char *name, loom_error_t *err);

/* Removes the filter at a priority (gone already is fine). */
int loom_tc_filter_del (struct nl_sock *sk, int ifindex, bool ingress, int prio,
                        loom_error_t *err);

/**
 * loom_tc_mirred_wire() - join two interfaces of one namespace into a transparent wire.
 *
 * On each one's ingress (clsact, added if missing) a u32 match-all filter with a
 * mirred egress redirect to the other: every frame, STP, LLDP and LACP included, goes
 * across unchanged, as on a cable. Used to join a TAP (QEMU, slirp) to its node's link
 * end, which stays a plain veth for capture, impairment and up/down.
 */
int loom_tc_mirred_wire (struct nl_sock *sk, int ifindex_a, int ifindex_b, loom_error_t *err);

/* Makes a tbf (token bucket) the interface's root qdisc: the kernel's rate limit. */
int loom_tc_tbf (struct nl_sock *sk, int ifindex, uint64_t rate_bps, loom_error_t *err);
/* Removes the root qdisc (back to the default). */
int loom_tc_root_del (struct nl_sock *sk, int ifindex, loom_error_t *err);
/* Whether the kernel has a qdisc kind ("netem"), tried on that interface. */
bool loom_tc_has_qdisc_kind (struct nl_sock *sk, int ifindex, const char *kind);

#endif
