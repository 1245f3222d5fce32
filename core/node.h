/* What the engine knows about a node while it deploys it, and the steps device kinds
 * share. Device files (devices/) receive a struct loom_node_rt and do their kind's part
 * of each deploy phase through struct loom_device_ops. */
#ifndef LOOM_NODE_H
#define LOOM_NODE_H

#include <pthread.h>
#include <stdint.h>

#include "core/error.h"
#include "topology/model.h"

struct nl_sock;
struct loom_device_ops;

#define LOOM_IFINDEX_BRIDGE 2 /* the bridge of a switch or hub node */
/* Link ends get ifindexes unique in the whole lab: link k's first endpoint (where it is
 * captured) is LINKS + k, its second LINKS + n_links + k. So one pair of capture
 * programs serves every link: the link is the interface's index minus LINKS. */
#define LOOM_IFINDEX_LINKS 10000
#define LOOM_BRIDGE_NAME "br0"

struct loom_node_rt
{
  const struct loom_lab *lab;
  const struct loom_node *node;
  const struct loom_device_ops *ops;
  char *netns;        /* namespace name */
  int nsfd;           /* open while deploying */
  bool ipv6;          /* IPv6 stays enabled in this namespace */
  int *ifindex;       /* per node->ifaces[i] */
  uint8_t (*mac)[6];  /* per node->ifaces[i]: as written, or derived from the names */
  int master;         /* ifindex link ends on this node join (a bridge); 0: none */
  struct nl_sock *sk; /* netlink socket inside the node's namespace, while deploying */
  pthread_mutex_t lock; /* serialises use of sk across link workers */
};

struct loom_device_ops
{
  enum loom_kind kind;
  /* NULL when this build deploys the kind; otherwise what is missing
   * ("container support"). */
  const char *needs;
  /* Runs in the node's fresh namespace, before any link exists (sysctls, bridges). */
  int (*ns_init) (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err);
  /* Runs in the node's namespace once all links are up (addresses, routes, VLANs). */
  int (*configure) (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err);
};

/* devices/registry.c: the ops of a kind (never NULL for a valid kind). */
const struct loom_device_ops *loom_device_lookup (enum loom_kind kind);

/* Shared steps (core/node.c). */
int loom_node_add_addresses (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err);
int loom_node_add_routes (struct loom_node_rt *rt, struct nl_sock *sk, loom_error_t *err);
/* Turns IPv4 forwarding on (and IPv6 forwarding when the node keeps IPv6), in the
 * calling thread's namespace: routers, and containers (as a Docker host gives them). */
int loom_node_forwarding_on (struct loom_node_rt *rt, loom_error_t *err);

#endif
