/* The frr.conf of a router: the lab file's `frr-config` as given, or one written from the
 * structured forms (ospf, bgp, rip) for FRR 8.4, so a teaching lab gets routing without
 * anyone writing FRR syntax. Daemons log to stdout (netloom captures it), so no `log`
 * line is written. Every line written here is checked by the unit tests with
 * `vtysh --dryrun`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "topology/model.h"

static bool
strv_has (char *const *v, size_t n, const char *s)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* True when the interface is a cable to exactly one other node (not a switch or a
 * hub, where several routers may meet). */
static bool
is_point_to_point (const struct loom_node *node, const char *ifname)
{
  const struct loom_iface *iface = loom_node_find_iface (node, ifname);
  const struct loom_iface *peer;

  if (iface == NULL || iface->link == NULL)
    return false;
  peer = iface->link->a == iface ? iface->link->b : iface->link->a;
  return peer->node->kind != LOOM_KIND_SWITCH && peer->node->kind != LOOM_KIND_HUB;
}

static void
render_ospf (FILE *f, const struct loom_node *node, const struct loom_frr *frr)
{
  size_t i;

  /* Per-interface area and passive (FRR >= 7.x), rather than `network` statements under
   * `router ospf`: the interfaces are known, their addresses need not be repeated. A
   * direct cable between two routers is a point-to-point network, as a serial link or
   * a /30 between two routers would be configured: no DR election, so the adjacency
   * forms within a hello instead of after the 40 s wait of a broadcast network. */
  for (i = 0; i < frr->n_ospf_ifaces; i++)
    {
      fprintf (f, "interface %s\n", frr->ospf_ifaces[i]);
      fprintf (f, " ip ospf area %s\n", frr->ospf_area);
      if (is_point_to_point (node, frr->ospf_ifaces[i]))
        fputs (" ip ospf network point-to-point\n", f);
      if (strv_has (frr->ospf_passive, frr->n_ospf_passive, frr->ospf_ifaces[i]))
        fputs (" ip ospf passive\n", f);
      fputs ("!\n", f);
    }
  fputs ("router ospf\n", f);
  if (frr->ospf_router_id)
    fprintf (f, " ospf router-id %s\n", frr->ospf_router_id);
  fputs ("!\n", f);
}

static bool
networks_have (const struct loom_frr *frr, int family)
{
  size_t i;

  for (i = 0; i < frr->n_bgp_networks; i++)
    if (frr->bgp_networks[i].family == family)
      return true;
  return false;
}

static bool
neighbors_have (const struct loom_frr *frr, int family)
{
  size_t i;

  for (i = 0; i < frr->n_bgp_neighbors; i++)
    if (frr->bgp_neighbors[i].address.family == family)
      return true;
  return false;
}

static void
render_bgp (FILE *f, const struct loom_frr *frr)
{
  bool v6_neighbors = neighbors_have (frr, AF_INET6);
  size_t i;

  fprintf (f, "router bgp %u\n", (unsigned) frr->bgp_asn);
  if (frr->bgp_router_id)
    fprintf (f, " bgp router-id %s\n", frr->bgp_router_id);
  /* Labs have no route-maps: without this, FRR >= 7.4 neither sends nor accepts eBGP
   * routes (RFC 8212). */
  fputs (" no bgp ebgp-requires-policy\n", f);
  /* Announce `networks` even when no route to them exists yet (none does for a prefix
   * that only stands for "this AS"). */
  fputs (" no bgp network import-check\n", f);
  for (i = 0; i < frr->n_bgp_neighbors; i++)
    fprintf (f, " neighbor %s remote-as %u\n", frr->bgp_neighbors[i].address.text,
             (unsigned) frr->bgp_neighbors[i].remote_as);

  /* "frr defaults traditional" activates every neighbor for IPv4 unicast; an IPv6
   * neighbor carries IPv6 routes only, an IPv4 one IPv4 routes only. */
  if (networks_have (frr, AF_INET) || v6_neighbors)
    {
      fputs (" !\n address-family ipv4 unicast\n", f);
      for (i = 0; i < frr->n_bgp_networks; i++)
        if (frr->bgp_networks[i].family == AF_INET)
          fprintf (f, "  network %s\n", frr->bgp_networks[i].text);
      for (i = 0; i < frr->n_bgp_neighbors; i++)
        if (frr->bgp_neighbors[i].address.family == AF_INET6)
          fprintf (f, "  no neighbor %s activate\n", frr->bgp_neighbors[i].address.text);
      fputs (" exit-address-family\n", f);
    }
  if (networks_have (frr, AF_INET6) || v6_neighbors)
    {
      fputs (" !\n address-family ipv6 unicast\n", f);
      for (i = 0; i < frr->n_bgp_networks; i++)
        if (frr->bgp_networks[i].family == AF_INET6)
          fprintf (f, "  network %s\n", frr->bgp_networks[i].text);
      for (i = 0; i < frr->n_bgp_neighbors; i++)
        if (frr->bgp_neighbors[i].address.family == AF_INET6)
          fprintf (f, "  neighbor %s activate\n", frr->bgp_neighbors[i].address.text);
      fputs (" exit-address-family\n", f);
    }
  fputs ("!\n", f);
}

static void
render_rip (FILE *f, const struct loom_frr *frr)
{
  size_t i;

  fputs ("router rip\n version 2\n", f);
  for (i = 0; i < frr->n_rip_networks; i++)
    fprintf (f, " network %s\n", frr->rip_networks[i]);
  fputs ("!\n", f);
}

char *
loom_frr_render (const struct loom_node *node)
{
  const struct loom_frr *frr = node->frr;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  if (frr == NULL)
    return NULL;
  if (frr->config)
    return loom_xstrdup (frr->config);
  f = open_memstream (&buf, &len);
  if (f == NULL)
    abort ();
  fputs ("frr version 8.4\n", f);
  fputs ("frr defaults traditional\n", f);
  fprintf (f, "hostname %s\n", node->name);
  fputs ("service integrated-vtysh-config\n", f);
  fputs ("!\n", f);
  if (frr->ospf)
    render_ospf (f, node, frr);
  if (frr->bgp)
    render_bgp (f, frr);
  if (frr->rip)
    render_rip (f, frr);
  fputs ("line vty\n", f);
  fputs ("!\n", f);
  if (fclose (f) != 0 || buf == NULL)
    abort ();
  return buf;
}
