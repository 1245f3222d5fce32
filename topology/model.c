/* The lab model's small pieces that do not need YAML: kind names, diagnostics, freeing
 * a lab, lookups, and the name, address, route and MAC parsers that the lab-file parser
 * and the CLI share, so a value typed on the command line is checked exactly like the
 * same value in a lab file. */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "topology/model.h"

static const char *const kind_names[LOOM_KIND__COUNT] = {
  [LOOM_KIND_HOST] = "host",   [LOOM_KIND_ROUTER] = "router",       [LOOM_KIND_SWITCH] = "switch",
  [LOOM_KIND_HUB] = "hub",     [LOOM_KIND_CONTAINER] = "container", [LOOM_KIND_VM] = "vm",
  [LOOM_KIND_NAT] = "nat",
};

const char *
loom_kind_name (enum loom_kind kind)
{
  if ((int) kind < 0 || kind >= LOOM_KIND__COUNT)
    return "unknown";
  return kind_names[kind];
}

int
loom_kind_parse (const char *name)
{
  int i;

  if (name == NULL)
    return -1;
  for (i = 0; i < LOOM_KIND__COUNT; i++)
    if (strcmp (name, kind_names[i]) == 0)
      return i;
  /* containerlab's names for the same things, so its lab files load unchanged. */
  if (strcmp (name, "bridge") == 0)
    return LOOM_KIND_SWITCH;
  if (strcmp (name, "linux") == 0)
    return LOOM_KIND_CONTAINER;
  return -1;
}

/* Diagnostics */

