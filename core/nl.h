/* Netlink primitives over libnl-3: the few rtnetlink requests a lab needs, each built
 * as one message. A socket belongs to the network namespace of the thread that opened
 * it, so callers open one per namespace they configure (veth pairs can be created from
 * any socket: both ends are placed by namespace fd). */
#ifndef LOOM_NL_H
#define LOOM_NL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "topology/model.h"

struct nl_sock;

/* Opens a NETLINK_ROUTE socket in the calling thread's network namespace. */
struct nl_sock *loom_nl_open (loom_error_t *err);
/* Opens one in the network namespace behind nsfd, or /run/netns/<ns>; the calling
 * thread stays where it is. */
struct nl_sock *loom_nl_open_at (int nsfd, loom_error_t *err);
struct nl_sock *loom_nl_open_in (const char *ns, loom_error_t *err);
void loom_nl_close (struct nl_sock *sk);
static inline void
loom_nl_closep (struct nl_sock **sk)
{
  if (*sk)
    loom_nl_close (*sk);
}
#define loom_autonl __attribute__ ((cleanup (loom_nl_closep)))

/* Calls fn for every global (or site) IPv4 and IPv6 address in the socket's namespace,
 * with its interface's name, family and "address/prefix". */
typedef void (*loom_nl_addr_fn) (const char *ifname, int family, const char *cidr, void *data);
int loom_nl_addrs_each (struct nl_sock *sk, loom_nl_addr_fn fn, void *data, loom_error_t *err);

/* Waits, at most timeout_s, until each interface in ifindex[0..n) of the namespace nsfd
 * is operationally up: the kernel has seen its carrier, given it its queue and (for a
 * bridge port) let the bridge forward through it, which happens asynchronously after
 * the link is set up. One that is administratively down is not waited for. Returns 0
 * with *not_up = 0 when none is left to wait for, or with *not_up = the index of one
 * still not up; -1 only when netlink failed. */
int loom_nl_wait_oper_up (int nsfd, const int *ifindex, size_t n, double timeout_s, int *not_up,
                          loom_error_t *err);

/* Sets a link administratively up or down. */
int loom_nl_link_set_up (struct nl_sock *sk, int ifindex, bool up, loom_error_t *err);
/* The same, also enslaving the link to a bridge (master > 0), in one request. */
int loom_nl_link_setup (struct nl_sock *sk, int ifindex, int master, bool up, loom_error_t *err);

/* How many segments the stack may put in one frame for this link (1: every frame
 * leaves the stack no bigger than the MTU). */
int loom_nl_link_set_gso_max_segs (struct nl_sock *sk, int ifindex, uint32_t segs,
                                   loom_error_t *err);

struct loom_veth_end
{
  const char *name;
  int nsfd;       /* namespace the end is created in */
  int ifindex;    /* ifindex to give it (both ends need one, or neither) */
  int mtu;        /* 0: kernel default */
  const uint8_t *mac; /* NULL: kernel chooses */
  int master;     /* ifindex of a bridge in that namespace to join; 0: none */
};

/* Creates a veth pair with both ends already in their namespaces, named, and (for
 * switch ports) enslaved — one request, nothing ever appears in the caller's namespace.
 * End a comes up at once; the kernel cannot open end b before the pair is joined, so b
 * stays down until the caller sets it up (from a socket in b's namespace). */
int loom_nl_veth_create (struct nl_sock *sk, const struct loom_veth_end *a,
                         const struct loom_veth_end *b, loom_error_t *err);

struct loom_bridge_opts
{
  bool vlan_filtering;
  bool stp;
  bool hub; /* ageing time 0: forget every address, flood every frame */
};

/* Creates a bridge (up) in the socket's namespace with the given ifindex. */
int loom_nl_bridge_create (struct nl_sock *sk, const char *name, int ifindex,
                           const struct loom_bridge_opts *opts, loom_error_t *err);

/* Adds a VLAN to a bridge port: untagged + PVID (an access port) or tagged (a trunk). */
int loom_nl_bridge_vlan_add (struct nl_sock *sk, int port_ifindex, int vid, bool access,
                             loom_error_t *err);

int loom_nl_addr_add (struct nl_sock *sk, int ifindex, const struct loom_addr *addr,
                      loom_error_t *err);

/* Adds a route; oif is the ifindex of the route's dev (0 when not given). */
int loom_nl_route_add (struct nl_sock *sk, const struct loom_route *route, int oif,
                       loom_error_t *err);

/* Writes a net.* sysctl in the calling thread's network namespace
 * ("net.ipv4.ip_forward" = "1"). */
int loom_sysctl_set (const char *key, const char *value, loom_error_t *err);

#endif