void
loom_diags_add (struct loom_diags *d, enum loom_severity sev, const struct loom_mark *mark,
                const char *fmt, ...)
{
  struct loom_diag diag;
  va_list ap;

  diag.severity = sev;
  diag.file = loom_xstrdup (mark && mark->file ? mark->file : "<lab>");
  diag.line = mark ? mark->line : 0;
  diag.col = mark && mark->line > 0 ? mark->col : 0;
  va_start (ap, fmt);
  if (vasprintf (&diag.msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  LOOM_PUSH (d->items, d->n, diag);
  if (sev == LOOM_DIAG_ERROR)
    d->n_errors++;
}

char *
loom_diag_format (const struct loom_diag *diag)
{
  const char *sev = diag->severity == LOOM_DIAG_ERROR ? "error" : "warning";

  if (diag->line <= 0)
    return loom_xasprintf ("%s: %s: %s", diag->file, sev, diag->msg);
  return loom_xasprintf ("%s:%d:%d: %s: %s", diag->file, diag->line, diag->col, sev, diag->msg);
}

void
loom_diags_clear (struct loom_diags *d)
{
  size_t i;

  for (i = 0; i < d->n; i++)
    {
      free (d->items[i].file);
      free (d->items[i].msg);
    }
  free (d->items);
  d->items = NULL;
  d->n = 0;
  d->n_errors = 0;
}

/* Freeing and lookups */

void
loom_kvs_free (struct loom_kv *kv, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
iface_free (struct loom_iface *iface)
{
  free (iface->name);
  free (iface->addrs);
  free (iface->trunk);
  free (iface);
}

static void
strv_free (char **v, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

void
loom_ports_free (struct loom_port *p, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (p[i].text);
  free (p);
}

void
loom_binds_free (struct loom_bind *b, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (b[i].src);
      free (b[i].dst);
    }
  free (b);
}

void
loom_volumes_free (struct loom_volume *v, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (v[i].name);
      free (v[i].dst);
    }
  free (v);
}

static void
frr_free (struct loom_frr *frr)
{
  if (frr == NULL)
    return;
  free (frr->config);
  free (frr->config_path);
  free (frr->ospf_area);
  free (frr->ospf_router_id);
  strv_free (frr->ospf_ifaces, frr->n_ospf_ifaces);
  strv_free (frr->ospf_passive, frr->n_ospf_passive);
  free (frr->bgp_router_id);
  free (frr->bgp_neighbors);
  free (frr->bgp_networks);
  strv_free (frr->rip_networks, frr->n_rip_networks);
  free (frr);
}

static void
node_free (struct loom_node *node)
{
  size_t i;

  free (node->name);
  free (node->kind_written);
  free (node->group);
  free (node->image);
  for (i = 0; i < node->n_exec; i++)
    free (node->exec[i]);
  free (node->exec);
  loom_kvs_free (node->env, node->n_env);
  loom_kvs_free (node->labels, node->n_labels);
  loom_kvs_free (node->sysctls, node->n_sysctls);
  for (i = 0; i < node->n_routes; i++)
    loom_route_clear (&node->routes[i]);
  free (node->routes);
  for (i = 0; i < node->n_ifaces; i++)
    iface_free (node->ifaces[i]);
  free (node->ifaces);
  frr_free (node->frr);
  free (node->rootfs);
  strv_free (node->cmd, node->n_cmd);
  strv_free (node->entrypoint, node->n_entrypoint);
  free (node->workdir);
  free (node->user);
  free (node->hostname);
  loom_binds_free (node->binds, node->n_binds);
  loom_volumes_free (node->volumes, node->n_volumes);
  loom_ports_free (node->ports, node->n_ports);
  free (node->kernel);
  free (node->initrd);
  free (node->append);
  free (node->accel);
  loom_ports_free (node->hostfwd, node->n_hostfwd);
  free (node->nat_network);
  free (node);
}

void
loom_lab_free (struct loom_lab *lab)
{
  size_t i;

  if (lab == NULL)
    return;
  for (i = 0; i < lab->n_nodes; i++)
    node_free (lab->nodes[i]);
  free (lab->nodes);
  for (i = 0; i < lab->n_links; i++)
    free (lab->links[i]);
  free (lab->links);
  free (lab->name);
  free (lab->prefix);
  free (lab->file);
  free (lab->dir);
  free (lab);
}

struct loom_node *
loom_lab_find_node (const struct loom_lab *lab, const char *name)
{
  size_t i;

  for (i = 0; i < lab->n_nodes; i++)
    if (strcmp (lab->nodes[i]->name, name) == 0)
      return lab->nodes[i];
  return NULL;
}

struct loom_iface *
loom_node_find_iface (const struct loom_node *node, const char *name)
{
  size_t i;

  for (i = 0; i < node->n_ifaces; i++)
    if (strcmp (node->ifaces[i]->name, name) == 0)
      return node->ifaces[i];
  return NULL;
}

/* Names */

static bool
name_chars_valid (const char *name, size_t max)
{
  size_t n = 0;
  const char *p;

  for (p = name; *p; p++, n++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '.' || *p == '-'))
      return false;
  return n >= 1 && n <= max;
}

bool
loom_name_valid (const char *name)
{
  if (name == NULL || !name_chars_valid (name, LOOM_NAME_MAX))
    return false;
  /* A leading '-' reads as an option to ip(8); a leading '.' hides the state files. */
  return name[0] != '-' && name[0] != '.';
}

bool
loom_ifname_valid (const char *name)
{
  if (name == NULL || !name_chars_valid (name, LOOM_IFNAME_MAX))
    return false;
  /* The kernel refuses these two: they are directory names under /sys/class/net. */
  return strcmp (name, ".") != 0 && strcmp (name, "..") != 0;
}

/* Addresses, routes, MACs */

int
loom_addr_parse (const char *text, bool need_prefix, struct loom_addr *out, const char **why)
{
  char host[INET6_ADDRSTRLEN + 1];
  const char *slash;
  size_t hlen;
  int family, max, prefixlen = -1;
  char buf[INET6_ADDRSTRLEN];

  memset (out, 0, sizeof (*out));
  if (text == NULL || *text == '\0')
    {
      *why = "expected an IP address like 10.0.1.1/24 or 2001:db8::1/64";
      return -1;
    }
  slash = strchr (text, '/');
  hlen = slash ? (size_t) (slash - text) : strlen (text);
  if (hlen == 0 || hlen >= sizeof (host))
    {
      *why = "expected an IP address like 10.0.1.1/24 or 2001:db8::1/64";
      return -1;
    }
  memcpy (host, text, hlen);
  host[hlen] = '\0';
  if (inet_pton (AF_INET, host, out->bytes) == 1)
    family = AF_INET, max = 32;
  else if (inet_pton (AF_INET6, host, out->bytes) == 1)
    family = AF_INET6, max = 128;
  else
    {
      *why = "expected an IP address like 10.0.1.1/24 or 2001:db8::1/64";
      return -1;
    }
  if (slash)
    {
      const char *p = slash + 1;
      long v = 0;

      if (*p == '\0' || strlen (p) > 3)
        goto bad_prefix;
      for (; *p; p++)
        {
          if (!isdigit ((unsigned char) *p))
            goto bad_prefix;
          v = v * 10 + (*p - '0');
        }
      if (v > max)
        goto bad_prefix;
      prefixlen = (int) v;
    }
  else if (need_prefix)
    {
      *why = family == AF_INET ? "expected a prefix length after the address, as in 10.0.1.1/24"
                               : "expected a prefix length after the address, as in 2001:db8::1/64";
      return -1;
    }
  out->family = family;
  out->prefixlen = prefixlen;
  inet_ntop (family, out->bytes, buf, sizeof (buf));
  if (prefixlen >= 0)
    snprintf (out->text, sizeof (out->text), "%s/%d", buf, prefixlen);
  else
    snprintf (out->text, sizeof (out->text), "%s", buf);
  return 0;

bad_prefix:
  *why = family == AF_INET ? "expected a prefix length from 0 to 32 after '/'"
                           : "expected a prefix length from 0 to 128 after '/'";
  memset (out, 0, sizeof (*out));
  return -1;
}

/* True when any bit after the prefix length is set: the kernel refuses such a route
 * destination ("Invalid prefix for given prefix length"). */
static bool
host_bits_set (const struct loom_addr *a)
{
  int len = a->family == AF_INET ? 4 : 16;
  int i;

  for (i = 0; i < len; i++)
    {
      int keep = a->prefixlen - i * 8;
      uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t) (0xff << (8 - keep));
      if (a->bytes[i] & ~mask)
        return true;
    }
  return false;
}

bool
loom_addr_is_network (const struct loom_addr *a)
{
  return a->prefixlen < 0 || !host_bits_set (a);
}

static int
parse_uint (const char *s, long max, long *out)
{
  long v = 0;

  if (*s == '\0' || strlen (s) > 10)
    return -1;
  for (; *s; s++)
    {
      if (!isdigit ((unsigned char) *s))
        return -1;
      v = v * 10 + (*s - '0');
    }
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

int
loom_route_parse (const char *text, struct loom_route *out, const char **why)
{
  loom_autofree char *copy = NULL;
  char *words[16];
  size_t n = 0, i;
  char *save = NULL, *w;
  const char *dev = NULL;
  bool is_default, has_metric = false;
  long metric = 0;
  struct loom_route r;

  memset (out, 0, sizeof (*out));
  memset (&r, 0, sizeof (r));
  if (text == NULL)
    text = "";
  copy = loom_xstrdup (text);
  for (w = strtok_r (copy, " \t", &save); w; w = strtok_r (NULL, " \t", &save))
    {
      if (n == sizeof (words) / sizeof (words[0]))
        {
          *why = "expected '<destination> via <gateway> [dev <interface>] [metric <n>]'";
          return -1;
        }
      words[n++] = w;
    }
  if (n == 0)
    {
      *why = "expected a route like '10.0.2.0/24 via 10.0.1.1' or 'default via 10.0.1.1'";
      return -1;
    }

  is_default = strcmp (words[0], "default") == 0;
  if (!is_default)
    {
      if (loom_addr_parse (words[0], false, &r.dst, why) < 0)
        {
          *why = "expected a destination like 10.0.2.0/24, 2001:db8:2::/64 or 'default'";
          return -1;
        }
      /* A bare address is a host route, as ip(8) reads it. */
      if (r.dst.prefixlen < 0)
        {
          size_t used = strlen (r.dst.text);
          r.dst.prefixlen = r.dst.family == AF_INET ? 32 : 128;
          snprintf (r.dst.text + used, sizeof (r.dst.text) - used, "/%d", r.dst.prefixlen);
        }
      if (host_bits_set (&r.dst))
        {
          *why = "expected a network address as the destination: the bits after the prefix "
                 "length must be zero (as in 10.0.2.0/24)";
          return -1;
        }
    }

  for (i = 1; i < n; i += 2)
    {
      const char *kw = words[i];
      const char *val = i + 1 < n ? words[i + 1] : NULL;

      if (strcmp (kw, "via") == 0)
        {
          if (r.has_gateway)
            {
              *why = "'via' is given twice; expected one gateway";
              return -1;
            }
          if (val == NULL || loom_addr_parse (val, false, &r.gateway, why) < 0)
            {
              *why = "expected a gateway address after 'via', as in 'via 10.0.1.1'";
              return -1;
            }
          if (r.gateway.prefixlen >= 0)
            {
              *why = "expected a gateway address without a prefix length after 'via'";
              return -1;
            }
          r.has_gateway = true;
        }
      else if (strcmp (kw, "dev") == 0)
        {
          if (dev)
            {
              *why = "'dev' is given twice; expected one interface";
              return -1;
            }
          if (val == NULL || !loom_ifname_valid (val))
            {
              *why = "expected an interface name after 'dev', as in 'dev eth1'";
              return -1;
            }
          dev = val;
        }
      else if (strcmp (kw, "metric") == 0)
        {
          if (has_metric)
            {
              *why = "'metric' is given twice";
              return -1;
            }
          if (val == NULL || parse_uint (val, INT_MAX, &metric) < 0)
            {
              *why = "expected a number after 'metric', as in 'metric 10'";
              return -1;
            }
          has_metric = true;
        }
      else
        {
          *why = "expected 'via <gateway>', 'dev <interface>' or 'metric <number>' after the "
                 "destination";
          return -1;
        }
    }

  if (!r.has_gateway && dev == NULL)
    {
      *why = "expected 'via <gateway>' or 'dev <interface>' after the destination";
      return -1;
    }
  if (is_default)
    {
      /* "default" has no family of its own: the gateway decides; without one, IPv4. */
      r.dst.family = r.has_gateway ? r.gateway.family : AF_INET;
      r.dst.prefixlen = 0;
      snprintf (r.dst.text, sizeof (r.dst.text), "default");
    }
  if (r.has_gateway && r.gateway.family != r.dst.family)
    {
      *why = r.dst.family == AF_INET ? "expected an IPv4 gateway for an IPv4 destination"
                                     : "expected an IPv6 gateway for an IPv6 destination";
      return -1;
    }
  /* The kernel cannot pick the link for a link-local next hop by itself. */
  if (r.has_gateway && r.gateway.family == AF_INET6 && r.gateway.bytes[0] == 0xfe
      && (r.gateway.bytes[1] & 0xc0) == 0x80 && dev == NULL)
    {
      *why = "a link-local gateway (fe80::/10) needs 'dev <interface>'";
      return -1;
    }

  r.family = r.dst.family;
  r.metric = (int) metric;
  r.dev = dev ? loom_xstrdup (dev) : NULL;
  r.text = loom_xstrdup (text);
  *out = r;
  return 0;
}

void
loom_route_clear (struct loom_route *route)
{
  free (route->dev);
  free (route->text);
  route->dev = NULL;
  route->text = NULL;
}

static int
hex_value (char c)
{
  return isdigit ((unsigned char) c) ? c - '0' : tolower ((unsigned char) c) - 'a' + 10;
}

int
loom_mac_parse (const char *text, uint8_t mac[6])
{
  uint8_t m[6];
  int i;

  if (text == NULL || strlen (text) != 17)
    return -1;
  for (i = 0; i < 6; i++)
    {
      const char *p = text + i * 3;
      int hi, lo;

      if (!isxdigit ((unsigned char) p[0]) || !isxdigit ((unsigned char) p[1]))
        return -1;
      if (i < 5 && p[2] != ':')
        return -1;
      hi = hex_value (p[0]);
      lo = hex_value (p[1]);
      m[i] = (uint8_t) (hi << 4 | lo);
    }
  /* The kernel refuses both for an interface address (EADDRNOTAVAIL). */
  if (m[0] & 1)
    return -1;
  if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
    return -1;
  memcpy (mac, m, 6);
  return 0;
}
