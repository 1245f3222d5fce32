/* Unit tests for the lab-file parser (topology/): what a user checks when a lab file is
 * right — the model it becomes — and when it is wrong — that every mistake is reported
 * at its own file:line:col and says what was expected. Inline YAML for most cases (line
 * numbers are counted from the first string of each file), fixture files under
 * tests/unit/data/ for whole labs. Runs under valgrind with CK_FORK=no. */
#include <arpa/inet.h>
#include <check.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "topology/model.h"
#include "topology/nodeopts.h"
#include "tests/unit/testdata.h"

static struct loom_diags diags;
static struct loom_lab *lab;

static void
setup (void)
{
  memset (&diags, 0, sizeof (diags));
  lab = NULL;
}

static void
teardown (void)
{
  loom_lab_free (lab);
  lab = NULL;
  loom_diags_clear (&diags);
}

/* Every diagnostic, one per line, for failure messages. */
static const char *
dump (void)
{
  static char buf[16384];
  size_t i, off = 0;

  buf[0] = '\0';
  for (i = 0; i < diags.n && off < sizeof (buf) - 1; i++)
    {
      char *s = loom_diag_format (&diags.items[i]);
      off += snprintf (buf + off, sizeof (buf) - off, "  %s\n", s);
      free (s);
    }
  return diags.n ? buf : "  (no diagnostics)\n";
}

static struct loom_lab *
load (const char *yaml)
{
  lab = loom_topology_load_buffer ("lab.yml", yaml, strlen (yaml), &diags);
  return lab;
}

static bool
has_diag (enum loom_severity sev, int line, int col, const char *text)
{
  size_t i;

  for (i = 0; i < diags.n; i++)
    if (diags.items[i].severity == sev && diags.items[i].line == line
        && diags.items[i].col == col && strstr (diags.items[i].msg, text))
      return true;
  return false;
}

#define ck_error_at(line, col, text)                                                          \
  ck_assert_msg (has_diag (LOOM_DIAG_ERROR, line, col, text),                                 \
                 "expected an error at %d:%d containing \"%s\"; got:\n%s", line, col, text,    \
                 dump ())
#define ck_warning_at(line, col, text)                                                        \
  ck_assert_msg (has_diag (LOOM_DIAG_WARNING, line, col, text),                               \
                 "expected a warning at %d:%d containing \"%s\"; got:\n%s", line, col, text,   \
                 dump ())
#define ck_loads(yaml)                                                                        \
  ck_assert_msg (load (yaml) != NULL && diags.n_errors == 0, "the lab should load; got:\n%s",  \
                 dump ())
#define ck_fails(yaml)                                                                        \
  ck_assert_msg (load (yaml) == NULL && diags.n_errors > 0, "the lab should fail; got:\n%s",   \
                 dump ())

static struct loom_node *
node (const char *name)
{
  struct loom_node *n = loom_lab_find_node (lab, name);
  ck_assert_msg (n != NULL, "no node %s", name);
  return n;
}

static struct loom_iface *
iface (const char *node_name, const char *ifname)
{
  struct loom_iface *i = loom_node_find_iface (node (node_name), ifname);
  ck_assert_msg (i != NULL, "no interface %s:%s", node_name, ifname);
  return i;
}

static const char *
kv (const struct loom_kv *kvs, size_t n, const char *key)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (kvs[i].key, key) == 0)
      return kvs[i].value;
  return NULL;
}


/* The helpers in model.c */

START_TEST (test_kinds)
{
  ck_assert_int_eq (loom_kind_parse ("host"), LOOM_KIND_HOST);
  ck_assert_int_eq (loom_kind_parse ("router"), LOOM_KIND_ROUTER);
  ck_assert_int_eq (loom_kind_parse ("switch"), LOOM_KIND_SWITCH);
  ck_assert_int_eq (loom_kind_parse ("bridge"), LOOM_KIND_SWITCH);
  ck_assert_int_eq (loom_kind_parse ("hub"), LOOM_KIND_HUB);
  ck_assert_int_eq (loom_kind_parse ("linux"), LOOM_KIND_CONTAINER);
  ck_assert_int_eq (loom_kind_parse ("container"), LOOM_KIND_CONTAINER);
  ck_assert_int_eq (loom_kind_parse ("vm"), LOOM_KIND_VM);
  ck_assert_int_eq (loom_kind_parse ("nat"), LOOM_KIND_NAT);
  ck_assert_int_eq (loom_kind_parse ("Host"), -1);
  ck_assert_int_eq (loom_kind_parse ("nokia_srlinux"), -1);
  ck_assert_str_eq (loom_kind_name (LOOM_KIND_SWITCH), "switch");
  ck_assert_str_eq (loom_kind_name (LOOM_KIND_CONTAINER), "container");
}
END_TEST

START_TEST (test_names)
{
  ck_assert (loom_name_valid ("lab-1_a.b"));
  ck_assert (loom_name_valid ("01234567890123456789012345678901")); /* 32 */
  ck_assert (!loom_name_valid ("012345678901234567890123456789012"));
  ck_assert (!loom_name_valid (""));
  ck_assert (!loom_name_valid ("-x"));
  ck_assert (!loom_name_valid (".x"));
  ck_assert (!loom_name_valid ("a b"));
  ck_assert (!loom_name_valid ("a/b"));
  ck_assert (loom_ifname_valid ("eth1"));
  ck_assert (loom_ifname_valid ("eth1.100"));
  ck_assert (loom_ifname_valid ("e1-1"));
  ck_assert (loom_ifname_valid ("abcdefghijklmno")); /* 15 */
  ck_assert (!loom_ifname_valid ("abcdefghijklmnop"));
  ck_assert (!loom_ifname_valid ("."));
  ck_assert (!loom_ifname_valid (".."));
  ck_assert (!loom_ifname_valid ("ethernet-1/1"));
  ck_assert (!loom_ifname_valid ("eth:1"));
  ck_assert (!loom_ifname_valid (""));
}
END_TEST

START_TEST (test_addr_parse)
{
  struct loom_addr a;
  const char *why = NULL;

  ck_assert_int_eq (loom_addr_parse ("10.0.1.2/24", true, &a, &why), 0);
  ck_assert_int_eq (a.family, AF_INET);
  ck_assert_int_eq (a.prefixlen, 24);
  ck_assert_str_eq (a.text, "10.0.1.2/24");
  ck_assert_int_eq (a.bytes[0], 10);
  ck_assert_int_eq (a.bytes[3], 2);

  ck_assert_int_eq (loom_addr_parse ("2001:DB8:0:0::1/64", true, &a, &why), 0);
  ck_assert_int_eq (a.family, AF_INET6);
  ck_assert_str_eq (a.text, "2001:db8::1/64");

  ck_assert_int_eq (loom_addr_parse ("10.0.1.2", false, &a, &why), 0);
  ck_assert_int_eq (a.prefixlen, -1);
  ck_assert_str_eq (a.text, "10.0.1.2");

  ck_assert_int_eq (loom_addr_parse ("10.0.1.2", true, &a, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "prefix length"));
  ck_assert_int_eq (loom_addr_parse ("10.0.1.2/33", true, &a, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "0 to 32"));
  ck_assert_int_eq (loom_addr_parse ("2001:db8::1/129", true, &a, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "0 to 128"));
  ck_assert_int_eq (loom_addr_parse ("10.0.1.2/", true, &a, &why), -1);
  ck_assert_int_eq (loom_addr_parse ("10.0.1.2/2x", true, &a, &why), -1);
  ck_assert_int_eq (loom_addr_parse ("10.0.1/24", true, &a, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "expected an IP address"));
  ck_assert_int_eq (loom_addr_parse ("", true, &a, &why), -1);
  ck_assert_int_eq (loom_addr_parse ("/24", true, &a, &why), -1);
}
END_TEST

START_TEST (test_route_parse)
{
  struct loom_route r;
  const char *why = NULL;

  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 via 10.0.1.1", &r, &why), 0);
  ck_assert_int_eq (r.family, AF_INET);
  ck_assert_str_eq (r.dst.text, "10.0.2.0/24");
  ck_assert (r.has_gateway);
  ck_assert_str_eq (r.gateway.text, "10.0.1.1");
  ck_assert_ptr_null (r.dev);
  ck_assert_int_eq (r.metric, 0);
  ck_assert_str_eq (r.text, "10.0.2.0/24 via 10.0.1.1");
  loom_route_clear (&r);

  ck_assert_int_eq (loom_route_parse ("default via 10.0.1.1", &r, &why), 0);
  ck_assert_int_eq (r.family, AF_INET);
  ck_assert_int_eq (r.dst.prefixlen, 0);
  loom_route_clear (&r);

  ck_assert_int_eq (loom_route_parse ("10.0.3.0/24 dev eth1", &r, &why), 0);
  ck_assert (!r.has_gateway);
  ck_assert_str_eq (r.dev, "eth1");
  loom_route_clear (&r);

  ck_assert_int_eq (loom_route_parse ("10.0.3.0/24 via 10.0.1.1 dev eth1 metric 10", &r, &why),
                    0);
  ck_assert_str_eq (r.dev, "eth1");
  ck_assert_int_eq (r.metric, 10);
  loom_route_clear (&r);

  ck_assert_int_eq (loom_route_parse ("2001:db8:2::/64 via 2001:db8:1::1", &r, &why), 0);
  ck_assert_int_eq (r.family, AF_INET6);
  ck_assert_int_eq (r.dst.prefixlen, 64);
  loom_route_clear (&r);

  /* "default" takes the gateway's family. */
  ck_assert_int_eq (loom_route_parse ("default via fe80::1 dev eth1", &r, &why), 0);
  ck_assert_int_eq (r.family, AF_INET6);
  ck_assert_int_eq (r.dst.family, AF_INET6);
  loom_route_clear (&r);

  /* A bare address is a host route. */
  ck_assert_int_eq (loom_route_parse ("10.9.9.9 via 10.0.1.1", &r, &why), 0);
  ck_assert_int_eq (r.dst.prefixlen, 32);
  ck_assert_str_eq (r.dst.text, "10.9.9.9/32");
  loom_route_clear (&r);

  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 via 2001:db8::1", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "expected an IPv4 gateway"));
  ck_assert_int_eq (loom_route_parse ("2001:db8:2::/64 via 10.0.1.1", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "expected an IPv6 gateway"));
  ck_assert_int_eq (loom_route_parse ("default via fe80::1", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "needs 'dev"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.1/24 via 10.0.1.1", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "must be zero"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "expected 'via <gateway>' or 'dev <interface>'"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 gw 10.0.1.1", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "expected 'via <gateway>', 'dev <interface>' or 'metric"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 via", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "after 'via'"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 via 10.0.1.1/24", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "without a prefix length"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 via 10.0.1.1 metric x", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "after 'metric'"));
  ck_assert_int_eq (loom_route_parse ("10.0.2.0/24 via 10.0.1.1 via 10.0.1.2", &r, &why), -1);
  ck_assert_int_eq (loom_route_parse ("nowhere via 10.0.1.1", &r, &why), -1);
  ck_assert_ptr_nonnull (strstr (why, "expected a destination"));
  ck_assert_int_eq (loom_route_parse ("", &r, &why), -1);
}
END_TEST

START_TEST (test_mac_parse)
{
  uint8_t mac[6];

  ck_assert_int_eq (loom_mac_parse ("02:00:00:aa:BB:0f", mac), 0);
  ck_assert_int_eq (mac[0], 0x02);
  ck_assert_int_eq (mac[4], 0xbb);
  ck_assert_int_eq (mac[5], 0x0f);
  ck_assert_int_eq (loom_mac_parse ("00:00:00:00:00:00", mac), -1);
  ck_assert_int_eq (loom_mac_parse ("01:00:5e:00:00:01", mac), -1); /* multicast */
  ck_assert_int_eq (loom_mac_parse ("ff:ff:ff:ff:ff:ff", mac), -1);
  ck_assert_int_eq (loom_mac_parse ("02:00:00:00:00", mac), -1);
  ck_assert_int_eq (loom_mac_parse ("02-00-00-00-00-01", mac), -1);
  ck_assert_int_eq (loom_mac_parse ("02:00:00:00:00:0g", mac), -1);
}
END_TEST

START_TEST (test_diag_format)
{
  struct loom_mark m = { "lab.yml", 3, 7 }, whole = { "lab.yml", 0, 0 };
  char *s;

  loom_diags_add (&diags, LOOM_DIAG_ERROR, &m, "bad %s", "thing");
  loom_diags_add (&diags, LOOM_DIAG_WARNING, &m, "odd");
  loom_diags_add (&diags, LOOM_DIAG_ERROR, &whole, "cannot read");
  ck_assert_int_eq (diags.n, 3);
  ck_assert_int_eq (diags.n_errors, 2);
  s = loom_diag_format (&diags.items[0]);
  ck_assert_str_eq (s, "lab.yml:3:7: error: bad thing");
  free (s);
  s = loom_diag_format (&diags.items[1]);
  ck_assert_str_eq (s, "lab.yml:3:7: warning: odd");
  free (s);
  s = loom_diag_format (&diags.items[2]);
  ck_assert_str_eq (s, "lab.yml: error: cannot read");
  free (s);
}
END_TEST

/* Whole labs that must load */

static const char quickstart[] = "name: qs\n"                                 /* 1 */
                                 "topology:\n"                                /* 2 */
                                 "  nodes:\n"                                 /* 3 */
                                 "    h1:\n"                                  /* 4 */
                                 "      interfaces:\n"                        /* 5 */
                                 "        eth1: {ipv4: 10.0.1.10/24}\n"       /* 6 */
                                 "      routes: [default via 10.0.1.1]\n"     /* 7 */
                                 "    h2:\n"                                  /* 8 */
                                 "      kind: host\n"                         /* 9 */
                                 "      interfaces:\n"                        /* 10 */
                                 "        eth1: {ipv4: 10.0.1.11/24}\n"       /* 11 */
                                 "      routes: [default via 10.0.1.1]\n"     /* 12 */
                                 "    sw1: {kind: switch}\n"                  /* 13 */
                                 "    r1:\n"                                  /* 14 */
                                 "      kind: router\n"                       /* 15 */
                                 "      interfaces:\n"                        /* 16 */
                                 "        eth1: {ipv4: 10.0.1.1/24}\n"        /* 17 */
                                 "        eth2: {ipv4: 10.0.2.1/24}\n"        /* 18 */
                                 "        lo: {ipv4: 10.255.0.1}\n"           /* 19 */
                                 "    h3:\n"                                  /* 20 */
                                 "      interfaces:\n"                        /* 21 */
                                 "        eth1: {ipv4: 10.0.2.10/24}\n"       /* 22 */
                                 "      routes: [default via 10.0.2.1]\n"     /* 23 */
                                 "  links:\n"                                 /* 24 */
                                 "    - endpoints: [h1:eth1, sw1:p1]\n"       /* 25 */
                                 "    - endpoints: [h2:eth1, sw1:p2]\n"       /* 26 */
                                 "    - endpoints: [r1:eth1, sw1:p3]\n"       /* 27 */
                                 "    - endpoints: [\"r1:eth2\", \"h3:eth1\"]\n"; /* 28 */

START_TEST (test_quickstart_model)
{
  struct loom_node *h1, *sw1, *r1;
  struct loom_link *l;
  char *cwd;

  ck_loads (quickstart);
  ck_assert_int_eq (diags.n, 0);
  ck_assert_str_eq (lab->name, "qs");
  ck_assert_str_eq (lab->prefix, "nlm");
  ck_assert_str_eq (lab->file, "lab.yml");
  cwd = realpath (".", NULL);
  ck_assert_str_eq (lab->dir, cwd);
  free (cwd);
  ck_assert (!lab->uses_ipv6);
  ck_assert_int_eq (lab->n_nodes, 5);
  ck_assert_int_eq (lab->n_links, 4);
  /* Nodes in file order, kind host by default. */
  ck_assert_str_eq (lab->nodes[0]->name, "h1");
  ck_assert_str_eq (lab->nodes[4]->name, "h3");
  h1 = node ("h1");
  ck_assert_int_eq (h1->kind, LOOM_KIND_HOST);
  ck_assert_str_eq (h1->kind_written, "host");
  ck_assert_int_eq (h1->mark.line, 4);
  ck_assert_int_eq (h1->mark.col, 5);
  ck_assert_str_eq (h1->mark.file, lab->file);
  ck_assert_int_eq (h1->n_ifaces, 1);
  ck_assert_int_eq (h1->ifaces[0]->n_addrs, 1);
  ck_assert_str_eq (h1->ifaces[0]->addrs[0].text, "10.0.1.10/24");
  ck_assert_int_eq (h1->ifaces[0]->addrs[0].mark.line, 6);
  ck_assert_int_eq (h1->n_routes, 1);
  ck_assert (h1->routes[0].has_gateway);
  ck_assert_str_eq (h1->routes[0].gateway.text, "10.0.1.1");
  ck_assert_int_eq (h1->routes[0].mark.line, 7);
  ck_assert_int_eq (h1->routes[0].mark.col, 16);

  sw1 = node ("sw1");
  ck_assert_int_eq (sw1->kind, LOOM_KIND_SWITCH);
  ck_assert_int_eq (sw1->kind_mark.line, 13);
  ck_assert_int_eq (sw1->kind_mark.col, 17);
  ck_assert_int_eq (sw1->n_ifaces, 3);
  ck_assert_str_eq (sw1->ifaces[0]->name, "p1");
  ck_assert_str_eq (sw1->ifaces[2]->name, "p3");
  ck_assert_int_eq (sw1->ifaces[0]->n_addrs, 0);

  /* Interfaces in link order, then lo (on no link, host address /32). */
  r1 = node ("r1");
  ck_assert_int_eq (r1->kind, LOOM_KIND_ROUTER);
  ck_assert_int_eq (r1->n_ifaces, 3);
  ck_assert_str_eq (r1->ifaces[0]->name, "eth1");
  ck_assert_str_eq (r1->ifaces[1]->name, "eth2");
  ck_assert_str_eq (r1->ifaces[2]->name, "lo");
  ck_assert_ptr_null (r1->ifaces[2]->link);
  ck_assert_str_eq (r1->ifaces[2]->addrs[0].text, "10.255.0.1/32");
  ck_assert_int_eq (r1->ifaces[2]->mark.line, 19);

  /* Links: a is the first endpoint; each interface knows its link and node; the
   * interface's mark is its endpoint's. */
  l = lab->links[3];
  ck_assert_ptr_eq (l->a, iface ("r1", "eth2"));
  ck_assert_ptr_eq (l->b, iface ("h3", "eth1"));
  ck_assert_ptr_eq (l->a->link, l);
  ck_assert_ptr_eq (l->b->node, node ("h3"));
  ck_assert_int_eq (l->mark.line, 28);
  ck_assert_int_eq (l->mark.col, 7);
  ck_assert_int_eq (l->a->mark.line, 28);
  ck_assert_int_eq (l->a->mark.col, 19);
  ck_assert_int_eq (l->b->mark.col, 30);
  ck_assert_int_eq (lab->links[0]->b->mark.col, 28);
  ck_assert_int_eq (l->mtu, 0);
  ck_assert_int_eq (l->a->mtu, 0);
}
END_TEST

START_TEST (test_quickstart_file)
{
  char *path = data_path ("quickstart.yaml");
  char *dir = loom_xstrdup (path), *real;
  struct loom_node *h1, *r1, *h3;

  *strrchr (dir, '/') = '\0';
  real = realpath (dir, NULL);
  lab = loom_topology_load (path, &diags);
  ck_assert_msg (lab != NULL && diags.n == 0, "quickstart.yaml should load cleanly; got:\n%s",
                 dump ());
  ck_assert_str_eq (lab->file, path);
  ck_assert_str_eq (lab->dir, real);
  ck_assert_str_eq (lab->name, "quickstart");
  ck_assert (lab->uses_ipv6);
  h1 = node ("h1");
  ck_assert (h1->has_position);
  ck_assert (h1->x == 100 && h1->y == 100);
  ck_assert_int_eq (h1->ifaces[0]->n_addrs, 2);
  ck_assert_int_eq (h1->ifaces[0]->addrs[0].family, AF_INET);
  ck_assert_int_eq (h1->ifaces[0]->addrs[1].family, AF_INET6);
  ck_assert_str_eq (h1->ifaces[0]->addrs[1].text, "2001:db8:1::10/64");
  ck_assert_int_eq (h1->n_routes, 2);
  ck_assert_int_eq (h1->routes[1].family, AF_INET6);
  ck_assert (node ("sw1")->stp);
  r1 = node ("r1");
  ck_assert_int_eq (r1->n_ifaces, 3);
  ck_assert_str_eq (r1->ifaces[2]->name, "lo");
  ck_assert_int_eq (iface ("r1", "eth2")->mtu, 1400);
  h3 = node ("h3");
  ck_assert_int_eq (h3->ifaces[0]->mtu, 1400);
  ck_assert_str_eq (h3->routes[0].dev, "eth1");
  ck_assert_str_eq (h3->routes[0].dst.text, "10.0.1.0/24");
  ck_assert_str_eq (h3->mark.file, path);
  free (real);
  free (dir);
  free (path);
}
END_TEST

START_TEST (test_containerlab_file)
{
  char *path = data_path ("srl-like.clab.yml");
  struct loom_node *leaf1, *client1, *br;
  size_t i;

  lab = loom_topology_load (path, &diags);
  ck_assert_msg (lab != NULL && diags.n_errors == 0, "a containerlab lab should load; got:\n%s",
                 dump ());
  /* One warning per containerlab key netloom does not implement, at its first use
   * (mgmt-ipv4 is written twice). */
  ck_assert_msg (diags.n == 3, "expected 3 warnings; got:\n%s", dump ());
  for (i = 0; i < diags.n; i++)
    ck_assert_int_eq (diags.items[i].severity, LOOM_DIAG_WARNING);
  ck_warning_at (7, 1, "'mgmt'");
  ck_warning_at (21, 7, "'mgmt-ipv4'");
  ck_warning_at (34, 7, "'startup-delay'");
  ck_assert_str_eq (lab->prefix, "clab");

  leaf1 = node ("leaf1");
  ck_assert_int_eq (leaf1->kind, LOOM_KIND_CONTAINER);
  ck_assert_str_eq (leaf1->kind_written, "linux");
  ck_assert_int_eq (leaf1->kind_mark.line, 13); /* from defaults */
  ck_assert_str_eq (leaf1->image, "ghcr.io/hellt/network-multitool");
  ck_assert_int_eq (leaf1->n_exec, 2);
  ck_assert_str_eq (leaf1->exec[1], "ip addr add 192.168.1.1/30 dev e1-1");
  ck_assert_str_eq (kv (leaf1->env, leaf1->n_env, "TZ"), "UTC");
  /* containerlab's graph-pos labels give the canvas position. */
  ck_assert (leaf1->has_position);
  ck_assert (leaf1->x == 100 && leaf1->y == 50);
  ck_assert_str_eq (leaf1->ifaces[0]->name, "e1-1");
  ck_assert_str_eq (leaf1->ifaces[1]->name, "e1-2");

  client1 = node ("client1");
  ck_assert_str_eq (client1->image, "alpine:3");
  ck_assert_str_eq (kv (client1->env, client1->n_env, "TZ"), "Europe/Paris");
  ck_assert_str_eq (kv (client1->env, client1->n_env, "DEBUG"), "true");
  ck_assert (!node ("client2")->has_position);
  /* binds and ports are netloom's too: the bind source is made absolute. */
  ck_assert_int_eq (leaf1->n_binds, 1);
  ck_assert_msg (strstr (leaf1->binds[0].src, "/tests/unit/data/configs/leaf1") != NULL
                     && leaf1->binds[0].src[0] == '/',
                 "bind src %s", leaf1->binds[0].src);
  ck_assert_str_eq (leaf1->binds[0].dst, "/config");
  ck_assert_int_eq (node ("client2")->n_ports, 1);
  ck_assert_int_eq (node ("client2")->ports[0].host_port, 8080);
  ck_assert_int_eq (node ("client2")->ports[0].node_port, 80);

  br = node ("br-clab");
  ck_assert_int_eq (br->kind, LOOM_KIND_SWITCH);
  ck_assert_str_eq (br->kind_written, "bridge");
  ck_assert_ptr_null (br->image);
  ck_assert_int_eq (br->n_ifaces, 2);
  ck_assert_int_eq (lab->n_links, 4);
  free (path);
}
END_TEST

START_TEST (test_inheritance)
{
  static const char y[] = "name: inh\n"
                          "topology:\n"
                          "  defaults:\n"
                          "    image: base:1\n"
                          "    exec: [echo defaults]\n"
                          "    env: {A: d, B: d, C: d, D: d}\n"
                          "    labels: {team: blue}\n"
                          "    sysctls: {net.ipv4.ip_forward: 0}\n"
                          "    vlan-filtering: true\n"
                          "    interfaces:\n"
                          "      eth1: {mtu: 1400}\n"
                          "  kinds:\n"
                          "    router:\n"
                          "      labels: {role: core}\n"
                          "      env: {B: k, C: k}\n"
                          "      sysctls:\n"
                          "        {net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1}\n"
                          "  groups:\n"
                          "    core:\n"
                          "      kind: router\n"
                          "      env: {C: g}\n"
                          "      exec: [echo group]\n"
                          "      interfaces:\n"
                          "        eth1: {mtu: 1450, ipv4: 10.0.0.1/24}\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      group: core\n"
                          "      env: {D: n, E: 2}\n"
                          "      interfaces:\n"
                          "        eth1: {ipv4: 10.0.9.1/24}\n"
                          "    r2:\n"
                          "      group: core\n"
                          "      labels: {role: edge}\n"
                          "    h1: {kind: container}\n"
                          "    sw1: {kind: switch}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, sw1:eth1]\n"
                          "    - endpoints: [r2:eth1, h1:eth1]\n";
  struct loom_node *r1, *r2, *h1, *sw1;

  ck_loads (y);
  r1 = node ("r1");
  /* The kind came from the group, so kinds.router applies. */
  ck_assert_int_eq (r1->kind, LOOM_KIND_ROUTER);
  ck_assert_int_eq (r1->kind_mark.line, 20);
  ck_assert_str_eq (r1->group, "core");
  /* image is for containers and VMs: from defaults, it skips the router. */
  ck_assert_ptr_null (r1->image);
  ck_assert_int_eq (r1->n_exec, 1);
  ck_assert_str_eq (r1->exec[0], "echo group");
  /* Maps merge key by key, the most specific level winning. */
  ck_assert_int_eq (r1->n_env, 5);
  ck_assert_str_eq (kv (r1->env, r1->n_env, "A"), "d");
  ck_assert_str_eq (kv (r1->env, r1->n_env, "B"), "k");
  ck_assert_str_eq (kv (r1->env, r1->n_env, "C"), "g");
  ck_assert_str_eq (kv (r1->env, r1->n_env, "D"), "n");
  ck_assert_str_eq (kv (r1->env, r1->n_env, "E"), "2");
  ck_assert_str_eq (kv (r1->labels, r1->n_labels, "team"), "blue");
  ck_assert_int_eq (r1->n_sysctls, 2);
  ck_assert_str_eq (kv (r1->sysctls, r1->n_sysctls, "net.ipv4.ip_forward"), "1");
  /* Interface settings merge field by field: ipv4 from the node, mtu from the group. */
  ck_assert_int_eq (iface ("r1", "eth1")->n_addrs, 1);
  ck_assert_str_eq (iface ("r1", "eth1")->addrs[0].text, "10.0.9.1/24");
  ck_assert_int_eq (iface ("r1", "eth1")->mtu, 1450);
  /* Bridge-only settings from defaults skip the router. */
  ck_assert (!r1->vlan_filtering);

  r2 = node ("r2");
  ck_assert_str_eq (kv (r2->labels, r2->n_labels, "role"), "edge");
  ck_assert_str_eq (iface ("r2", "eth1")->addrs[0].text, "10.0.0.1/24");
  ck_assert_str_eq (kv (r2->env, r2->n_env, "D"), "d");

  h1 = node ("h1");
  ck_assert_int_eq (h1->kind, LOOM_KIND_CONTAINER);
  ck_assert_ptr_null (h1->group);
  ck_assert_str_eq (h1->image, "base:1");
  ck_assert_str_eq (h1->exec[0], "echo defaults");
  ck_assert_str_eq (kv (h1->env, h1->n_env, "B"), "d");
  ck_assert_str_eq (kv (h1->sysctls, h1->n_sysctls, "net.ipv4.ip_forward"), "0");
  ck_assert_int_eq (iface ("h1", "eth1")->mtu, 1400);
  ck_assert_int_eq (iface ("h1", "eth1")->n_addrs, 0);

  sw1 = node ("sw1");
  ck_assert (sw1->vlan_filtering);
  ck_assert_int_eq (iface ("sw1", "eth1")->mtu, 1400);
}
END_TEST

START_TEST (test_kind_from_defaults)
{
  static const char y[] = "name: d\n"
                          "topology:\n"
                          "  defaults: {kind: router}\n"
                          "  kinds:\n"
                          "    router: {exec: [vtysh -c 'show ip route']}\n"
                          "    bridge: {stp: true}\n"
                          "  nodes:\n"
                          "    r1: {}\n"
                          "    b1: {kind: bridge}\n"
                          "    h1: {kind: host}\n";

  ck_loads (y);
  ck_assert_int_eq (node ("r1")->kind, LOOM_KIND_ROUTER);
  ck_assert_int_eq (node ("r1")->kind_mark.line, 3);
  ck_assert_int_eq (node ("r1")->n_exec, 1);
  ck_assert_int_eq (node ("b1")->kind, LOOM_KIND_SWITCH);
  ck_assert (node ("b1")->stp);
  ck_assert_int_eq (node ("h1")->n_exec, 0);
}
END_TEST

START_TEST (test_links_brief)
{
  static const char y[] = "name: l\n"
                          "topology:\n"
                          "  nodes: {a: {}, b: {}, c: {}}\n"
                          "  links:\n"
                          "    - endpoints: [a:eth1, b:eth1]\n"
                          "      ipv4: [10.0.1.1/24, 10.0.1.2/24]\n"
                          "      ipv6: [\"2001:db8::1/64\", \"\"]\n"
                          "      mtu: 9000\n"
                          "    - endpoints: [a:eth2, c:eth1]\n"
                          "      ipv4: [~, [10.0.2.2/24, 10.0.3.2/24]]\n"
                          "      vars: {x: 1}\n"
                          "      labels: {y: 2}\n";
  struct loom_iface *a1, *b1, *c1;

  ck_loads (y);
  ck_warning_at (11, 7, "'vars'");
  ck_warning_at (12, 7, "'labels'");
  ck_assert (lab->uses_ipv6);
  a1 = iface ("a", "eth1");
  b1 = iface ("b", "eth1");
  ck_assert_int_eq (a1->n_addrs, 2);
  ck_assert_str_eq (a1->addrs[0].text, "10.0.1.1/24");
  ck_assert_str_eq (a1->addrs[1].text, "2001:db8::1/64");
  ck_assert_int_eq (a1->addrs[1].mark.line, 7);
  ck_assert_int_eq (b1->n_addrs, 1);
  ck_assert_str_eq (b1->addrs[0].text, "10.0.1.2/24");
  ck_assert_int_eq (lab->links[0]->mtu, 9000);
  ck_assert_int_eq (a1->mtu, 9000);
  ck_assert_int_eq (b1->mtu, 9000);
  ck_assert_int_eq (iface ("a", "eth2")->n_addrs, 0);
  c1 = iface ("c", "eth1");
  ck_assert_int_eq (c1->n_addrs, 2);
  ck_assert_str_eq (c1->addrs[1].text, "10.0.3.2/24");
}
END_TEST

START_TEST (test_links_extended)
{
  static const char y[] = "name: x\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    a:\n"
                          "      interfaces:\n"
                          "        eth1: {mtu: 1500}\n"
                          "    sw: {kind: switch, vlan-filtering: true}\n"
                          "    b: {}\n"
                          "  links:\n"
                          "    - type: veth\n"
                          "      mtu: 9000\n"
                          "      endpoints:\n"
                          "        - node: a\n"
                          "          interface: eth1\n"
                          "          mac: \"02:00:00:00:00:0a\"\n"
                          "          ipv4: [10.0.1.1/24, 10.0.1.9/24]\n"
                          "          ipv6: \"2001:db8::a/64\"\n"
                          "        - node: sw\n"
                          "          interface: p1\n"
                          "          vlan: 10\n"
                          "    - endpoints:\n"
                          "        - {node: b, interface: eth1}\n"
                          "        - {node: sw, interface: p2, trunk: [10, 20]}\n";
  struct loom_iface *a1, *p1, *p2;

  ck_loads (y);
  a1 = iface ("a", "eth1");
  ck_assert (a1->has_mac);
  ck_assert_int_eq (a1->mac[0], 0x02);
  ck_assert_int_eq (a1->mac[5], 0x0a);
  ck_assert_int_eq (a1->n_addrs, 3);
  ck_assert_str_eq (a1->addrs[1].text, "10.0.1.9/24");
  ck_assert_str_eq (a1->addrs[2].text, "2001:db8::a/64");
  /* The interface's own mtu wins over the link's. */
  ck_assert_int_eq (a1->mtu, 1500);
  ck_assert_int_eq (a1->mark.line, 13);
  ck_assert_int_eq (a1->mark.col, 11);
  p1 = iface ("sw", "p1");
  ck_assert_int_eq (p1->mtu, 9000);
  ck_assert_int_eq (p1->vlan, 10);
  ck_assert (!p1->has_mac);
  p2 = iface ("sw", "p2");
  ck_assert_int_eq (p2->n_trunk, 2);
  ck_assert_int_eq (p2->trunk[1], 20);
  ck_assert_int_eq (p2->vlan, 0);
}
END_TEST

START_TEST (test_routes_forms)
{
  static const char y[] = "name: r\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      routes:\n"
                          "        - 10.0.2.0/24 via 10.0.1.1\n"
                          "        - default via 10.0.1.1\n"
                          "        - 10.0.3.0/24 dev eth1\n"
                          "        - 10.0.4.0/24 via 10.0.1.1 dev eth1 metric 10\n"
                          "        - 2001:db8:2::/64 via 2001:db8:1::1\n"
                          "        - default via fe80::1 dev eth1\n"
                          "        - 10.9.0.0/16 dev lo\n"
                          "    h2: {}\n"
                          "  links:\n"
                          "    - endpoints: [h1:eth1, h2:eth1]\n";
  struct loom_node *h1;

  ck_loads (y);
  h1 = node ("h1");
  ck_assert_int_eq (h1->n_routes, 7);
  ck_assert_str_eq (h1->routes[0].dst.text, "10.0.2.0/24");
  ck_assert_int_eq (h1->routes[1].dst.prefixlen, 0);
  ck_assert_int_eq (h1->routes[1].family, AF_INET);
  ck_assert (!h1->routes[2].has_gateway);
  ck_assert_str_eq (h1->routes[2].dev, "eth1");
  ck_assert_int_eq (h1->routes[3].metric, 10);
  ck_assert_int_eq (h1->routes[4].family, AF_INET6);
  ck_assert_int_eq (h1->routes[5].family, AF_INET6);
  ck_assert_str_eq (h1->routes[5].text, "default via fe80::1 dev eth1");
  ck_assert_int_eq (h1->routes[5].mark.line, 11);
  ck_assert_int_eq (h1->routes[5].mark.col, 11);
  /* IPv6 only in routes is enough to need IPv6. */
  ck_assert (lab->uses_ipv6);
}
END_TEST

START_TEST (test_position)
{
  static const char y[] = "name: p\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    a: {position: {x: 10.5, y: -3}}\n"
                          "    b:\n"
                          "      position: {x: 1, y: 2}\n"
                          "      labels: {graph-posX: 7, graph-posY: 8}\n"
                          "    c:\n"
                          "      labels: {graph-posX: left, graph-posY: 8}\n"
                          "    d: {}\n";

  ck_loads (y);
  ck_assert (node ("a")->has_position);
  ck_assert (node ("a")->x == 10.5 && node ("a")->y == -3);
  ck_assert (node ("b")->x == 1 && node ("b")->y == 2);
  ck_assert (!node ("c")->has_position);
  ck_warning_at (9, 16, "graph-posX 'left' is not a number");
  ck_assert (!node ("d")->has_position);
}
END_TEST

START_TEST (test_merge_keys)
{
  static const char y[] = "name: m\n"
                          "topology:\n"
                          "  kinds:\n"
                          "    container: &base {image: frr, env: {A: 1}}\n"
                          "  nodes:\n"
                          "    r1: {<<: *base, kind: container, image: own}\n"
                          "    r2:\n"
                          "      <<: *base\n"
                          "      kind: container\n";

  ck_loads (y);
  ck_assert_str_eq (node ("r1")->image, "own");
  ck_assert_str_eq (node ("r2")->image, "frr");
  ck_assert_str_eq (kv (node ("r2")->env, node ("r2")->n_env, "A"), "1");
}
END_TEST

START_TEST (test_prefix)
{
  ck_loads ("name: p\nprefix: \"\"\ntopology: {nodes: {a: {}}}\n");
  ck_assert_str_eq (lab->prefix, "");
  teardown ();
  setup ();
  ck_loads ("name: p\nprefix: lab7\ntopology: {}\n");
  ck_assert_str_eq (lab->prefix, "lab7");
  ck_assert_int_eq (lab->n_nodes, 0);
}
END_TEST

/* Capture settings */

START_TEST (test_capture_defaults)
{
  size_t i;

  ck_loads (quickstart);
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, LOOM_CAPTURE_SNAPLEN_DEFAULT);
  ck_assert_uint_eq (lab->capture.snaplen, 65535);
  ck_assert_uint_eq (lab->capture.link_limit, LOOM_CAPTURE_LINK_LIMIT_DEFAULT);
  ck_assert_uint_eq (lab->capture.link_limit, 64ull << 20);
  ck_assert_uint_eq (lab->capture.lab_limit, LOOM_CAPTURE_LAB_LIMIT_DEFAULT);
  ck_assert_uint_eq (lab->capture.lab_limit, 1ull << 30);
  /* Every node and every link is captured unless the file says otherwise. */
  for (i = 0; i < lab->n_nodes; i++)
    ck_assert (lab->nodes[i]->capture);
  for (i = 0; i < lab->n_links; i++)
    ck_assert (lab->links[i]->capture);
  teardown ();
  setup ();
  /* Also for a lab with nothing in it, and for one read from a file. */
  ck_loads ("name: e\ntopology: {}\n");
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, LOOM_CAPTURE_SNAPLEN_DEFAULT);
  ck_assert_uint_eq (lab->capture.link_limit, LOOM_CAPTURE_LINK_LIMIT_DEFAULT);
  ck_assert_uint_eq (lab->capture.lab_limit, LOOM_CAPTURE_LAB_LIMIT_DEFAULT);
  teardown ();
  setup ();
  {
    char *path = data_path ("srl-like.clab.yml");
    lab = loom_topology_load (path, &diags);
    free (path);
  }
  ck_assert_msg (lab != NULL, "srl-like.clab.yml should load; got:\n%s", dump ());
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, LOOM_CAPTURE_SNAPLEN_DEFAULT);
  ck_assert_uint_eq (lab->capture.link_limit, LOOM_CAPTURE_LINK_LIMIT_DEFAULT);
  ck_assert_uint_eq (lab->capture.lab_limit, LOOM_CAPTURE_LAB_LIMIT_DEFAULT);
  for (i = 0; i < lab->n_links; i++)
    ck_assert (lab->links[i]->capture);
}
END_TEST

START_TEST (test_capture_top_level)
{
  static const char off[] = "name: c\n"
                            "capture: false\n"
                            "topology:\n"
                            "  nodes: {a: {capture: true}, b: {}}\n"
                            "  links:\n"
                            "    - endpoints: [a:eth1, b:eth1]\n"
                            "      capture: true\n";
  static const char map[] = "name: c\n"
                            "topology:\n"
                            "  nodes: {a: {}, b: {}}\n"
                            "  links:\n"
                            "    - endpoints: [a:eth1, b:eth1]\n"
                            "capture:\n" /* after topology: order does not matter */
                            "  snaplen: 128\n"
                            "  link-limit: 16MiB\n"
                            "  lab-limit: 2GiB\n";

  /* capture: false turns every link off, whatever the link and its nodes say. */
  ck_loads (off);
  ck_assert_int_eq (diags.n, 0);
  ck_assert (!lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, LOOM_CAPTURE_SNAPLEN_DEFAULT);
  ck_assert_uint_eq (lab->capture.link_limit, LOOM_CAPTURE_LINK_LIMIT_DEFAULT);
  ck_assert_uint_eq (lab->capture.lab_limit, LOOM_CAPTURE_LAB_LIMIT_DEFAULT);
  ck_assert (node ("a")->capture);
  ck_assert (!lab->links[0]->capture);
  teardown ();
  setup ();

  ck_loads ("name: c\ncapture: yes\ntopology: {nodes: {a: {}, b: {}}, links: [{endpoints: "
            "[a:eth1, b:eth1]}]}\n");
  ck_assert (lab->capture.enabled);
  ck_assert (lab->links[0]->capture);
  teardown ();
  setup ();

  /* A mapping: what it leaves out keeps its default. */
  ck_loads (map);
  ck_assert_int_eq (diags.n, 0);
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, 128);
  ck_assert_uint_eq (lab->capture.link_limit, 16ull << 20);
  ck_assert_uint_eq (lab->capture.lab_limit, 2ull << 30);
  ck_assert (lab->links[0]->capture);
  teardown ();
  setup ();

  ck_loads ("name: c\ncapture: {enabled: false, snaplen: 64, link-limit: 1048576, lab-limit: "
            "1MiB}\ntopology: {nodes: {a: {}, b: {}}, links: [{endpoints: [a:eth1, b:eth1]}]}\n");
  ck_assert (!lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, 64);
  ck_assert_uint_eq (lab->capture.link_limit, 1ull << 20);
  ck_assert_uint_eq (lab->capture.lab_limit, 1ull << 20);
  ck_assert (!lab->links[0]->capture);
  teardown ();
  setup ();

  ck_loads ("name: c\ncapture: {enabled: true, snaplen: 262144}\ntopology: {}\n");
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, 262144);
  ck_assert_uint_eq (lab->capture.link_limit, LOOM_CAPTURE_LINK_LIMIT_DEFAULT);
  teardown ();
  setup ();

  /* An empty value or an empty mapping is all defaults. */
  ck_loads ("name: c\ncapture: {}\ntopology: {}\n");
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.snaplen, LOOM_CAPTURE_SNAPLEN_DEFAULT);
  teardown ();
  setup ();
  ck_loads ("name: c\ncapture:\ntopology: {}\n");
  ck_assert (lab->capture.enabled);
  ck_assert_uint_eq (lab->capture.lab_limit, LOOM_CAPTURE_LAB_LIMIT_DEFAULT);
}
END_TEST

START_TEST (test_capture_sizes)
{
  static const struct
  {
    const char *text;
    uint64_t bytes;
  } cases[] = {
    { "1048576", 1048576 },
    { "\"3145728\"", 3145728 },
    { "2097152B", 2097152 },
    { "2048KiB", 2048ull << 10 },
    { "1500KB", 1500000 },
    { "2048K", 2048ull << 10 },
    { "64MiB", 64ull << 20 },
    { "10MB", 10000000 },
    { "2M", 2ull << 20 },
    { "1GiB", 1ull << 30 },
    { "5GB", 5000000000ull },
    { "2G", 2ull << 30 },
    { "64mib", 64ull << 20 },
    { "\"64 MiB\"", 64ull << 20 },
    { "3gb", 3000000000ull },
    { "16384GiB", 16384ull << 30 },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *y = loom_xasprintf ("name: s\ncapture:\n  link-limit: %s\n  lab-limit: %s\n"
                                "topology: {}\n",
                                cases[i].text, cases[i].text);
      lab = loom_topology_load_buffer ("lab.yml", y, strlen (y), &diags);
      ck_assert_msg (lab != NULL, "size %s should load; got:\n%s", cases[i].text, dump ());
      ck_assert_msg (lab->capture.link_limit == cases[i].bytes
                         && lab->capture.lab_limit == cases[i].bytes,
                     "size %s: expected %llu bytes, got %llu and %llu", cases[i].text,
                     (unsigned long long) cases[i].bytes,
                     (unsigned long long) lab->capture.link_limit,
                     (unsigned long long) lab->capture.lab_limit);
      free (y);
      teardown ();
      setup ();
    }
}
END_TEST

START_TEST (test_capture_nodes_and_links)
{
  static const char y[] = "name: c\n"                                          /* 1 */
                          "topology:\n"                                        /* 2 */
                          "  defaults:\n"                                      /* 3 */
                          "    capture: false\n"                               /* 4 */
                          "  kinds:\n"                                         /* 5 */
                          "    switch: {capture: true}\n"                      /* 6 */
                          "  groups:\n"                                        /* 7 */
                          "    quiet: {kind: router, capture: false}\n"        /* 8 */
                          "    loud: {kind: router, capture: true}\n"          /* 9 */
                          "  nodes:\n"                                         /* 10 */
                          "    h1: {}\n"                         /* defaults */   /* 11 */
                          "    h2: {capture: true}\n"            /* own */        /* 12 */
                          "    sw1: {kind: switch}\n"            /* kinds */      /* 13 */
                          "    sw2: {kind: switch, capture: off}\n"            /* 14 */
                          "    r1: {group: loud}\n"                            /* 15 */
                          "    r2: {group: loud, capture: false}\n"            /* 16 */
                          "    r3: {group: quiet, capture: true}\n"            /* 17 */
                          "  links:\n"                                         /* 18 */
                          "    - endpoints: [h2:eth1, sw1:p1]\n"               /* 19 */
                          "    - endpoints: [h1:eth1, sw1:p2]\n"               /* 20 */
                          "    - endpoints: [h2:eth2, r1:eth1]\n"              /* 21 */
                          "      capture: false\n"                             /* 22 */
                          "    - type: veth\n"                                 /* 23 */
                          "      capture: false\n"                             /* 24 */
                          "      endpoints:\n"                                 /* 25 */
                          "        - {node: r1, interface: eth2}\n"            /* 26 */
                          "        - {node: r3, interface: eth1}\n"            /* 27 */
                          "    - type: veth\n"                                 /* 28 */
                          "      capture: true\n"                              /* 29 */
                          "      endpoints:\n"                                 /* 30 */
                          "        - {node: r1, interface: eth3}\n"            /* 31 */
                          "        - {node: r3, interface: eth2}\n"            /* 32 */
                          "    - endpoints: [r1:eth4, sw2:p1]\n"               /* 33 */
                          "    - endpoints: [r2:eth1, r3:eth3]\n"              /* 34 */
                          "    - endpoints: [r1:eth5, sw1:p3]\n"               /* 35 */
                          "      capture: true\n";                             /* 36 */

  ck_loads (y);
  ck_assert_int_eq (diags.n, 0);
  /* The most specific level wins: node, group, kinds.<kind>, defaults. */
  ck_assert (!node ("h1")->capture);
  ck_assert (node ("h2")->capture);
  ck_assert (node ("sw1")->capture);
  ck_assert (!node ("sw2")->capture);
  ck_assert (node ("r1")->capture);
  ck_assert (!node ("r2")->capture);
  ck_assert (node ("r3")->capture);
  /* A link is captured when the lab, the link and both its nodes allow it. */
  ck_assert (lab->links[0]->capture);  /* h2 - sw1 */
  ck_assert (!lab->links[1]->capture); /* h1 says no */
  ck_assert (!lab->links[2]->capture); /* the brief link says no */
  ck_assert (!lab->links[3]->capture); /* the extended link says no */
  ck_assert (lab->links[4]->capture);  /* extended, yes */
  ck_assert (!lab->links[5]->capture); /* sw2 says no */
  ck_assert (!lab->links[6]->capture); /* r2 says no */
  ck_assert (lab->links[7]->capture);  /* brief, yes */
  ck_assert_int_eq (lab->links[3]->mark.line, 23);
}
END_TEST

/* Mistakes: each at its line:col, saying what was expected */

START_TEST (test_unknown_key)
{
  static const char y[] = "name: k\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      kinnd: router\n";

  ck_fails (y);
  ck_error_at (5, 7, "unknown key 'kinnd'");
  ck_error_at (5, 7, "did you mean 'kind'?");
  ck_error_at (5, 7, "expected one of: kind, group, image, exec, env, labels, sysctls, routes, "
                     "vlan-filtering, stp, position, interfaces");
  ck_assert_int_eq (diags.n_errors, 1);
}
END_TEST

START_TEST (test_unknown_keys_elsewhere)
{
  static const char y[] = "name: k\n"
                          "nodes: {}\n"
                          "topology:\n"
                          "  node: {}\n"
                          "  groups:\n"
                          "    g: {group: x, position: {x: 1, y: 1}}\n"
                          "  kinds:\n"
                          "    router: {kind: host}\n"
                          "    srl: {}\n"
                          "  links:\n"
                          "    - endpoints: [a:b, c:d]\n"
                          "      delay: 10ms\n";

  ck_fails (y);
  ck_error_at (2, 1,
               "unknown key 'nodes' in the top level; expected one of: name, prefix, topology");
  ck_error_at (4, 3, "unknown key 'node' in 'topology' (did you mean 'nodes'?)");
  ck_error_at (6, 9, "'group' is only allowed in a node");
  ck_error_at (6, 19, "'position' is only allowed in a node");
  ck_error_at (8, 14, "'kind' is not allowed in kinds.router");
  ck_error_at (9, 5, "unknown kind 'srl' in 'kinds'");
  ck_error_at (12, 7, "unknown key 'delay' in a link; expected one of: endpoints, type, ipv4");
}
END_TEST

START_TEST (test_unknown_kind)
{
  ck_fails ("name: k\ntopology:\n  nodes:\n    h1: {kind: nokia_srlinux}\n");
  ck_error_at (4, 16, "unknown kind 'nokia_srlinux'; expected one of: host, router, switch, hub, "
                      "container, vm, nat");
}
END_TEST

START_TEST (test_unknown_node_in_link)
{
  static const char y[] = "name: n\n"
                          "topology:\n"
                          "  nodes: {h1: {}, h2: {}, sw1: {kind: switch}}\n"
                          "  links:\n"
                          "    - endpoints: [\"h1:eth1\", \"sw2:p1\"]\n"
                          "    - endpoints:\n"
                          "        - {node: h2, interface: eth1}\n"
                          "        - {node: r9, interface: eth1}\n";

  ck_fails (y);
  ck_error_at (5, 30, "node 'sw2' is not defined (nodes: h1, h2, sw1)");
  ck_error_at (8, 18, "node 'r9' is not defined (nodes: h1, h2, sw1)");
  ck_assert_int_eq (diags.n_errors, 2);
}
END_TEST

START_TEST (test_bad_addresses)
{
  static const char y[] = "name: a\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      interfaces:\n"
                          "        eth1:\n"
                          "          ipv4: [10.0.1.1, 10.0.1.2/33, 10.0.1.300/24, "
                          "\"2001:db8::1/64\"]\n"
                          "          ipv6: [10.0.1.1/24, \"2001:db8::1\", {a: b}]\n"
                          "    h2: {}\n"
                          "  links:\n"
                          "    - endpoints: [h1:eth1, h2:eth1]\n"
                          "      ipv4: [10.0.0.1/24]\n";

  ck_fails (y);
  ck_error_at (7, 18, "invalid address '10.0.1.1' in 'ipv4': expected a prefix length after the "
                      "address, as in 10.0.1.1/24");
  ck_error_at (7, 28, "expected a prefix length from 0 to 32");
  ck_error_at (7, 41, "invalid address '10.0.1.300/24' in 'ipv4': expected an IP address");
  ck_error_at (7, 56, "'2001:db8::1/64' is an IPv6 address; expected an IPv4 address in 'ipv4'");
  ck_error_at (8, 18, "'10.0.1.1/24' is an IPv4 address; expected an IPv6 address in 'ipv6'");
  ck_error_at (8, 31, "expected a prefix length after the address, as in 2001:db8::1/64");
  ck_error_at (8, 46, "expected an address string in 'ipv6', found a mapping");
  ck_error_at (12, 13, "expected a list of two addresses for 'ipv4', one per endpoint");
  ck_assert_int_eq (diags.n_errors, 8);
}
END_TEST

START_TEST (test_bad_vlans)
{
  static const char y[] = "name: v\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    sw1:\n"
                          "      kind: switch\n"
                          "      vlan-filtering: true\n"
                          "      interfaces:\n"
                          "        p1: {vlan: 0}\n"
                          "        p2: {vlan: 4095}\n"
                          "        p3: {trunk: [10, ten, 10]}\n"
                          "        p4: {trunk: 10}\n"
                          "    sw2: {kind: switch}\n"
                          "    h1:\n"
                          "      interfaces:\n"
                          "        eth1: {vlan: 10}\n"
                          "      vlan-filtering: true\n"
                          "  links:\n"
                          "    - endpoints: [sw1:p1, sw2:p1]\n"
                          "    - endpoints: [sw1:p2, h1:eth1]\n"
                          "    - endpoints: [sw1:p3, sw2:p3]\n"
                          "    - endpoints:\n"
                          "        - {node: sw1, interface: p4}\n"
                          "        - {node: sw2, interface: p4, vlan: 20}\n";

  ck_fails (y);
  ck_error_at (8, 20, "expected a VLAN id (an integer from 1 to 4094) for 'vlan', found '0'");
  ck_error_at (9, 20, "expected a VLAN id (an integer from 1 to 4094) for 'vlan', found '4095'");
  ck_error_at (10, 26, "for 'trunk', found 'ten'");
  ck_error_at (10, 31, "VLAN 10 is listed twice in 'trunk'");
  ck_error_at (11, 21, "expected a list of VLAN ids");
  ck_error_at (15, 22, "'vlan' is only for switch and hub nodes; h1 is a host");
  ck_error_at (16, 23, "'vlan-filtering' is only for switch and hub nodes; h1 is a host");
  ck_error_at (23, 44, "'vlan' on sw2:p4 needs 'vlan-filtering: true' on sw2");
  ck_assert_int_eq (diags.n_errors, 8);
}
END_TEST

START_TEST (test_duplicate_keys)
{
  static const char y[] = "name: d\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      kind: host\n"
                          "      env: {A: 1, A: 2}\n"
                          "      kind: router\n"
                          "    h2: {}\n"
                          "    h1: {}\n"
                          "name: e\n";

  ck_fails (y);
  ck_error_at (6, 19, "duplicate key 'A' (first at line 6, column 13)");
  ck_error_at (7, 7, "duplicate key 'kind' (first at line 5, column 7)");
  ck_error_at (9, 5, "node 'h1' is defined twice (first at line 4)");
  ck_error_at (10, 1, "duplicate key 'name'");
  ck_assert_int_eq (diags.n_errors, 4);
}
END_TEST

START_TEST (test_wrong_types)
{
  static const char y[] = "name: t\n"                            /* 1 */
                          "topology:\n"                          /* 2 */
                          "  defaults: [kind]\n"                 /* 3 */
                          "  nodes:\n"                           /* 4 */
                          "    h1:\n"                            /* 5 */
                          "      exec: echo hello\n"             /* 6 */
                          "      env: [A=1]\n"                   /* 7 */
                          "      image: {name: x}\n"             /* 8 */
                          "      routes: default via 10.0.0.1\n" /* 9 */
                          "      interfaces: [eth1]\n"           /* 10 */
                          "      stp: maybe\n"                   /* 11 */
                          "      position: [1, 2]\n"             /* 12 */
                          "    h2:\n"                            /* 13 */
                          "      exec:\n"                        /* 14 */
                          "        - echo a: b\n"                /* 15 */
                          "      sysctls: {\"../etc\": 1}\n"     /* 16 */
                          "  links:\n"                           /* 17 */
                          "    - endpoints: [h1:eth1, h2:eth1]\n" /* 18 */
                          "      mtu: jumbo\n"                   /* 19 */
                          "    - endpoints: h1:eth2\n"           /* 20 */
                          "    - endpoints: [h1:eth3]\n"         /* 21 */
                          "    - h1:eth4\n";                     /* 22 */

  ck_fails (y);
  ck_error_at (3, 13, "expected a mapping of node settings for defaults, found a list");
  ck_error_at (6, 13, "expected a list of strings for 'exec', found 'echo hello'");
  ck_error_at (7, 12, "expected a mapping of names to values for 'env', found a list");
  ck_error_at (8, 14, "expected a string for 'image', found a mapping");
  ck_error_at (9, 15, "expected a list of strings for 'routes'");
  ck_error_at (10, 19, "expected a mapping of interface names to settings");
  ck_error_at (11, 12, "expected true or false for 'stp', found 'maybe'");
  ck_error_at (12, 17, "expected a mapping {x: <number>, y: <number>} for 'position'");
  ck_error_at (15, 11,
               "expected a string in 'exec', found a mapping (quote text that contains ': ')");
  ck_error_at (16, 17, "expected a sysctl name like net.ipv4.ip_forward");
  ck_error_at (19, 12, "expected an integer from 68 to 65535 for 'mtu', found 'jumbo'");
  ck_error_at (20, 18, "expected a list of two endpoints for 'endpoints'");
  ck_error_at (21, 18, "expected exactly two endpoints in a link, found 1");
  ck_error_at (22, 7, "expected a link: a mapping with 'endpoints'");
  ck_assert_int_eq (diags.n_errors, 14);
}
END_TEST

START_TEST (test_top_level)
{
  ck_fails ("- a\n- b\n");
  ck_error_at (1, 1, "expected a mapping with 'name' and 'topology'");
  teardown ();
  setup ();
  ck_fails ("prefix: x\n");
  ck_error_at (1, 1, "expected 'name'");
  ck_error_at (1, 1, "expected 'topology'");
  teardown ();
  setup ();
  ck_fails ("name: .hidden\ntopology: 5\n");
  ck_error_at (1, 7, "invalid lab name '.hidden': expected 1 to 32 letters");
  ck_error_at (2, 11, "expected a mapping with 'nodes' and 'links' for 'topology', found '5'");
  teardown ();
  setup ();
  ck_fails ("");
  ck_assert_int_eq (diags.items[0].line, 0);
  ck_assert_ptr_nonnull (strstr (diags.items[0].msg, "empty"));
  teardown ();
  setup ();
  ck_fails ("name: a\ntopology: {}\n---\nname: b\n");
  ck_error_at (3, 1, "expected one YAML document");
}
END_TEST

START_TEST (test_yaml_syntax_error)
{
  static const char y[] = "name: s\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1: {kind: host\n"
                          "    h2: {}\n";
  char *s;

  ck_fails (y);
  ck_assert_int_eq (diags.n, 1);
  ck_error_at (5, 7, "invalid YAML: did not find expected ',' or '}'");
  ck_error_at (5, 7, "while parsing a flow mapping at line 4");
  s = loom_diag_format (&diags.items[0]);
  ck_assert_ptr_nonnull (strstr (s, "lab.yml:5:7: error: invalid YAML"));
  free (s);
  teardown ();
  setup ();
  ck_fails ("name: s\n\ttopology: {}\n");
  ck_assert_int_eq (diags.n, 1);
  ck_error_at (2, 1, "tab");
}
END_TEST

START_TEST (test_file_unreadable)
{
  char *s;

  lab = loom_topology_load ("/nonexistent/lab.yml", &diags);
  ck_assert_ptr_null (lab);
  ck_assert_int_eq (diags.n, 1);
  ck_assert_int_eq (diags.items[0].line, 0);
  s = loom_diag_format (&diags.items[0]);
  ck_assert_str_eq (s, "/nonexistent/lab.yml: error: cannot read the lab file: No such file or "
                       "directory");
  free (s);
}
END_TEST

START_TEST (test_broken_file_all_reported)
{
  char *path = data_path ("broken.yaml");
  char *s;

  lab = loom_topology_load (path, &diags);
  ck_assert_ptr_null (lab);
  ck_assert_msg (diags.n_errors == 5, "expected 5 errors; got:\n%s", dump ());
  ck_error_at (7, 7, "unknown key 'kinnd'");
  ck_error_at (9, 22, "invalid address '10.0.1.10'");
  ck_error_at (12, 41, "expected an integer from 68 to 65535 for 'mtu', found '9'");
  ck_error_at (14, 13, "unknown kind 'swich'");
  ck_error_at (17, 30, "node 'sw2' is not defined");
  /* In file order, each naming the file as given. */
  ck_assert_int_eq (diags.items[0].line, 7);
  ck_assert_int_eq (diags.items[4].line, 17);
  s = loom_diag_format (&diags.items[4]);
  ck_assert_str_eq (s + strlen (path), ":17:30: error: node 'sw2' is not defined (nodes: h1, "
                                       "h2, sw1)");
  free (s);
  free (path);
}
END_TEST

START_TEST (test_link_errors)
{
  static const char y[] = "name: l\n"
                          "topology:\n"
                          "  nodes: {a: {}, b: {}, sw: {kind: hub}}\n"
                          "  links:\n"
                          "    - endpoints: [a:eth1, b:eth1]\n"
                          "    - endpoints: [a:eth2, b:eth1]\n"
                          "    - endpoints: [a:eth3, a:eth3]\n"
                          "    - endpoints: [a-eth4, b:eth4]\n"
                          "    - endpoints: [a:eth5, host:eth5]\n"
                          "    - endpoints: [a:eth6, mgmt-net:a6]\n"
                          "    - endpoints: [a:eth7, macvlan:enp0s3]\n"
                          "    - endpoints: [a:ethernet-1/1, b:averyveryverylongname]\n"
                          "    - endpoints: [a:lo, sw:br0]\n"
                          "    - type: macvlan\n"
                          "      endpoints: [{node: a, interface: eth9}]\n"
                          "    - type: vxlan\n"
                          "    - endpoints: [a:a, b:b]\n"
                          "    - endpoints: [a:eth1, b:eth9]\n";

  ck_fails (y);
  ck_error_at (6, 27, "interface b:eth1 is already on the link at line 5");
  ck_error_at (7, 27, "a link cannot connect a:eth3 to itself");
  ck_error_at (8, 19, "expected an endpoint 'node:interface' (as in \"h1:eth1\"), found 'a-eth4'");
  ck_error_at (9, 27, "endpoint 'host:eth5': links to the host are not supported");
  ck_error_at (10, 27, "endpoint 'mgmt-net:a6': links to the management network are not "
                       "supported");
  ck_error_at (11, 27, "endpoint 'macvlan:enp0s3'");
  ck_error_at (12, 19, "invalid interface name 'ethernet-1/1'");
  ck_error_at (12, 35, "invalid interface name 'averyveryverylongname'");
  ck_error_at (13, 19, "'lo' is the loopback and cannot be on a link");
  ck_error_at (13, 25, "the name 'br0' is reserved on a hub");
  ck_error_at (14, 13, "link type 'macvlan' is not supported (supported: veth)");
  ck_error_at (16, 13, "link type 'vxlan' is not supported (supported: veth)");
  ck_error_at (18, 19, "interface a:eth1 is already on the link at line 5");
  ck_assert_msg (diags.n_errors == 13, "expected 13 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_bridge_rules)
{
  static const char y[] = "name: b\n"
                          "topology:\n"
                          "  kinds:\n"
                          "    switch: {routes: [default via 10.0.0.1]}\n"
                          "    host: {stp: true}\n"
                          "  nodes:\n"
                          "    sw:\n"
                          "      kind: switch\n"
                          "      routes: [default via 10.0.0.1]\n"
                          "      interfaces:\n"
                          "        p1: {ipv4: 10.0.0.2/24}\n"
                          "        lo: {ipv4: 10.0.0.3}\n"
                          "    h1: {stp: false}\n"
                          "  links:\n"
                          "    - endpoints: [sw:p1, h1:eth1]\n"
                          "      ipv4: [10.0.0.9/24, 10.0.0.1/24]\n";

  ck_fails (y);
  ck_error_at (4, 22, "'routes' is not allowed on a switch or hub");
  ck_error_at (4, 22, "this is kinds.switch");
  ck_error_at (5, 17, "'stp' is only for switch and hub nodes; this is kinds.host");
  ck_error_at (9, 15, "'routes' is not allowed on a switch or hub: its ports are bridged and it "
                      "has no addresses of its own; sw is a switch");
  ck_error_at (11, 20, "'ipv4' of sw:p1 is also set in the link at line 16, column 14");
  ck_error_at (12, 9, "'lo' can only be configured on host and router nodes; sw is a switch");
  ck_error_at (13, 15, "'stp' is only for switch and hub nodes; h1 is a host");
  ck_error_at (16, 14, "'ipv4' is not allowed on a switch or hub");
  ck_assert_msg (diags.n_errors == 7, "expected 7 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_interface_rules)
{
  static const char y[] = "name: i\n"
                          "topology:\n"
                          "  defaults:\n"
                          "    interfaces:\n"
                          "      eth7: {mtu: 1400}\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      interfaces:\n"
                          "        eth1: {mtu: 1400}\n"
                          "        eth2: {mtu: 1400}\n"
                          "        lo: {mac: \"02:00:00:00:00:01\", ipv6: \"2001:db8::1\"}\n"
                          "        ethernet-1/1: {}\n"
                          "        eth3: {speed: 10}\n"
                          "      routes:\n"
                          "        - 10.0.0.0/8 dev eth9\n"
                          "        - 10.1.0.0/16 via 10.0.0.1 dev eth1\n"
                          "    h2: {}\n"
                          "  links:\n"
                          "    - endpoints: [h1:eth1, h2:eth1]\n"
                          "    - endpoints: [h1:eth3, h2:eth3]\n";

  ck_fails (y);
  ck_error_at (10, 9, "interface 'eth2' of node 'h1' is on no link; only 'lo' can be configured "
                      "without a link");
  ck_error_at (11, 19, "'mac' is not allowed on 'lo'");
  ck_error_at (12, 9, "invalid interface name 'ethernet-1/1'");
  ck_error_at (13, 16, "unknown key 'speed' in nodes.h1.interfaces.eth3; expected one of: ipv4, "
                       "ipv6, mac, mtu, vlan, trunk");
  ck_error_at (15, 11, "route '10.0.0.0/8 dev eth9': h1 has no interface 'eth9' (interfaces: "
                       "eth1, eth3, lo)");
  ck_assert_msg (diags.n_errors == 5, "expected 5 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_route_errors)
{
  static const char y[] = "name: r\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      routes:\n"
                          "        - 10.0.2.0/24 via 2001:db8::1\n"
                          "        - default via fe80::1\n"
                          "        - 10.0.2.1/24 via 10.0.0.1\n"
                          "        - 10.0.2.0/24 gateway 10.0.0.1\n"
                          "        - 10.0.2.0/24\n"
                          "        - to 10.0.2.0/24 via 10.0.0.1\n";

  ck_fails (y);
  ck_error_at (6, 11, "invalid route '10.0.2.0/24 via 2001:db8::1': expected an IPv4 gateway for "
                      "an IPv4 destination");
  ck_error_at (7, 11, "a link-local gateway (fe80::/10) needs 'dev <interface>'");
  ck_error_at (8, 11, "the bits after the prefix length must be zero");
  ck_error_at (9, 11, "expected 'via <gateway>', 'dev <interface>' or 'metric <number>'");
  ck_error_at (10, 11, "expected 'via <gateway>' or 'dev <interface>' after the destination");
  ck_error_at (11, 11, "expected a destination like 10.0.2.0/24");
  ck_assert_int_eq (diags.n_errors, 6);
}
END_TEST

START_TEST (test_names_in_file)
{
  static const char y[] = "name: n\n"
                          "prefix: \"a b\"\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    -h1: {}\n"
                          "    h2: {group: nogroup}\n"
                          "    averyveryverylongnodenamethatistoolong: {}\n"
                          "  links:\n"
                          "    - endpoints: [-h1:eth1, h2:eth1]\n";

  ck_fails (y);
  ck_error_at (2, 9, "invalid prefix 'a b'");
  ck_error_at (5, 5, "invalid node name '-h1': expected 1 to 32 letters, digits, '_', '.' or '-', "
                     "not starting with '-' or '.'");
  ck_error_at (6, 17, "group 'nogroup' is not defined (there is no 'groups' section)");
  ck_error_at (7, 5, "invalid node name 'averyveryverylongnodenamethatistoolong'");
  /* The link to the badly named node is not reported a second time. */
  ck_assert_msg (diags.n_errors == 4, "expected 4 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_containerlab_warnings_once)
{
  static const char y[] = "name: w\n"
                          "mgmt: {network: x}\n"
                          "settings: {}\n"
                          "topology:\n"
                          "  defaults: {dns: {servers: [1.1.1.1]}}\n"
                          "  nodes:\n"
                          "    a:\n"
                          "      dns: {servers: [8.8.8.8]}\n"
                          "      sandbox: x\n"
                          "      mgmt-ipv4: 10.0.0.1\n"
                          "      startup-config: a.cfg\n"
                          "    b:\n"
                          "      sandbox: y\n"
                          "      healthcheck: {test: [x]}\n";

  ck_loads (y);
  ck_assert_msg (diags.n == 7, "expected 7 warnings; got:\n%s", dump ());
  ck_warning_at (2, 1, "'mgmt' is a containerlab setting netloom does not implement yet; ignored");
  ck_warning_at (3, 1, "'settings'");
  ck_warning_at (5, 14, "'dns'");
  ck_warning_at (9, 7, "'sandbox'");
  ck_warning_at (10, 7, "'mgmt-ipv4'");
  ck_warning_at (11, 7, "'startup-config'");
  ck_warning_at (14, 7, "'healthcheck'");
}
END_TEST

START_TEST (test_many_errors_all_reported)
{
  static const char y[] = "name: many\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    h1: {kind: hots}\n"
                          "    h2: {imgae: x}\n"
                          "    h3: {interfaces: {eth1: {mtu: 1}}}\n"
                          "    h4: {routes: [nonsense]}\n"
                          "    h5: {env: 5}\n"
                          "  links:\n"
                          "    - endpoints: [h3:eth1, h6:eth1]\n"
                          "    - endpoints: [h4:eth1, h5:eth1]\n"
                          "      mtu: 10\n";

  ck_fails (y);
  ck_error_at (4, 16, "unknown kind 'hots'");
  ck_error_at (5, 10, "unknown key 'imgae' in nodes.h2 (did you mean 'image'?)");
  ck_error_at (6, 35, "expected an integer from 68 to 65535");
  ck_error_at (7, 19, "invalid route 'nonsense'");
  ck_error_at (8, 15, "expected a mapping of names to values for 'env', found '5'");
  ck_error_at (10, 28, "node 'h6' is not defined");
  ck_error_at (12, 12, "expected an integer from 68 to 65535 for 'mtu', found '10'");
  ck_assert_msg (diags.n_errors == 7, "expected 7 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_capture_errors)
{
  static const char y[] = "name: c\n"                                          /* 1 */
                          "capture:\n"                                         /* 2 */
                          "  enabled: maybe\n"                                 /* 3 */
                          "  snaplen: 63\n"                                    /* 4 */
                          "  link-limit: 64 potatoes\n"                        /* 5 */
                          "  lab-limit: 512KiB\n"                              /* 6 */
                          "  ring-files: 4\n"                                  /* 7 */
                          "topology:\n"                                        /* 8 */
                          "  capture: false\n"                                 /* 9 */
                          "  defaults: {capture: 0}\n"                         /* 10 */
                          "  kinds:\n"                                         /* 11 */
                          "    switch: {capture: [no]}\n"                      /* 12 */
                          "  nodes:\n"                                         /* 13 */
                          "    h1:\n"                                          /* 14 */
                          "      capture: nope\n"                              /* 15 */
                          "      interfaces:\n"                                /* 16 */
                          "        eth1: {capture: false}\n"                   /* 17 */
                          "    h2: {}\n"                                       /* 18 */
                          "  links:\n"                                         /* 19 */
                          "    - endpoints: [h1:eth1, h2:eth1]\n"              /* 20 */
                          "      capture: 1\n"                                 /* 21 */
                          "    - type: veth\n"                                 /* 22 */
                          "      capture:\n"                                   /* 23 */
                          "      endpoints:\n"                                 /* 24 */
                          "        - {node: h1, interface: eth2, capture: no}\n" /* 25 */
                          "        - {node: h2, interface: eth2}\n";           /* 26 */

  ck_fails (y);
  ck_error_at (3, 12, "expected true or false for 'enabled', found 'maybe'");
  ck_error_at (4, 12, "expected an integer from 64 to 262144 for 'snaplen', found '63'");
  ck_error_at (5, 15, "expected a size (a number of bytes, or a whole number with a unit: KiB, "
                      "MiB, GiB; KB, MB, GB; K, M, G; as in 64MiB) for 'link-limit', found "
                      "'64 potatoes'");
  ck_error_at (6, 14, "expected at least 1 MiB (1048576 bytes) for 'lab-limit', found '512KiB' "
                      "(524288 bytes)");
  ck_error_at (7, 3, "unknown key 'ring-files' in 'capture'; expected one of: enabled, snaplen, "
                     "link-limit, lab-limit");
  ck_error_at (9, 3, "unknown key 'capture' in 'topology'; put it at the top level");
  ck_error_at (10, 23, "expected true or false for 'capture', found '0'");
  ck_error_at (12, 23, "expected true or false for 'capture', found a list");
  ck_error_at (15, 16, "expected true or false for 'capture', found 'nope'");
  /* Not an interface setting: an unknown key, like any other. */
  ck_error_at (17, 16, "unknown key 'capture' in nodes.h1.interfaces.eth1; expected one of: "
                       "ipv4, ipv6, mac, mtu, vlan, trunk");
  ck_error_at (21, 16, "expected true or false for 'capture', found '1'");
  ck_error_at (23, 15, "expected true or false for 'capture', found nothing");
  ck_error_at (25, 39, "unknown key 'capture' in an endpoint");
  ck_assert_msg (diags.n_errors == 13, "expected 13 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_capture_limit_errors)
{
  static const char *const bad[] = {
    "-1MiB", "1.5GiB", "MiB", "64TiB", "64 MiB ", "64  MiB", "0x100000", "99999999999999999999",
    "18446744073709551615GiB", "", "~", "{a: 1}", "[1MiB]", "1_048_576", "64Mi", "64MIB2",
    "1048576 ",
  };
  size_t i;

  /* Both given: lab-limit is checked against the link-limit written. */
  ck_fails ("name: c\n"
            "capture:\n"
            "  link-limit: 1GiB\n"
            "  lab-limit: 512MiB\n"
            "topology: {}\n");
  ck_error_at (4, 14, "expected 'lab-limit' to be at least 'link-limit' (1 GiB, at line 3, "
                      "column 15), found '512MiB' (512 MiB)");
  ck_assert_int_eq (diags.n_errors, 1);
  teardown ();
  setup ();
  /* One given: checked against the other's default. */
  ck_fails ("name: c\ncapture: {lab-limit: 10MB}\ntopology: {}\n");
  ck_error_at (2, 22, "expected 'lab-limit' to be at least 'link-limit' (64 MiB by default; set "
                      "a smaller 'link-limit'), found '10MB' (10000000 bytes)");
  teardown ();
  setup ();
  ck_fails ("name: c\ncapture: {link-limit: 2G}\ntopology: {}\n");
  ck_error_at (2, 23, "expected 'link-limit' to be at most 'lab-limit' (1 GiB by default; set a "
                      "larger 'lab-limit'), found '2G' (2 GiB)");
  teardown ();
  setup ();
  /* Too small, decimal: 1MB is less than 1 MiB. */
  ck_fails ("name: c\ncapture: {link-limit: 1MB}\ntopology: {}\n");
  ck_error_at (2, 23, "expected at least 1 MiB (1048576 bytes) for 'link-limit', found '1MB' "
                      "(1000000 bytes)");
  ck_assert_int_eq (diags.n_errors, 1);
  teardown ();
  setup ();
  ck_fails ("name: c\ncapture: {link-limit: 0}\ntopology: {}\n");
  ck_error_at (2, 23, "expected at least 1 MiB (1048576 bytes) for 'link-limit', found '0'");
  teardown ();
  setup ();
  ck_fails ("name: c\ncapture: {snaplen: 262145}\ntopology: {}\n");
  ck_error_at (2, 20, "expected an integer from 64 to 262144 for 'snaplen', found '262145'");
  teardown ();
  setup ();
  ck_fails ("name: c\ncapture: maybe\ntopology: {}\n");
  ck_error_at (2, 10, "expected true, false or a mapping of capture settings (enabled, snaplen, "
                      "link-limit, lab-limit) for 'capture', found 'maybe'");
  teardown ();
  setup ();
  ck_fails ("name: c\ncapture: [false]\ntopology: {}\n");
  ck_error_at (2, 10, "expected true, false or a mapping of capture settings");
  teardown ();
  setup ();

  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      /* Quoted when YAML would otherwise drop the spaces or the empty string. */
      bool quote = bad[i][0] == '\0' || strchr (bad[i], ' ');
      char *y = loom_xasprintf ("name: c\ncapture:\n  link-limit: %s%s%s\ntopology: {}\n",
                                quote ? "\"" : "", bad[i], quote ? "\"" : "");
      lab = loom_topology_load_buffer ("lab.yml", y, strlen (y), &diags);
      ck_assert_msg (lab == NULL && has_diag (LOOM_DIAG_ERROR, 3, 15, "expected a size"),
                     "link-limit '%s' should be refused at 3:15; got:\n%s", bad[i], dump ());
      free (y);
      teardown ();
      setup ();
    }
}
END_TEST

/* Never crash, whatever the input: every prefix of a real lab, mutations of it, and
 * random bytes. Either a lab comes back, or errors do. */

static unsigned long rng = 12345;

static unsigned
next_rand (void)
{
  rng = rng * 6364136223846793005ul + 1442695040888963407ul;
  return (unsigned) (rng >> 33);
}

static void
load_any (const char *data, size_t len)
{
  struct loom_diags d = { 0 };
  struct loom_lab *l = loom_topology_load_buffer ("fuzz.yml", data, len, &d);

  ck_assert_msg ((l != NULL) == (d.n_errors == 0), "a lab must come back exactly when there is "
                                                   "no error");
  loom_lab_free (l);
  loom_diags_clear (&d);
}

START_TEST (test_garbage)
{
  static const char pool[] = ":-[]{},&*!|>'\"\n #\t01a.?<";
  const char *files[] = { "quickstart.yaml", "srl-like.clab.yml" };
  size_t f, i, j;

  for (f = 0; f < 2; f++)
    {
      char *path = data_path (files[f]);
      char *data = NULL, *copy;
      size_t len = 0;
      loom_error_t err = NULL;

      ck_assert_int_eq (loom_read_file (path, &data, &len, &err), 0);
      for (i = 0; i <= len; i++)
        load_any (data, i);
      copy = loom_xmalloc (len);
      for (i = 0; i < 400; i++)
        {
          memcpy (copy, data, len);
          for (j = 0; j < 1 + next_rand () % 4; j++)
            copy[next_rand () % len]
                = next_rand () % 3 ? pool[next_rand () % (sizeof (pool) - 1)] : (char) next_rand ();
          load_any (copy, len);
        }
      free (copy);
      free (data);
      free (path);
    }
  for (i = 0; i < 300; i++)
    {
      char buf[256];
      size_t n = next_rand () % sizeof (buf);
      for (j = 0; j < n; j++)
        buf[j] = i % 2 ? (char) next_rand () : pool[next_rand () % (sizeof (pool) - 1)];
      load_any (buf, n);
    }
}
END_TEST

/* Routers with FRR: frr-config, ospf, bgp, rip */

static bool
strv_eq (char *const *v, size_t n, const char *const *want, size_t nwant)
{
  size_t i;

  if (n != nwant)
    return false;
  for (i = 0; i < n; i++)
    if (strcmp (v[i], want[i]) != 0)
      return false;
  return true;
}

#define ck_strv(v, n, ...)                                                                         \
  do                                                                                               \
    {                                                                                              \
      static const char *const _want[] = { __VA_ARGS__ };                                          \
      ck_assert_msg (strv_eq ((v), (n), _want, sizeof (_want) / sizeof (*_want)),                  \
                     "%s is not { %s }", #v, #__VA_ARGS__);                                        \
    }                                                                                              \
  while (0)

START_TEST (test_frr_ospf)
{
  static const char y[] = "name: o\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      ospf:\n"
                          "        area: 0.0.0.1\n"
                          "        interfaces: [eth1, eth2]\n"
                          "        passive: [eth2, lo]\n"
                          "        router-id: 1.1.1.1\n"
                          "    r2:\n"
                          "      kind: router\n"
                          "      ospf: {}\n"
                          "    r3:\n"
                          "      kind: router\n"
                          "      ospf:\n"
                          "    r4: {kind: router, ospf: {area: 007, passive: [eth1]}}\n"
                          "    h1: {}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n"
                          "    - endpoints: [r1:eth2, h1:eth1]\n"
                          "    - endpoints: [r1:eth3, r3:eth1]\n"
                          "    - endpoints: [r2:eth2, r4:eth1]\n";
  struct loom_frr *f;

  ck_loads (y);
  f = node ("r1")->frr;
  ck_assert_ptr_nonnull (f);
  ck_assert (f->ospf && !f->bgp && !f->rip);
  ck_assert_ptr_null (f->config);
  ck_assert_ptr_null (f->config_path);
  ck_assert_str_eq (f->ospf_area, "0.0.0.1");
  ck_assert_str_eq (f->ospf_router_id, "1.1.1.1");
  /* eth3 is on a link but not in the list; lo joins as a passive interface. */
  ck_strv (f->ospf_ifaces, f->n_ospf_ifaces, "eth1", "eth2", "lo");
  ck_strv (f->ospf_passive, f->n_ospf_passive, "eth2", "lo");
  ck_assert_int_eq (f->mark.line, 7);
  ck_assert_int_eq (f->mark.col, 9);

  /* Defaults: area 0, every interface on a link, none passive, no router-id. */
  f = node ("r2")->frr;
  ck_assert_ptr_nonnull (f);
  ck_assert (f->ospf);
  ck_assert_str_eq (f->ospf_area, "0");
  ck_assert_ptr_null (f->ospf_router_id);
  ck_strv (f->ospf_ifaces, f->n_ospf_ifaces, "eth1", "eth2");
  ck_assert_int_eq (f->n_ospf_passive, 0);
  f = node ("r3")->frr;
  ck_assert (f && f->ospf);
  ck_strv (f->ospf_ifaces, f->n_ospf_ifaces, "eth1");
  f = node ("r4")->frr;
  ck_assert_str_eq (f->ospf_area, "7");
  ck_strv (f->ospf_passive, f->n_ospf_passive, "eth1");
  ck_assert_ptr_null (node ("h1")->frr);
}
END_TEST

START_TEST (test_frr_bgp)
{
  static const char y[] = "name: b\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      bgp:\n"
                          "        asn: 4294967295\n"
                          "        router-id: 1.1.1.1\n"
                          "        neighbors:\n"
                          "          - {address: 10.0.0.2, remote-as: 65002}\n"
                          "          - address: 2001:db8::2\n"
                          "            remote-as: 1\n"
                          "        networks: [\"10.1.0.0/24\", \"2001:DB8:1::/48\"]\n"
                          "    r2:\n"
                          "      kind: router\n"
                          "      bgp: {asn: 65002}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n";
  struct loom_frr *f;

  ck_loads (y);
  f = node ("r1")->frr;
  ck_assert (f && f->bgp && !f->ospf && !f->rip);
  ck_assert_uint_eq (f->bgp_asn, 4294967295u);
  ck_assert_str_eq (f->bgp_router_id, "1.1.1.1");
  ck_assert_int_eq (f->n_bgp_neighbors, 2);
  ck_assert_int_eq (f->bgp_neighbors[0].address.family, AF_INET);
  ck_assert_str_eq (f->bgp_neighbors[0].address.text, "10.0.0.2");
  ck_assert_uint_eq (f->bgp_neighbors[0].remote_as, 65002);
  ck_assert_int_eq (f->bgp_neighbors[0].mark.line, 10);
  ck_assert_int_eq (f->bgp_neighbors[0].mark.col, 13);
  ck_assert_int_eq (f->bgp_neighbors[1].address.family, AF_INET6);
  ck_assert_str_eq (f->bgp_neighbors[1].address.text, "2001:db8::2");
  ck_assert_uint_eq (f->bgp_neighbors[1].remote_as, 1);
  ck_assert_int_eq (f->n_bgp_networks, 2);
  ck_assert_str_eq (f->bgp_networks[0].text, "10.1.0.0/24");
  ck_assert_str_eq (f->bgp_networks[1].text, "2001:db8:1::/48");
  ck_assert_int_eq (f->bgp_networks[1].mark.col, 35);
  ck_assert (lab->uses_ipv6);
  f = node ("r2")->frr;
  ck_assert (f && f->bgp);
  ck_assert_uint_eq (f->bgp_asn, 65002);
  ck_assert_ptr_null (f->bgp_router_id);
  ck_assert_int_eq (f->n_bgp_neighbors, 0);
  ck_assert_int_eq (f->n_bgp_networks, 0);
}
END_TEST

START_TEST (test_frr_rip)
{
  static const char y[] = "name: r\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      rip: {networks: [10.0.0.0/8, eth1, lo, 192.168.1.0/24]}\n"
                          "    r2: {kind: router, rip: {}}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n";
  struct loom_frr *f;

  ck_loads (y);
  f = node ("r1")->frr;
  ck_assert (f && f->rip && !f->ospf && !f->bgp);
  ck_strv (f->rip_networks, f->n_rip_networks, "10.0.0.0/8", "eth1", "lo", "192.168.1.0/24");
  f = node ("r2")->frr;
  ck_assert (f && f->rip);
  ck_assert_int_eq (f->n_rip_networks, 0);
  ck_assert (!lab->uses_ipv6);
}
END_TEST

START_TEST (test_frr_all_three)
{
  static const char y[] = "name: a\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      rip: {networks: [eth1]}\n"
                          "      bgp: {asn: 65001}\n"
                          "      ospf: {passive: [lo]}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r1:eth2]\n";
  struct loom_frr *f;

  ck_loads (y);
  f = node ("r1")->frr;
  ck_assert (f && f->ospf && f->bgp && f->rip);
  ck_strv (f->ospf_ifaces, f->n_ospf_ifaces, "eth1", "eth2", "lo");
  ck_strv (f->ospf_passive, f->n_ospf_passive, "lo");
  /* The mark is the first of the three as written. */
  ck_assert_int_eq (f->mark.line, 6);
}
END_TEST

START_TEST (test_frr_inheritance)
{
  static const char y[] = "name: inh\n"
                          "topology:\n"
                          "  defaults:\n"
                          "    bgp: {asn: 65000, networks: [10.0.0.0/8]}\n"
                          "  kinds:\n"
                          "    router:\n"
                          "      ospf: {area: 0, passive: [lo]}\n"
                          "  groups:\n"
                          "    edge:\n"
                          "      kind: router\n"
                          "      ospf: {area: 1}\n"
                          "      bgp: {neighbors: [{address: 10.0.0.2, remote-as: 65002}]}\n"
                          "    hosts:\n"
                          "      rip: {networks: [eth1]}\n"
                          "    cfg: {frr-config: \"!\\n\"}\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      ospf: {router-id: 1.1.1.1}\n"
                          "    r2: {kind: router}\n"
                          "    r3: {group: edge, bgp: {asn: 65003}}\n"
                          "    r4:\n"
                          "      kind: router\n"
                          "      frr-config: |\n"
                          "        hostname r4\n"
                          "    h1: {group: hosts}\n"
                          "    h2: {group: cfg}\n"
                          "    sw: {kind: switch}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n"
                          "    - endpoints: [r3:eth1, r4:eth1]\n"
                          "    - endpoints: [h1:eth1, sw:p1]\n";
  struct loom_frr *f;

  ck_loads (y);
  /* Each field from the most specific level: router-id from the node, area and passive
   * from kinds.router; BGP from defaults. */
  f = node ("r1")->frr;
  ck_assert (f && f->ospf && f->bgp && !f->rip);
  ck_assert_str_eq (f->ospf_router_id, "1.1.1.1");
  ck_assert_str_eq (f->ospf_area, "0");
  ck_strv (f->ospf_ifaces, f->n_ospf_ifaces, "eth1", "lo");
  ck_strv (f->ospf_passive, f->n_ospf_passive, "lo");
  ck_assert_uint_eq (f->bgp_asn, 65000);
  ck_assert_int_eq (f->n_bgp_networks, 1);
  ck_assert_int_eq (f->mark.line, 19);
  /* kinds.router applies to every router. */
  f = node ("r2")->frr;
  ck_assert (f && f->ospf);
  ck_assert_str_eq (f->ospf_area, "0");
  ck_assert_ptr_null (f->ospf_router_id);
  /* Group over kind over defaults, field by field. */
  f = node ("r3")->frr;
  ck_assert (f && f->ospf && f->bgp);
  ck_assert_str_eq (f->ospf_area, "1");
  ck_strv (f->ospf_passive, f->n_ospf_passive, "lo");
  ck_assert_uint_eq (f->bgp_asn, 65003);
  ck_assert_int_eq (f->n_bgp_neighbors, 1);
  ck_assert_str_eq (f->bgp_networks[0].text, "10.0.0.0/8");
  /* frr-config on the node replaces the inherited structured forms. */
  f = node ("r4")->frr;
  ck_assert (f && !f->ospf && !f->bgp && !f->rip);
  ck_assert_str_eq (f->config, "hostname r4\n");
  ck_assert_ptr_null (f->config_path);
  ck_assert_int_eq (f->mark.line, 24);
  ck_assert_int_eq (f->mark.col, 19);
  ck_assert_ptr_null (node ("h2")->frr);
  /* From defaults and groups, FRR settings are skipped on other kinds, silently. */
  ck_assert_ptr_null (node ("h1")->frr);
  ck_assert_ptr_null (node ("sw")->frr);
  ck_assert_int_eq (diags.n, 0);
}
END_TEST

START_TEST (test_frr_config_over_inherited)
{
  /* The most specific of frr-config and the structured forms wins: a structured form on
   * the node replaces an frr-config from its kind. */
  static const char y[] = "name: c\n"
                          "topology:\n"
                          "  kinds:\n"
                          "    router: {frr-config: \"hostname x\\n\", ospf: {area: 2}}\n"
                          "  nodes:\n"
                          "    r1: {kind: router, bgp: {asn: 1}}\n";

  ck_fails (y);
  ck_error_at (4, 42,
               "'frr-config' and 'ospf' are both set in kinds.router: use frr-config or "
               "ospf/bgp/rip, not both");
  ck_assert_int_eq (diags.n_errors, 1);
  loom_diags_clear (&diags);

  ck_loads ("name: c\n"
            "topology:\n"
            "  kinds:\n"
            "    router: {frr-config: \"hostname x\\n\"}\n"
            "  nodes:\n"
            "    r1: {kind: router, bgp: {asn: 1}}\n"
            "    r2: {kind: router}\n");
  ck_assert (node ("r1")->frr->bgp);
  ck_assert_ptr_null (node ("r1")->frr->config);
  ck_assert_str_eq (node ("r2")->frr->config, "hostname x\n");
}
END_TEST

START_TEST (test_frr_config_file)
{
  char *path = data_path ("frr-lab.yaml");
  char *conf = data_path ("frr-r1.conf");
  static const char r2_head[] = "frr version 8.4\nfrr defaults traditional\nhostname r2\n";
  char *dir = loom_xstrdup (path), *real, *want_path, *want = NULL;
  struct loom_frr *f;
  size_t len;
  loom_error_t err = NULL;

  *strrchr (dir, '/') = '\0';
  real = realpath (dir, NULL);
  want_path = loom_xasprintf ("%s/frr-r1.conf", real);
  ck_assert_int_eq (loom_read_file (conf, &want, &len, &err), 0);
  lab = loom_topology_load (path, &diags);
  ck_assert_msg (lab != NULL && diags.n == 0, "frr-lab.yaml should load cleanly; got:\n%s",
                 dump ());
  f = node ("r1")->frr;
  ck_assert_ptr_nonnull (f);
  ck_assert (!f->ospf && !f->bgp && !f->rip);
  ck_assert_str_eq (f->config, want);
  ck_assert_str_eq (f->config_path, want_path);
  ck_assert_int_eq (f->mark.line, 7);
  ck_assert_int_eq (f->mark.col, 19);
  f = node ("r2")->frr;
  ck_assert_ptr_nonnull (f);
  ck_assert_ptr_null (f->config_path);
  ck_assert_msg (strncmp (f->config, r2_head, strlen (r2_head)) == 0, "r2's config: %s", f->config);
  ck_assert_int_eq (f->config[strlen (f->config) - 1], '\n');
  free (want);
  free (want_path);
  free (real);
  free (dir);
  free (conf);
  free (path);
}
END_TEST

START_TEST (test_frr_config_file_missing)
{
  char *cwd = getcwd (NULL, 0);
  char *want = loom_xasprintf ("cannot read frr-config file '%s/no-such.conf': No such file or "
                               "directory",
                               cwd);

  ck_fails ("name: m\n"
            "topology:\n"
            "  nodes:\n"
            "    r1: {kind: router, frr-config: no-such.conf}\n"
            "    r2: {kind: router, frr-config: /no/such/frr.conf}\n"
            "    r3: {kind: router, frr-config: ''}\n"
            "    r4: {kind: router, frr-config: [a]}\n");
  ck_error_at (4, 36, want);
  ck_error_at (5, 36,
               "cannot read frr-config file '/no/such/frr.conf': No such file or "
               "directory");
  ck_error_at (6, 36, "expected the path of an frr.conf, or the configuration itself");
  ck_error_at (7, 36, "expected a string for 'frr-config', found a list");
  ck_assert_int_eq (diags.n_errors, 4);
  free (want);
  free (cwd);
}
END_TEST

START_TEST (test_frr_kind_errors)
{
  static const char y[] = "name: k\n"
                          "topology:\n"
                          "  kinds:\n"
                          "    host: {ospf: {area: 0}}\n"
                          "    switch: {frr-config: \"!\\n\"}\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      ospf: {}\n"
                          "      bgp: {asn: 1}\n"
                          "    sw: {kind: switch, rip: {networks: [p1]}}\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      frr-config: |\n"
                          "        hostname r1\n"
                          "      bgp: {asn: 65001}\n"
                          "    r2:\n"
                          "      kind: router\n"
                          "      rip: {}\n"
                          "      frr-config: r2.conf\n";

  ck_fails (y);
  ck_error_at (4, 18, "'ospf' is only for router nodes (FRR runs on routers); this is kinds.host");
  ck_error_at (5, 26,
               "'frr-config' is only for router nodes (FRR runs on routers); this is "
               "kinds.switch");
  ck_error_at (8, 13, "'ospf' is only for router nodes (FRR runs on routers); h1 is a host");
  ck_error_at (9, 12, "'bgp' is only for router nodes (FRR runs on routers); h1 is a host");
  ck_error_at (10, 29, "'rip' is only for router nodes (FRR runs on routers); sw is a switch");
  ck_error_at (15, 7,
               "'frr-config' and 'bgp' are both set in nodes.r1: use frr-config or "
               "ospf/bgp/rip, not both");
  ck_error_at (19, 7,
               "'frr-config' and 'rip' are both set in nodes.r2: use frr-config or "
               "ospf/bgp/rip, not both");
  /* r2.conf does not exist either. */
  ck_error_at (19, 19, "cannot read frr-config file");
  ck_assert_msg (diags.n_errors == 8, "expected 8 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_frr_ospf_errors)
{
  static const char y[] = "name: oe\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      ospf:\n"
                          "        area: 1.5\n"
                          "        router-id: 0.0.0.0\n"
                          "        passive: [eth1, eth1, \"eth/1\"]\n"
                          "        cost: 10\n"
                          "    r2:\n"
                          "      kind: router\n"
                          "      ospf: {passive: [eth2, eth9], area: -1, router-id: 2001:db8::1}\n"
                          "    r3:\n"
                          "      kind: router\n"
                          "      ospf: [eth1]\n"
                          "    r4:\n"
                          "      kind: router\n"
                          "      ospf: {area: 4294967296, interfaces: eth1}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n"
                          "    - endpoints: [r1:eth2, r2:eth3]\n";

  ck_fails (y);
  ck_error_at (7, 15,
               "expected an OSPF area (an integer from 0 to 4294967295 or a dotted quad "
               "like 0.0.0.1) for 'area', found '1.5'");
  ck_error_at (8, 20,
               "expected an IPv4 address like 1.1.1.1 (not 0.0.0.0) for 'router-id', "
               "found '0.0.0.0'");
  ck_error_at (9, 25, "interface 'eth1' is listed twice in 'passive' (first at line 9)");
  ck_error_at (9, 31, "invalid interface name 'eth/1' in 'passive'");
  ck_error_at (10, 9,
               "unknown key 'cost' in nodes.r1.ospf; expected one of: area, router-id, "
               "interfaces, passive");
  /* Still checked against the node's interfaces, though other settings are wrong. */
  ck_error_at (13, 24,
               "ospf passive interface 'eth2': r2 has no interface 'eth2' (interfaces: "
               "eth1, eth3, lo)");
  ck_error_at (13, 30, "ospf passive interface 'eth9': r2 has no interface 'eth9'");
  ck_error_at (13, 43, "expected an OSPF area");
  ck_error_at (13, 58, "expected an IPv4 address like 1.1.1.1");
  ck_error_at (16, 13,
               "expected a mapping of OSPF settings (area, router-id, interfaces, "
               "passive) for 'ospf', found a list");
  ck_error_at (19, 20, "found '4294967296'");
  ck_error_at (19, 44, "expected a list of strings for 'interfaces', found 'eth1'");
  ck_assert_msg (diags.n_errors == 12, "expected 12 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_frr_ospf_iface_errors)
{
  static const char y[] = "name: oi\n"
                          "topology:\n"
                          "  kinds:\n"
                          "    router: {ospf: {interfaces: [eth1, eth2]}}\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "    r2:\n"
                          "      kind: router\n"
                          "      ospf:\n"
                          "        interfaces: [eth1, eth3]\n"
                          "        passive: [eth2, eth9, lo]\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n"
                          "    - endpoints: [r2:eth2, r2:eth4]\n";

  ck_fails (y);
  /* Inherited from kinds.router: reported where it is written, once per node. */
  ck_error_at (4, 40, "ospf interface 'eth2': r1 has no interface 'eth2' (interfaces: eth1, lo)");
  ck_error_at (11, 28,
               "ospf interface 'eth3': r2 has no interface 'eth3' (interfaces: eth1, "
               "eth2, eth4, lo)");
  ck_error_at (12, 19,
               "ospf passive interface 'eth2' of r2 is not one of its OSPF interfaces "
               "(eth1); add it to ospf 'interfaces'");
  ck_error_at (12, 25, "ospf passive interface 'eth9': r2 has no interface 'eth9'");
  ck_assert_msg (diags.n_errors == 4, "expected 4 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_frr_bgp_errors)
{
  static const char y[] = "name: be\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      bgp:\n"
                          "        asn: 0\n"
                          "        router-id: 1.1.1\n"
                          "        neighbors:\n"
                          "          - {address: 10.0.0.2/30, remote-as: 65002}\n"
                          "          - {address: 10.0.0.300, remote-as: 4294967296}\n"
                          "          - {address: 10.0.0.3}\n"
                          "          - 10.0.0.4\n"
                          "          - {address: 10.0.0.5, remote-as: 1, port: 179}\n"
                          "          - {address: 10.0.0.6, remote-as: 1}\n"
                          "          - {address: 10.0.0.6, remote-as: 2}\n"
                          "        networks: [10.1.0.1/24, 10.2.0.0, 10.3.0.0/24, 10.3.0.0/24]\n"
                          "        med: 5\n"
                          "    r2: {kind: router, bgp: {router-id: 2.2.2.2}}\n"
                          "    r3: {kind: router, bgp: {asn: 65003, neighbors: 10.0.0.1}}\n"
                          "    r4: {kind: router, bgp: 65004}\n"
                          "    r5: {kind: router, bgp: {asn: 65.5}}\n";

  ck_fails (y);
  ck_error_at (7, 14,
               "expected an AS number (an integer from 1 to 4294967295) for 'asn', found "
               "'0'");
  ck_error_at (8, 20,
               "expected an IPv4 address like 1.1.1.1 (not 0.0.0.0) for 'router-id', "
               "found '1.1.1'");
  ck_error_at (10, 23,
               "invalid neighbor address '10.0.0.2/30': expected an address without a "
               "prefix length");
  ck_error_at (11, 23, "invalid neighbor address '10.0.0.300': expected an IP address");
  ck_error_at (11, 46,
               "expected an AS number (an integer from 1 to 4294967295) for "
               "'remote-as', found '4294967296'");
  ck_error_at (12, 13, "expected 'address' and 'remote-as' in the neighbor");
  ck_error_at (13, 13, "expected a neighbor: a mapping with 'address' and 'remote-as'");
  ck_error_at (14, 47,
               "unknown key 'port' in a BGP neighbor; expected one of: address, "
               "remote-as");
  ck_error_at (16, 23, "neighbor 10.0.0.6 is listed twice (first at line 15)");
  ck_error_at (17, 20,
               "invalid prefix '10.1.0.1/24' in 'networks': expected a network address: "
               "the bits after the prefix length must be zero");
  ck_error_at (17, 33,
               "invalid prefix '10.2.0.0' in 'networks': expected a prefix length after "
               "the address");
  ck_error_at (17, 56, "prefix 10.3.0.0/24 is listed twice in 'networks' (first at line 17)");
  ck_error_at (18, 9,
               "unknown key 'med' in nodes.r1.bgp; expected one of: asn, router-id, "
               "neighbors, networks");
  ck_error_at (19, 29, "'bgp' of r2 has no 'asn'; expected the router's AS number");
  ck_error_at (20, 53,
               "expected a list of neighbors (mappings with 'address' and 'remote-as') "
               "for 'neighbors', found '10.0.0.1'");
  ck_error_at (21, 29,
               "expected a mapping of BGP settings (asn, router-id, neighbors, networks) "
               "for 'bgp', found '65004'");
  ck_error_at (22, 35,
               "expected an AS number (an integer from 1 to 4294967295) for 'asn', found "
               "'65.5'");
  ck_assert_msg (diags.n_errors == 17, "expected 17 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_frr_rip_errors)
{
  static const char y[] = "name: re\n"
                          "topology:\n"
                          "  nodes:\n"
                          "    r1:\n"
                          "      kind: router\n"
                          "      rip:\n"
                          "        networks:\n"
                          "          - \"2001:db8::/32\"\n"
                          "          - 10.0.0.0\n"
                          "          - 10.0.0.1/8\n"
                          "          - 10.0.0.0/40\n"
                          "          - eth9\n"
                          "          - \"eth 1\"\n"
                          "          - eth1\n"
                          "          - eth1\n"
                          "        version: 2\n"
                          "    r2: {kind: router, rip: [10.0.0.0/8]}\n"
                          "  links:\n"
                          "    - endpoints: [r1:eth1, r2:eth1]\n";

  ck_fails (y);
  ck_error_at (8, 13, "'2001:db8::/32' is an IPv6 prefix; RIP (version 2) is IPv4 only");
  ck_error_at (9, 13, "invalid prefix '10.0.0.0' in 'networks': expected a prefix length");
  ck_error_at (10, 13, "invalid prefix '10.0.0.1/8' in 'networks': expected a network address");
  ck_error_at (11, 13,
               "invalid prefix '10.0.0.0/40' in 'networks': expected a prefix length "
               "from 0 to 32 after '/'");
  ck_error_at (12, 13, "rip network 'eth9': r1 has no interface 'eth9' (interfaces: eth1, lo)");
  ck_error_at (13, 13,
               "expected an IPv4 prefix like 10.0.0.0/8 or an interface name in "
               "'networks', found 'eth 1'");
  ck_error_at (15, 13, "'eth1' is listed twice in 'networks' (first at line 14)");
  ck_error_at (16, 9, "unknown key 'version' in nodes.r1.rip; expected one of: networks");
  ck_error_at (17, 29, "expected a mapping of RIP settings");
  ck_assert_msg (diags.n_errors == 9, "expected 9 errors; got:\n%s", dump ());
}
END_TEST

/* Link impairments */

#define MS 1000000ULL

START_TEST (test_impair_brief)
{
  static const char y[] = "name: i\n"
                          "topology:\n"
                          "  nodes: {a: {}, b: {}, c: {}}\n"
                          "  links:\n"
                          "    - endpoints: [\"a:eth1\", \"b:eth1\"]\n"
                          "      impair: {delay: 50ms, loss: 1%}\n"
                          "    - endpoints: [a:eth2, c:eth1]\n"
                          "      impair:\n"
                          "        delay: 1.5s\n"
                          "        jitter: 200us\n"
                          "        duplicate: 0.5%\n"
                          "        corrupt: 0.1%\n"
                          "        reorder: 25%\n"
                          "        rate: 10mbit\n"
                          "    - endpoints: [b:eth2, c:eth2]\n"
                          "    - endpoints: [b:eth3, c:eth3]\n"
                          "      impair: {}\n";
  struct loom_iface *a1, *b1, *a2, *c1;

  ck_loads (y);
  /* The link's impairment is both ends': each direction gets it. */
  a1 = iface ("a", "eth1");
  b1 = iface ("b", "eth1");
  ck_assert_uint_eq (a1->impair.delay_ns, 50 * MS);
  ck_assert_uint_eq (a1->impair.loss, 10000);
  ck_assert_uint_eq (b1->impair.delay_ns, 50 * MS);
  ck_assert_uint_eq (b1->impair.loss, 10000);
  ck_assert_uint_eq (b1->impair.jitter_ns, 0);
  ck_assert_uint_eq (b1->impair.rate_bps, 0);
  a2 = iface ("a", "eth2");
  c1 = iface ("c", "eth1");
  ck_assert_uint_eq (a2->impair.delay_ns, 1500 * MS);
  ck_assert_uint_eq (a2->impair.jitter_ns, 200000);
  ck_assert_uint_eq (a2->impair.duplicate, 5000);
  ck_assert_uint_eq (a2->impair.corrupt, 1000);
  ck_assert_uint_eq (a2->impair.reorder, 250000);
  ck_assert_uint_eq (a2->impair.rate_bps, 10000000);
  ck_assert_uint_eq (a2->impair.loss, 0);
  ck_assert_mem_eq (&a2->impair, &c1->impair, sizeof (a2->impair));
  /* Without `impair` (or with an empty one) a link is a plain wire. */
  ck_assert (loom_impair_is_none (&iface ("b", "eth2")->impair));
  ck_assert (loom_impair_is_none (&iface ("c", "eth2")->impair));
  ck_assert (loom_impair_is_none (&iface ("b", "eth3")->impair));
  ck_assert (loom_impair_is_none (&iface ("c", "eth3")->impair));
}
END_TEST

START_TEST (test_impair_extended)
{
  static const char y[] = "name: i\n"
                          "topology:\n"
                          "  nodes: {a: {}, b: {}, sw: {kind: switch}}\n"
                          "  links:\n"
                          "    - type: veth\n"
                          "      impair: {delay: 50ms, jitter: 5ms, loss: 2%}\n"
                          "      endpoints:\n"
                          "        - node: a\n"
                          "          interface: eth1\n"
                          "          impair: {delay: 20ms, duplicate: 1%}\n"
                          "        - {node: b, interface: eth1, impair: {loss: 0}}\n"
                          "    - endpoints:\n"
                          "        - {node: a, interface: eth2, impair: {rate: 1gbit}}\n"
                          "        - sw:p1\n";
  struct loom_iface *a1, *b1, *a2, *p1;

  ck_loads (y);
  /* Key by key: the endpoint's delay wins, the link's jitter and loss stay, and the
   * endpoint adds duplicate. */
  a1 = iface ("a", "eth1");
  ck_assert_uint_eq (a1->impair.delay_ns, 20 * MS);
  ck_assert_uint_eq (a1->impair.jitter_ns, 5 * MS);
  ck_assert_uint_eq (a1->impair.loss, 20000);
  ck_assert_uint_eq (a1->impair.duplicate, 10000);
  /* The other direction: the link's, but no loss (turned off for this end). */
  b1 = iface ("b", "eth1");
  ck_assert_uint_eq (b1->impair.delay_ns, 50 * MS);
  ck_assert_uint_eq (b1->impair.jitter_ns, 5 * MS);
  ck_assert_uint_eq (b1->impair.loss, 0);
  ck_assert_uint_eq (b1->impair.duplicate, 0);
  /* An endpoint's impairment is its own egress only; the mixed forms work. */
  a2 = iface ("a", "eth2");
  p1 = iface ("sw", "p1");
  ck_assert_uint_eq (a2->impair.rate_bps, 1000000000);
  ck_assert (loom_impair_is_none (&p1->impair));
}
END_TEST

START_TEST (test_impair_interfaces)
{
  static const char y[] = "name: i\n"
                          "topology:\n"
                          "  defaults:\n"
                          "    interfaces:\n"
                          "      eth1: {impair: {loss: 0.5}}\n"
                          "      eth7: {impair: {loss: 3%}}\n"
                          "  groups:\n"
                          "    slow:\n"
                          "      interfaces:\n"
                          "        eth1: {impair: {rate: 500kbit, delay: 5ms}}\n"
                          "  nodes:\n"
                          "    h1:\n"
                          "      group: slow\n"
                          "      interfaces:\n"
                          "        eth1: {ipv4: 10.0.0.1/24, impair: {delay: 30}}\n"
                          "    h2:\n"
                          "      interfaces:\n"
                          "        eth1:\n"
                          "          impair:\n"
                          "            <<: {reorder: 10%, corrupt: 1%}\n"
                          "            corrupt: 2%\n"
                          "    sw: {kind: switch}\n"
                          "    h3: {interfaces: {eth1: {impair: {delay: 0}}}}\n"
                          "  links:\n"
                          "    - endpoints: [h1:eth1, h2:eth1]\n"
                          "      impair: {delay: 100ms, duplicate: 1%}\n"
                          "    - endpoints: [h3:eth1, sw:p1]\n"
                          "      impair: {delay: 100ms}\n";
  struct loom_iface *h1, *h2;

  ck_loads (y);
  /* The node's delay (a bare number: ms) over its group's and the link's; the group's
   * rate; the defaults' loss (a bare number: percent); the link's duplicate. */
  h1 = iface ("h1", "eth1");
  ck_assert_uint_eq (h1->impair.delay_ns, 30 * MS);
  ck_assert_uint_eq (h1->impair.rate_bps, 500000);
  ck_assert_uint_eq (h1->impair.loss, 5000);
  ck_assert_uint_eq (h1->impair.duplicate, 10000);
  ck_assert_int_eq (h1->n_addrs, 1);
  /* The other end keeps the link's delay; a merge key and the key next to it. */
  h2 = iface ("h2", "eth1");
  ck_assert_uint_eq (h2->impair.delay_ns, 100 * MS);
  ck_assert_uint_eq (h2->impair.duplicate, 10000);
  ck_assert_uint_eq (h2->impair.reorder, 100000);
  ck_assert_uint_eq (h2->impair.corrupt, 20000);
  ck_assert_uint_eq (h2->impair.loss, 5000);
  ck_assert_uint_eq (h2->impair.rate_bps, 0);
  /* delay: 0 on the interface takes the link's delay off that end. */
  ck_assert_uint_eq (iface ("h3", "eth1")->impair.delay_ns, 0);
  ck_assert_uint_eq (iface ("h3", "eth1")->impair.loss, 5000);
  ck_assert_uint_eq (iface ("sw", "p1")->impair.delay_ns, 100 * MS);
  /* defaults' eth1 entry is not for sw's p1. */
  ck_assert_uint_eq (iface ("sw", "p1")->impair.loss, 0);
}
END_TEST

START_TEST (test_impair_errors)
{
  static const char y[] =
    "name: i\n"                                                                  /* 1 */
    "topology:\n"                                                                /* 2 */
    "  nodes:\n"                                                                 /* 3 */
    "    h1:\n"                                                                  /* 4 */
    "      interfaces:\n"                                                        /* 5 */
    "        eth1: {impair: {delay: 5x}}\n"                                      /* 6 */
    "        eth2: {impair: {dealy: 10ms}}\n"                                    /* 7 */
    "        eth3: {impair: {delay: 10ms}}\n"                                    /* 8 */
    "        lo: {impair: {delay: 1ms}}\n"                                       /* 9 */
    "        eth9: {impair: {loss: 1%}}\n"                                       /* 10 */
    "        eth10: {impair: [delay=50ms]}\n"                                    /* 11 */
    "    h2: {}\n"                                                               /* 12 */
    "  links:\n"                                                                 /* 13 */
    "    - endpoints: [h1:eth1, h2:eth1]\n"                                      /* 14 */
    "    - endpoints: [h1:eth2, h2:eth2]\n"                                      /* 15 */
    "    - endpoints:\n"                                                         /* 16 */
    "        - {node: h1, interface: eth3, impair: {delay: 20ms}}\n"             /* 17 */
    "        - {node: h2, interface: eth3, impair: {jitter: 5ms}}\n"             /* 18 */
    "    - endpoints: [h1:eth4, h2:eth4]\n"                                      /* 19 */
    "      impair: {jitter: 2ms, loss: 1%}\n"                                    /* 20 */
    "    - endpoints: [h1:eth5, h2:eth5]\n"                                      /* 21 */
    "      impair: 50ms\n"                                                       /* 22 */
    "    - endpoints: [h1:eth6, h2:eth6]\n"                                      /* 23 */
    "      delay: 50ms\n"                                                        /* 24 */
    "    - endpoints: [h1:eth7, h2:eth7]\n"                                      /* 25 */
    "      impair: {rate: 10, loss: 150%, duplicate: [1], corrupt: ~}\n"         /* 26 */
    "    - endpoints:\n"                                                         /* 27 */
    "        - {node: h1, interface: eth8, impair: {los: 1%, delay: 61s}}\n"     /* 28 */
    "        - {node: h2, interface: eth8, loss: 1%}\n"                          /* 29 */
    "    - endpoints: [h1:eth10, h2:eth10]\n"                                    /* 30 */
    "      impair: {delay: 10ms, jitter: 1ms}\n"                                 /* 31 */
    "    - endpoints:\n"                                                         /* 32 */
    "        - {node: h1, interface: eth11, impair: {delay: 0}}\n"               /* 33 */
    "        - h2:eth11\n"                                                       /* 34 */
    "      impair: {delay: 10ms, jitter: 1ms}\n";                                /* 35 */

  ck_fails (y);
  ck_error_at (6, 32, "bad value '5x' for delay: expected a duration like 50ms, 1.5s or 200us "
                      "(at most 60s)");
  ck_error_at (7, 25, "unknown key 'dealy' in nodes.h1.interfaces.eth2.impair (did you mean "
                      "'delay'?); expected one of: delay, jitter, loss, duplicate, corrupt, "
                      "reorder, rate");
  ck_error_at (8, 32, "impairment 'delay' of h1:eth3 is also set in the link at line 17, column "
                      "55; set it in one place");
  ck_error_at (9, 22, "'impair' is not allowed on 'lo': impairments act on the frames an end of "
                      "a link sends, and the loopback is on no link");
  ck_error_at (10, 9, "interface 'eth9' of node 'h1' is on no link");
  ck_error_at (11, 25, "expected a mapping of impairments (delay, jitter, loss, duplicate, "
                       "corrupt, reorder, rate) for 'impair', found a list");
  ck_error_at (18, 48, "jitter needs a delay: h2:eth3 has jitter but no delay");
  /* The link's own jitter, for both ends: one mistake, one error. */
  ck_error_at (20, 16, "jitter needs a delay: h1:eth4 and h2:eth4 have jitter but no delay");
  ck_error_at (22, 15, "expected a mapping of impairments");
  ck_error_at (24, 7, "unknown key 'delay' in a link; expected one of: endpoints, type, ipv4, "
                      "ipv6, mtu, capture, impair; impairments go under 'impair', as in impair: "
                      "{delay: 50ms, loss: 1%}");
  ck_error_at (26, 22, "bad value '10' for rate: expected a rate like 10mbit, 1gbit or 500kbit");
  ck_error_at (26, 32, "bad value '150%' for loss: expected a percentage like 1% or 0.5%");
  ck_error_at (26, 49, "expected a percentage like 1% or 0.5% for 'duplicate', found a list");
  ck_error_at (26, 63, "expected a percentage like 1% or 0.5% for 'corrupt', found nothing");
  ck_error_at (28, 48, "unknown key 'los' in an endpoint's 'impair' (did you mean 'loss'?)");
  ck_error_at (28, 64, "bad value '61s' for delay: expected a duration like 50ms, 1.5s or 200us "
                       "(at most 60s)");
  ck_error_at (29, 39, "unknown key 'loss' in an endpoint; expected one of: node, interface, mac, "
                       "ipv4, ipv6, vlan, trunk, impair; impairments go under 'impair'");
  /* The endpoint's delay: 0 leaves h1's end with the link's jitter and no delay. */
  ck_error_at (35, 29, "jitter needs a delay: h1:eth11 has jitter but no delay");
  ck_assert_msg (diags.n_errors == 18, "expected 18 errors; got:\n%s", dump ());
}
END_TEST

/* Containers, VMs, nat nodes and published ports */

/* A scratch directory for labs whose settings name files: the lab file is written into
 * it and loaded from there, so relative paths resolve against it. */
static char *scratch;

static void
scratch_setup (void)
{
  char tmpl[] = "/tmp/nlm-test-parser-XXXXXX";

  setup ();
  ck_assert_ptr_nonnull (mkdtemp (tmpl));
  scratch = realpath (tmpl, NULL);
  ck_assert_ptr_nonnull (scratch);
}

static void
scratch_teardown (void)
{
  loom_error_t err = NULL;

  teardown ();
  if (scratch && loom_rm_rf (scratch, &err) < 0)
    loom_error_release (&err);
  free (scratch);
  scratch = NULL;
}

/* Writes @data to @name in the scratch directory (creating directories on the way). */
static void
put_file (const char *name, const char *data)
{
  loom_autofree char *path = loom_xasprintf ("%s/%s", scratch, name);
  loom_autofree char *dir = loom_xstrdup (path);
  loom_error_t err = NULL;

  *strrchr (dir, '/') = '\0';
  ck_assert_int_eq (loom_mkdir_p (dir, 0755, &err), 0);
  ck_assert_int_eq (loom_write_file (path, data, strlen (data), &err), 0);
}

static void
put_dir (const char *name)
{
  loom_autofree char *path = loom_xasprintf ("%s/%s", scratch, name);
  loom_error_t err = NULL;

  ck_assert_int_eq (loom_mkdir_p (path, 0755, &err), 0);
}

/* The scratch path of @name (owned by the caller). */
static char *
sp (const char *name)
{
  return loom_xasprintf ("%s/%s", scratch, name);
}

static struct loom_lab *
load_scratch (const char *yaml)
{
  loom_autofree char *path = sp ("lab.yml");

  put_file ("lab.yml", yaml);
  lab = loom_topology_load (path, &diags);
  return lab;
}

#define ck_loads_scratch(yaml)                                                                     \
  ck_assert_msg (load_scratch (yaml) != NULL && diags.n_errors == 0,                               \
                 "the lab should load; got:\n%s", dump ())
#define ck_fails_scratch(yaml)                                                                     \
  ck_assert_msg (load_scratch (yaml) == NULL && diags.n_errors > 0,                                \
                 "the lab should fail; got:\n%s", dump ())

#define ck_str_scratch(got, name)                                                                  \
  do                                                                                               \
    {                                                                                              \
      char *_want = sp (name);                                                                     \
      ck_assert_str_eq (got, _want);                                                               \
      free (_want);                                                                                \
    }                                                                                              \
  while (0)

static void
ck_argv (char **argv, size_t argc, size_t n, ...)
{
  va_list ap;
  size_t i;

  ck_assert_int_eq (argc, n);
  va_start (ap, n);
  for (i = 0; i < n; i++)
    ck_assert_str_eq (argv[i], va_arg (ap, const char *));
  va_end (ap);
}

START_TEST (test_argv_split)
{
  char **v = NULL;
  size_t n = 0, i;
  const char *why = NULL;
  static const struct
  {
    const char *text;
    size_t n;
    const char *words[4];
  } ok[] = {
    { "sleep infinity", 2, { "sleep", "infinity" } },
    { "  sh  -c\t'echo $HOME; exit 1'  ", 3, { "sh", "-c", "echo $HOME; exit 1" } },
    { "echo \"a \\\"b\\\" \\$x \\n\"", 2, { "echo", "a \"b\" $x \\n" } },
    { "a\\ b c\\'d", 2, { "a b", "c'd" } },
    { "x'y'\"z\" '' \"\"", 3, { "xyz", "", "" } },
    { "", 0, { NULL } },
    { "a \\\nb", 2, { "a", "b" } },
  };

  for (i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    {
      size_t j;
      ck_assert_msg (loom_argv_split (ok[i].text, &v, &n, &why) == 0, "%s: %s", ok[i].text, why);
      ck_assert_msg (n == ok[i].n, "%s: %zu words", ok[i].text, n);
      for (j = 0; j < n; j++)
        {
          ck_assert_str_eq (v[j], ok[i].words[j]);
          free (v[j]);
        }
      free (v);
    }
  ck_assert_int_eq (loom_argv_split ("echo 'a", &v, &n, &why), -1);
  ck_assert_str_eq (why, "a closing ' for the quote it opens");
  ck_assert_int_eq (loom_argv_split ("echo \"a", &v, &n, &why), -1);
  ck_assert_str_eq (why, "a closing \" for the quote it opens");
  ck_assert_int_eq (loom_argv_split ("echo a\\", &v, &n, &why), -1);
}
END_TEST

START_TEST (test_memory_parse)
{
  static const struct
  {
    const char *text;
    uint64_t bytes;
  } ok[] = {
    { "512MiB", 512ull << 20 }, { "512M", 512ull << 20 }, { "512m", 512ull << 20 },
    { "512mb", 512ull << 20 },  { "1Gb", 1ull << 30 },    { "1g", 1ull << 30 },
    { "1GiB", 1ull << 30 },     { "64KiB", 64ull << 10 }, { "64k", 64ull << 10 },
    { "1048576", 1048576 },     { "100b", 100 },          { "2 GiB", 2ull << 30 },
    { "1t", 1ull << 40 },
  };
  static const char *const bad[] = {
    "0", "0M", "", "M", "1.5G", "12x", "-1", "1 ", "1Gx", "99999999999999999999", "20000000000000G"
  };
  const char *why = NULL;
  uint64_t v;
  size_t i;

  for (i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    {
      ck_assert_msg (loom_memory_parse (ok[i].text, &v, &why) == 0, "%s: %s", ok[i].text, why);
      ck_assert_msg (v == ok[i].bytes, "%s: %" PRIu64, ok[i].text, v);
    }
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    ck_assert_msg (loom_memory_parse (bad[i], &v, &why) < 0, "'%s' should be refused", bad[i]);
}
END_TEST

START_TEST (test_port_parse)
{
  struct loom_port p, q;
  const char *why = NULL;
  static const char *const bad[] = {
    "80",          "a:80",         "0:80",        "8080:0",       "8080:65536",        "1.2.3.4:80",
    "::1:8080:80", "[::1]:8080",   "[x]:8080:80", "8080:80/sctp", "1.2.3.256:8080:80", "",
    "1:2:3:4",     "[::1]8080:80", "8080:80/"
  };
  size_t i;

  ck_assert_int_eq (loom_port_parse ("8080:80", false, &p, &why), 0);
  ck_assert_str_eq (p.host_addr, "127.0.0.1");
  ck_assert_int_eq (p.host_port, 8080);
  ck_assert_int_eq (p.node_port, 80);
  ck_assert_int_eq (p.proto, IPPROTO_TCP);
  ck_assert_str_eq (p.node_addr, "");
  ck_assert_int_eq (loom_port_parse ("0.0.0.0:5353:53/udp", false, &p, &why), 0);
  ck_assert_str_eq (p.host_addr, "0.0.0.0");
  ck_assert_int_eq (p.proto, IPPROTO_UDP);
  ck_assert_int_eq (loom_port_parse ("[0:0::1]:8443:443/tcp", false, &p, &why), 0);
  ck_assert_str_eq (p.host_addr, "::1");
  ck_assert_int_eq (p.host_port, 8443);
  ck_assert_int_eq (p.node_port, 443);
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    ck_assert_msg (loom_port_parse (bad[i], false, &p, &why) < 0, "'%s' should be refused", bad[i]);

  ck_assert_int_eq (loom_port_parse ("2222:10.0.2.15:22", true, &p, &why), 0);
  ck_assert_str_eq (p.host_addr, "127.0.0.1");
  ck_assert_int_eq (p.host_port, 2222);
  ck_assert_str_eq (p.node_addr, "10.0.2.15");
  ck_assert_int_eq (p.node_port, 22);
  ck_assert_int_eq (loom_port_parse ("[::]:5353:10.0.2.15:53/udp", true, &p, &why), 0);
  ck_assert_str_eq (p.host_addr, "::");
  ck_assert_int_eq (p.proto, IPPROTO_UDP);
  ck_assert_int_eq (loom_port_parse ("2222:22", true, &p, &why), -1);
  ck_assert_int_eq (loom_port_parse ("2222:fe80::1:22", true, &p, &why), -1);
  ck_assert_int_eq (loom_port_parse ("2222:10.0.2.15:0", true, &p, &why), -1);

  /* Conflicts: the same address, or a wildcard that covers it; not across protocols. */
  loom_port_parse ("8080:80", false, &p, &why);
  loom_port_parse ("8080:81", false, &q, &why);
  ck_assert (loom_port_conflict (&p, &q));
  loom_port_parse ("0.0.0.0:8080:81", false, &q, &why);
  ck_assert (loom_port_conflict (&p, &q));
  loom_port_parse ("[::]:8080:81", false, &q, &why);
  ck_assert (loom_port_conflict (&p, &q));
  loom_port_parse ("[::1]:8080:81", false, &q, &why);
  ck_assert (!loom_port_conflict (&p, &q));
  loom_port_parse ("127.0.0.2:8080:81", false, &q, &why);
  ck_assert (!loom_port_conflict (&p, &q));
  loom_port_parse ("8080:80/udp", false, &q, &why);
  ck_assert (!loom_port_conflict (&p, &q));
}
END_TEST

START_TEST (test_value_checks)
{
  const char *why = NULL;
  size_t i;
  static const char *const users_ok[]
      = { "root", "1000", "1000:1000", "www-data:www-data", "_svc", "nobody:65534" };
  static const char *const users_bad[]
      = { "", ":", "1000:", ":1000", "a:b:c", "9user", "a b", "99999999999" };
  static const char *const hosts_ok[] = { "web", "web-1.example.org", "a", "1host" };
  static const char *const hosts_bad[] = { "", "-web", "web-", "a..b", "a.", "web_1", "a b" };
  static const char *const images_ok[]
      = { "alpine",
          "alpine:3",
          "frrouting/frr:v8.4.1",
          "ghcr.io/hellt/network-multitool",
          "localhost:5000/web:1",
          "registry.example.com/a/b/c:latest",
          "busybox@sha256:"
          "3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79" };
  static const char *const images_bad[]
      = { "",        "Alpine",  "alpine:", "a b", "alpine:3:4", "-alpine", "alpine@sha256:xyz",
          "/alpine", "alpine/", ":3" };

  for (i = 0; i < sizeof (users_ok) / sizeof (*users_ok); i++)
    ck_assert_msg (loom_user_valid (users_ok[i]), "%s", users_ok[i]);
  for (i = 0; i < sizeof (users_bad) / sizeof (*users_bad); i++)
    ck_assert_msg (!loom_user_valid (users_bad[i]), "%s", users_bad[i]);
  for (i = 0; i < sizeof (hosts_ok) / sizeof (*hosts_ok); i++)
    ck_assert_msg (loom_hostname_valid (hosts_ok[i]), "%s", hosts_ok[i]);
  for (i = 0; i < sizeof (hosts_bad) / sizeof (*hosts_bad); i++)
    ck_assert_msg (!loom_hostname_valid (hosts_bad[i]), "%s", hosts_bad[i]);
  /* 63 characters per label, 64 in all. */
  ck_assert (
      loom_hostname_valid ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"));
  ck_assert (
      !loom_hostname_valid ("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"));
  ck_assert (
      !loom_hostname_valid ("abcdefghijklmnopqrstuvwxyz.abcdefghijklmnopqrstuvwxyz.abcdefghijklm"));
  for (i = 0; i < sizeof (images_ok) / sizeof (*images_ok); i++)
    ck_assert_msg (loom_image_ref_valid (images_ok[i], &why), "%s", images_ok[i]);
  for (i = 0; i < sizeof (images_bad) / sizeof (*images_bad); i++)
    ck_assert_msg (!loom_image_ref_valid (images_bad[i], &why), "%s", images_bad[i]);
}
END_TEST

START_TEST (test_container_keys)
{
  struct loom_node *c1, *c2;

  put_dir ("rootfs/c2");
  put_dir ("data");
  put_file ("etc/app.conf", "x=1\n");
  ck_loads_scratch ("name: c\n"
                    "topology:\n"
                    "  nodes:\n"
                    "    c1:\n"
                    "      kind: linux\n"
                    "      image: alpine:3\n"
                    "      cmd: sh -c 'echo \"hi there\"; sleep infinity'\n"
                    "      entrypoint: [/sbin/tini, --]\n"
                    "      workdir: /srv\n"
                    "      user: 1000:1000\n"
                    "      hostname: web-1.lab\n"
                    "      binds: [data:/srv/data, \"etc/app.conf:/etc/app.conf:ro\", "
                    "\"/tmp:/host-tmp:rw\"]\n"
                    "      volumes: [\"shared:/var/www\", \"logs:/var/log:ro\"]\n"
                    "      cpu: 0.5\n"
                    "      memory: 512MiB\n"
                    "      ports: [\"8080:80\", \"0.0.0.0:5353:53/udp\", \"[::1]:8443:443\"]\n"
                    "    c2:\n"
                    "      kind: container\n"
                    "      rootfs: rootfs/c2\n"
                    "      cmd: []\n"
                    "      volumes: [shared:/data]\n"
                    "      cpu: 2\n"
                    "      memory: 1g\n");
  c1 = node ("c1");
  ck_assert_str_eq (c1->image, "alpine:3");
  ck_assert_ptr_null (c1->rootfs);
  ck_assert (c1->has_cmd);
  ck_argv (c1->cmd, c1->n_cmd, 3, "sh", "-c", "echo \"hi there\"; sleep infinity");
  ck_assert (c1->has_entrypoint);
  ck_argv (c1->entrypoint, c1->n_entrypoint, 2, "/sbin/tini", "--");
  ck_assert_str_eq (c1->workdir, "/srv");
  ck_assert_str_eq (c1->user, "1000:1000");
  ck_assert_str_eq (c1->hostname, "web-1.lab");
  ck_assert_int_eq (c1->n_binds, 3);
  ck_str_scratch (c1->binds[0].src, "data");
  ck_assert_str_eq (c1->binds[0].dst, "/srv/data");
  ck_assert (!c1->binds[0].ro);
  ck_str_scratch (c1->binds[1].src, "etc/app.conf");
  ck_assert (c1->binds[1].ro);
  ck_assert_str_eq (c1->binds[2].src, "/tmp");
  ck_assert_str_eq (c1->binds[2].dst, "/host-tmp");
  ck_assert (!c1->binds[2].ro);
  ck_assert_int_eq (c1->binds[1].mark.line, 12);
  ck_assert_int_eq (c1->n_volumes, 2);
  ck_assert_str_eq (c1->volumes[0].name, "shared");
  ck_assert_str_eq (c1->volumes[0].dst, "/var/www");
  ck_assert (!c1->volumes[0].ro);
  ck_assert (c1->volumes[1].ro);
  ck_assert (c1->cpu == 0.5);
  ck_assert_uint_eq (c1->memory, 512ull << 20);
  ck_assert_int_eq (c1->n_ports, 3);
  ck_assert_str_eq (c1->ports[0].host_addr, "127.0.0.1");
  ck_assert_int_eq (c1->ports[0].host_port, 8080);
  ck_assert_int_eq (c1->ports[0].node_port, 80);
  ck_assert_int_eq (c1->ports[0].proto, IPPROTO_TCP);
  ck_assert_str_eq (c1->ports[0].text, "8080:80");
  ck_assert_int_eq (c1->ports[0].mark.line, 16);
  ck_assert_int_eq (c1->ports[0].mark.col, 15);
  ck_assert_str_eq (c1->ports[1].host_addr, "0.0.0.0");
  ck_assert_int_eq (c1->ports[1].proto, IPPROTO_UDP);
  ck_assert_str_eq (c1->ports[2].host_addr, "::1");
  /* No VM or nat settings on a container. */
  ck_assert_ptr_null (c1->accel);
  ck_assert_ptr_null (c1->nat_network);
  ck_assert_int_eq (c1->n_hostfwd, 0);

  c2 = node ("c2");
  ck_assert_ptr_null (c2->image);
  ck_str_scratch (c2->rootfs, "rootfs/c2");
  /* An empty list is "no command", not "the image's". */
  ck_assert (c2->has_cmd);
  ck_assert_int_eq (c2->n_cmd, 0);
  ck_assert (!c2->has_entrypoint);
  ck_assert_ptr_null (c2->workdir);
  ck_assert_ptr_null (c2->user);
  ck_assert_ptr_null (c2->hostname);
  /* The same volume on two nodes is one shared volume. */
  ck_assert_str_eq (c2->volumes[0].name, "shared");
  ck_assert (c2->cpu == 2);
  ck_assert_uint_eq (c2->memory, 1ull << 30);
}
END_TEST

START_TEST (test_env_files)
{
  struct loom_node *c1, *h1;

  put_file ("base.env", "# defaults\n"
                        "\n"
                        "A=from-base\n"
                        "export B=from-base\n"
                        "C=\"quoted value\"\n"
                        "D='x=y'\n"
                        "EMPTY=\n");
  put_file ("env/local.env", "B=from-local\n"
                             "  export   E=e # not a comment\n");
  ck_loads_scratch ("name: e\n"
                    "topology:\n"
                    "  defaults:\n"
                    "    env-files: [base.env]\n"
                    "  nodes:\n"
                    "    c1:\n"
                    "      kind: container\n"
                    "      image: alpine\n"
                    "      env-files: [base.env, env/local.env]\n"
                    "      env: {A: from-env}\n"
                    "    h1: {}\n");
  c1 = node ("c1");
  ck_assert_int_eq (c1->n_env, 6);
  /* env wins over the files; a later file over an earlier one. */
  ck_assert_str_eq (kv (c1->env, c1->n_env, "A"), "from-env");
  ck_assert_str_eq (kv (c1->env, c1->n_env, "B"), "from-local");
  ck_assert_str_eq (kv (c1->env, c1->n_env, "C"), "quoted value");
  ck_assert_str_eq (kv (c1->env, c1->n_env, "D"), "x=y");
  ck_assert_str_eq (kv (c1->env, c1->n_env, "EMPTY"), "");
  ck_assert_str_eq (kv (c1->env, c1->n_env, "E"), "e # not a comment");
  /* env-files is for every kind: a host inherits the defaults'. */
  h1 = node ("h1");
  ck_assert_int_eq (h1->n_env, 5);
  ck_assert_str_eq (kv (h1->env, h1->n_env, "B"), "from-base");
}
END_TEST

START_TEST (test_env_file_errors)
{
  loom_autofree char *bad = NULL, *missing = NULL, *want = NULL;
  size_t i;
  bool named = false;

  put_file ("bad.env", "OK=1\n"
                       "\n"
                       "no equals sign\n"
                       "1X=2\n"
                       "=3\n");
  ck_fails_scratch ("name: e\n"
                    "topology:\n"
                    "  nodes:\n"
                    "    h1: {env-files: [bad.env, missing.env]}\n"
                    "    h2: {env-files: bad.env}\n");
  bad = sp ("bad.env");
  missing = sp ("missing.env");
  /* Errors in an env file name the env file and its line. */
  ck_error_at (3, 1, "expected KEY=VALUE");
  ck_error_at (4, 1, "expected KEY=VALUE");
  ck_error_at (5, 1, "listed in ");
  for (i = 0; i < diags.n; i++)
    if (diags.items[i].line == 3 && strcmp (diags.items[i].file, bad) == 0)
      named = true;
  ck_assert_msg (named, "the error should name %s; got:\n%s", bad, dump ());
  want = loom_xasprintf ("cannot read env file '%s': No such file or directory", missing);
  ck_error_at (4, 31, want);
  ck_error_at (5, 21, "expected a list of strings for 'env-files', found 'bad.env'");
  ck_assert_msg (diags.n_errors == 5, "expected 5 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_container_errors)
{
  put_file ("file", "x\n");
  put_dir ("dir");
  ck_fails_scratch ("name: c\n"
                    "topology:\n"
                    "  nodes:\n"
                    "    c1: {kind: container}\n"                                       /* 4 */
                    "    c2: {kind: container, image: alpine, rootfs: dir}\n"           /* 5 */
                    "    c3: {kind: container, image: Alpine:3}\n"                      /* 6 */
                    "    c4: {kind: container, rootfs: nodir}\n"                        /* 7 */
                    "    c5: {kind: container, rootfs: file}\n"                         /* 8 */
                    "    c6:\n"                                                         /* 9 */
                    "      kind: container\n"                                           /* 10 */
                    "      image: alpine\n"                                             /* 11 */
                    "      binds: [nosrc:/x, \"file:rel\", \"file:/x:rx\", \"file\"]\n" /* 12 */
                    "      volumes: [\"-v:/x\", \"v:rel\", \"v\", \"v:/x:rx\"]\n"       /* 13 */
                    "      cpu: 0\n"                                                    /* 14 */
                    "      memory: 1.5G\n"                                              /* 15 */
                    "      workdir: srv\n"                                              /* 16 */
                    "      user: \"a:b:c\"\n"                                           /* 17 */
                    "      hostname: web_1\n"                                           /* 18 */
                    "      cmd: sh -c 'echo\n"                                          /* 19 */
                    "      entrypoint: {a: b}\n"                                        /* 20 */
                    "    c7: {kind: container, image: alpine, cpu: x, memory: 0}\n"     /* 21 */
                    "    c8: {kind: container, image: alpine, cmd: [a, [b]]}\n");       /* 22 */
  ck_error_at (4, 5, "container 'c1' needs 'image' (an image name, as in alpine:3) or 'rootfs'");
  ck_error_at (5, 50, "'image' and 'rootfs' are both set in nodes.c2");
  ck_error_at (6, 34, "invalid image 'Alpine:3': expected an image name like alpine:3");
  ck_error_at (7, 35, "cannot use '");
  ck_error_at (7, 35, "/nodir' for 'rootfs': No such file or directory");
  ck_error_at (8, 35, "/file' for 'rootfs': expected a directory");
  ck_error_at (12, 15, "invalid bind 'nosrc:/x': cannot use '");
  ck_error_at (12, 25,
               "invalid bind 'file:rel': expected an absolute path in the container "
               "after the ':', found 'rel'");
  ck_error_at (12, 37, "invalid bind 'file:/x:rx': expected src:dst[:ro|:rw]");
  ck_error_at (12, 51, "invalid bind 'file': expected src:dst[:ro|:rw]");
  ck_error_at (13, 17, "invalid volume '-v:/x': expected a volume name");
  ck_error_at (13, 26, "invalid volume 'v:rel': expected an absolute path");
  ck_error_at (13, 35, "invalid volume 'v': expected name:dst[:ro]");
  ck_error_at (13, 40, "invalid volume 'v:/x:rx': expected name:dst[:ro]");
  ck_error_at (14, 12,
               "expected a number of CPUs greater than 0 (as in 0.5 or 2) for 'cpu', "
               "found '0'");
  ck_error_at (15, 15, "expected a size: a number of bytes, or a whole number with a unit");
  ck_error_at (16, 16, "expected an absolute path (starting with '/') for 'workdir', found 'srv'");
  ck_error_at (17, 13, "expected a user: name, uid, uid:gid or name:group");
  ck_error_at (18, 17, "expected a host name");
  ck_error_at (19, 12,
               "invalid command line for 'cmd': expected a closing ' for the quote it "
               "opens");
  ck_error_at (20, 19,
               "expected a command line (a string) or a list of strings for "
               "'entrypoint', found a mapping");
  ck_error_at (21, 47, "for 'cpu', found 'x'");
  ck_error_at (21, 58, "expected a size greater than 0 for 'memory', found '0'");
  ck_error_at (22, 51, "expected a string for 'cmd', found a list");
  ck_assert_msg (diags.n_errors == 23, "expected 23 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_vm_keys)
{
  struct loom_node *v;

  put_file ("disks/guest.qcow2", "QFI\n");
  put_file ("boot/vmlinuz", "k\n");
  put_file ("boot/initrd.img", "i\n");
  put_file ("plain.raw", "r\n");
  ck_loads_scratch (
      "name: v\n"
      "topology:\n"
      "  nodes:\n"
      "    v1: {kind: vm}\n"
      "    v2: {kind: vm, image: disks/guest.qcow2, memory: 256M, cpus: 2, accel: tcg}\n"
      "    v3: {kind: vm, image: plain.raw}\n"
      "    v4:\n"
      "      kind: vm\n"
      "      kernel: boot/vmlinuz\n"
      "      initrd: ./boot/initrd.img\n"
      "      append: console=ttyS0 quiet\n"
      "      ports: [\"2222:22\"]\n"
      "    v5: {kind: vm, image: netloom-tiny, accel: kvm}\n");
  v = node ("v1");
  /* Neither image nor kernel: the built-in guest. */
  ck_assert_str_eq (v->image, "netloom-tiny");
  ck_assert_str_eq (v->accel, "auto");
  ck_assert_int_eq (v->cpus, 0);
  ck_assert_uint_eq (v->memory, 0);
  ck_assert_ptr_null (v->kernel);
  v = node ("v2");
  ck_str_scratch (v->image, "disks/guest.qcow2");
  ck_assert_uint_eq (v->memory, 256ull << 20);
  ck_assert_int_eq (v->cpus, 2);
  ck_assert_str_eq (v->accel, "tcg");
  ck_str_scratch (node ("v3")->image, "plain.raw");
  v = node ("v4");
  ck_assert_ptr_null (v->image);
  ck_str_scratch (v->kernel, "boot/vmlinuz");
  ck_str_scratch (v->initrd, "boot/initrd.img");
  ck_assert_str_eq (v->append, "console=ttyS0 quiet");
  ck_assert_int_eq (v->n_ports, 1);
  ck_assert_int_eq (v->ports[0].host_port, 2222);
  ck_assert_str_eq (node ("v5")->image, "netloom-tiny");
  ck_assert_str_eq (node ("v5")->accel, "kvm");
}
END_TEST

START_TEST (test_vm_errors)
{
  loom_autofree char *want = NULL;

  put_dir ("d.qcow2");
  ck_fails_scratch ("name: v\n"
                    "topology:\n"
                    "  nodes:\n"
                    "    v1: {kind: vm, image: disks/none.qcow2}\n"       /* 4 */
                    "    v2: {kind: vm, image: alpine}\n"                 /* 5 */
                    "    v3: {kind: vm, memory: 8MiB, cpus: 0}\n"         /* 6 */
                    "    v4: {kind: vm, cpus: 65, accel: hvf}\n"          /* 7 */
                    "    v5: {kind: vm, kernel: nokernel, initrd: ''}\n"  /* 8 */
                    "    v6: {kind: vm, image: d.qcow2, append: [a]}\n"); /* 9 */
  want = loom_xasprintf ("cannot use disk image '%s/disks/none.qcow2': No such file or directory",
                         scratch);
  ck_error_at (4, 27, want);
  ck_error_at (5, 27,
               "unknown VM image 'alpine': expected a built-in guest (netloom-tiny) or a "
               "disk image path");
  ck_error_at (6, 28, "expected at least 16 MiB of memory for a VM, found 8388608 bytes");
  ck_error_at (6, 40, "expected a number of CPUs from 1 to 64 for 'cpus', found '0'");
  ck_error_at (7, 26, "found '65'");
  ck_error_at (7, 37, "expected auto, kvm or tcg for 'accel', found 'hvf'");
  ck_error_at (8, 28, "/nokernel' for 'kernel': No such file or directory");
  ck_error_at (8, 46, "expected a path for 'initrd'");
  ck_error_at (9, 27, "expected a file, not a directory");
  ck_error_at (9, 44, "expected a string for 'append', found a list");
  ck_assert_msg (diags.n_errors == 10, "expected 10 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_nat_keys)
{
  struct loom_node *n1, *n2;

  ck_loads ("name: n\n"
            "topology:\n"
            "  nodes:\n"
            "    n1: {kind: nat}\n"
            "    n2:\n"
            "      kind: nat\n"
            "      network: 192.168.100.0/24\n"
            "      hostfwd: [\"2222:192.168.100.15:22\", \"[::1]:5353:192.168.100.15:53/udp\"]\n"
            "    h1: {}\n"
            "    h2: {}\n"
            "  links:\n"
            "    - endpoints: [n1:eth0, h1:eth1]\n"
            "    - endpoints: [h2:eth1, n2:eth0]\n");
  n1 = node ("n1");
  ck_assert_str_eq (n1->nat_network, "10.0.2.0/24");
  ck_assert_int_eq (n1->n_hostfwd, 0);
  ck_assert_int_eq (iface ("n1", "eth0")->n_addrs, 0);
  n2 = node ("n2");
  ck_assert_str_eq (n2->nat_network, "192.168.100.0/24");
  ck_assert_int_eq (n2->n_hostfwd, 2);
  ck_assert_str_eq (n2->hostfwd[0].host_addr, "127.0.0.1");
  ck_assert_int_eq (n2->hostfwd[0].host_port, 2222);
  ck_assert_str_eq (n2->hostfwd[0].node_addr, "192.168.100.15");
  ck_assert_int_eq (n2->hostfwd[0].node_port, 22);
  ck_assert_int_eq (n2->hostfwd[0].proto, IPPROTO_TCP);
  ck_assert_str_eq (n2->hostfwd[0].text, "2222:192.168.100.15:22");
  ck_assert_str_eq (n2->hostfwd[1].host_addr, "::1");
  ck_assert_int_eq (n2->hostfwd[1].proto, IPPROTO_UDP);
  /* Not a nat node: no network. */
  ck_assert_ptr_null (node ("h1")->nat_network);
}
END_TEST

START_TEST (test_nat_errors)
{
  ck_fails ("name: n\n"
            "topology:\n"
            "  nodes:\n"
            "    n1: {kind: nat}\n"                                                    /* 4 */
            "    n2: {kind: nat, routes: [default via 10.0.2.2]}\n"                    /* 5 */
            "    n3:\n"                                                                /* 6 */
            "      kind: nat\n"                                                        /* 7 */
            "      network: 10.0.2.1/24\n"                                             /* 8 */
            "      hostfwd: [\"2222:10.9.0.5:22\", \"2222:22\"]\n"                     /* 9 */
            "      interfaces:\n"                                                      /* 10 */
            "        eth0: {ipv4: 10.0.2.2/24}\n"                                      /* 11 */
            "    n4: {kind: nat, network: 10.0.0.0/31, hostfwd: [\"2:10.0.0.1:2\"]}\n" /* 12 */
            "    n5: {kind: nat, network: \"fd00::/64\"}\n"                            /* 13 */
            "    n6: {kind: nat, network: 10.0.0.0/7}\n"                               /* 14 */
            "    n7: {kind: nat, hostfwd: [\"2223:10.0.3.15:22\"]}\n"                  /* 15 */
            "    h1: {}\n"                                                             /* 16 */
            "  links:\n"                                                               /* 17 */
            "    - endpoints: [n2:eth0, h1:eth1]\n"                                    /* 18 */
            "    - endpoints: [n2:eth1, h1:eth2]\n"                                    /* 19 */
            "    - endpoints: [n3:eth0, h1:eth3]\n"                                    /* 20 */
            "    - endpoints: [n7:eth0, h1:eth4]\n"                                    /* 21 */
            "      ipv4: [10.0.2.2/24, 10.0.2.15/24]\n");                              /* 22 */
  ck_error_at (4, 5,
               "nat node 'n1' must be on exactly one link (its interface into the lab), "
               "found 0");
  ck_error_at (5, 5,
               "nat node 'n2' must be on exactly one link (its interface into the lab), "
               "found 2");
  ck_error_at (5, 29,
               "'routes' is not allowed on a nat node: its address comes from its "
               "'network' (10.0.2.0/24 by default); n2 is a nat");
  ck_error_at (8, 16,
               "expected an IPv4 network with a prefix length from 8 to 27 and the host "
               "bits zero (as in 10.0.2.0/24) for 'network', found '10.0.2.1/24'");
  ck_error_at (9, 37,
               "invalid hostfwd '2222:22': expected [host_addr:]host_port:lab_addr:"
               "lab_port[/tcp|/udp]");
  ck_error_at (11, 22, "'ipv4' is not allowed on a nat node");
  ck_error_at (12, 5, "nat node 'n4' must be on exactly one link");
  /* An invalid network is reported alone: the hostfwd is not checked against another. */
  ck_error_at (12, 30, "found '10.0.0.0/31'");
  ck_error_at (13, 5, "nat node 'n5' must be on exactly one link");
  ck_error_at (13, 30, "found 'fd00::/64'");
  ck_error_at (14, 5, "nat node 'n6' must be on exactly one link");
  ck_error_at (14, 30, "found '10.0.0.0/7'");
  ck_error_at (15, 31,
               "hostfwd '2223:10.0.3.15:22': 10.0.3.15 is not in n7's network "
               "10.0.2.0/24");
  ck_error_at (22, 14, "'ipv4' is not allowed on a nat node");
  ck_assert_msg (diags.n_errors == 14, "expected 14 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_port_errors)
{
  ck_fails ("name: p\n"
            "topology:\n"
            "  defaults:\n"
            "    ports: [\"9000:9000\"]\n" /* 4 */
            "  nodes:\n"
            "    h1: {ports: [\"8080:80\", \"8080:80/udp\", \"[::1]:8080:80\"]}\n" /* 6 */
            "    h2: {kind: router, ports: [\"127.0.0.1:8080:81\"]}\n"             /* 7 */
            "    h3: {ports: [\"0.0.0.0:8080:80/udp\"]}\n"                         /* 8 */
            "    h4: {ports: [\"80\", \"x:1:2\"]}\n"                               /* 9 */
            "    n1: {kind: nat, hostfwd: [\"[::]:8080:10.0.2.15:22\"]}\n"         /* 10 */
            "    s1: {kind: switch, ports: [\"1:1\"]}\n"                           /* 11 */
            "    u1: {kind: hub}\n"                                                /* 12 */
            "    h5: {}\n"                                                         /* 13 */
            "  links:\n"
            "    - endpoints: [n1:eth0, u1:p1]\n");
  /* The same host address and port twice, at the second; wildcards cover the others. h4's
   * own list is invalid, so it inherits the defaults' like h5 (the switch, hub and nat
   * node do not take it). */
  ck_error_at (4, 13,
               "host port 127.0.0.1:9000/tcp of h5 is already published by h4 "
               "('9000:9000' at line 4, column 13)");
  ck_error_at (7, 32,
               "host port 127.0.0.1:8080/tcp of h2 is already published by h1 "
               "('8080:80' at line 6, column 18)");
  ck_error_at (8, 18,
               "host port 0.0.0.0:8080/udp of h3 is already published by h1 "
               "('8080:80/udp' at line 6, column 29)");
  ck_error_at (9, 18, "invalid port '80': expected [host_addr:]host_port:node_port");
  ck_error_at (9, 24, "invalid port 'x:1:2': expected an IPv4 host address");
  ck_error_at (10, 31, "host port [::]:8080/tcp of n1 is already published by h1");
  ck_error_at (11, 31, "'ports' is only for host, router, container and vm nodes; s1 is a switch");
  ck_assert_msg (diags.n_errors == 7, "expected 7 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_runtime_inheritance)
{
  struct loom_node *n;

  ck_loads ("name: i\n"
            "topology:\n"
            "  defaults:\n"
            "    image: alpine:3\n"
            "    memory: 64M\n"
            "    cmd: sleep 1\n"
            "    hostfwd: [\"2222:10.0.2.15:22\"]\n"
            "  kinds:\n"
            "    linux: {cpu: 1.5, user: nobody}\n"
            "    vm: {cpus: 2, accel: tcg}\n"
            "  groups:\n"
            "    mixed: {hostname: shared, kernel: /dev/null, workdir: /w, network: 10.0.0.0/8}\n"
            "  nodes:\n"
            "    c1: {kind: container, group: mixed}\n"
            "    c2: {kind: container, cmd: [run], cpu: 3}\n"
            "    v1: {kind: vm, group: mixed, image: netloom-tiny}\n"
            "    h1: {group: mixed}\n"
            "    n1: {kind: nat, group: mixed}\n"
            "    h2: {}\n"
            "  links:\n"
            "    - endpoints: [n1:eth0, h2:eth1]\n");
  n = node ("c1");
  ck_assert_str_eq (n->image, "alpine:3");
  ck_assert_uint_eq (n->memory, 64ull << 20);
  ck_argv (n->cmd, n->n_cmd, 2, "sleep", "1");
  ck_assert (n->cpu == 1.5);
  ck_assert_str_eq (n->user, "nobody");
  ck_assert_str_eq (n->hostname, "shared");
  ck_assert_str_eq (n->workdir, "/w");
  /* From a group that mixes kinds, the VM and nat settings skip the container. */
  ck_assert_ptr_null (n->kernel);
  ck_assert_ptr_null (n->nat_network);
  ck_assert_int_eq (n->n_hostfwd, 0);
  n = node ("c2");
  ck_argv (n->cmd, n->n_cmd, 1, "run");
  ck_assert (n->cpu == 3);
  n = node ("v1");
  ck_assert_str_eq (n->image, "netloom-tiny");
  ck_assert_uint_eq (n->memory, 64ull << 20);
  ck_assert_int_eq (n->cpus, 2);
  ck_assert_str_eq (n->accel, "tcg");
  ck_assert_str_eq (n->kernel, "/dev/null");
  ck_assert_ptr_null (n->hostname);
  ck_assert (!n->has_cmd);
  n = node ("h1");
  ck_assert_ptr_null (n->image);
  ck_assert_uint_eq (n->memory, 0);
  ck_assert_ptr_null (n->hostname);
  ck_assert_ptr_null (n->kernel);
  n = node ("n1");
  ck_assert_str_eq (n->nat_network, "10.0.0.0/8");
  ck_assert_int_eq (n->n_hostfwd, 1);
  ck_assert_ptr_null (n->image);
}
END_TEST

START_TEST (test_inherited_image_errors)
{
  ck_fails ("name: i\n"
            "topology:\n"
            "  defaults: {image: alpine:3}\n"
            "  groups:\n"
            "    g: {kind: container, image: Bad}\n"
            "  nodes:\n"
            "    c1: {kind: container}\n"
            "    c2: {group: g}\n"
            "    c3: {group: g}\n"
            "    v1: {kind: vm}\n"
            "    v2: {kind: vm}\n"
            "    v3: {kind: vm, image: netloom-tiny}\n"
            "    h1: {}\n");
  /* Once per place, however many nodes inherit it, saying where it came from. */
  ck_error_at (3, 21, "unknown VM image 'alpine:3' (from defaults): expected a built-in guest "
                      "(netloom-tiny)");
  ck_error_at (5, 33, "invalid image 'Bad' (from groups.g): expected an image name");
  ck_assert_msg (diags.n_errors == 2, "expected 2 errors; got:\n%s", dump ());
}
END_TEST

START_TEST (test_runtime_kind_errors)
{
  ck_fails ("name: k\n"
            "topology:\n"
            "  kinds:\n"
            "    host: {cpu: 1}\n"       /* 4 */
            "    router: {image: frr}\n" /* 5 */
            "  nodes:\n"
            "    h1: {image: alpine, cmd: x, rootfs: /, hostname: h}\n"                /* 7 */
            "    c1: {kind: container, image: alpine, cpus: 2, network: 10.0.0.0/8}\n" /* 8 */
            "    v1: {kind: vm, cpu: 1, binds: [\"/tmp:/tmp\"], hostfwd: []}\n"        /* 9 */
            "    n1: {kind: nat, memory: 1G, ports: [\"1:1\"]}\n"                      /* 10 */
            "    h2: {}\n"
            "  links:\n"
            "    - endpoints: [n1:eth0, h2:eth1]\n");
  ck_error_at (4, 17, "'cpu' is only for container nodes; this is kinds.host");
  ck_error_at (5, 21, "'image' is only for container and vm nodes; this is kinds.router");
  ck_error_at (7, 17, "'image' is only for container and vm nodes; h1 is a host");
  ck_error_at (7, 30, "'cmd' is only for container nodes; h1 is a host");
  ck_error_at (7, 41, "'rootfs' is only for container nodes; h1 is a host");
  ck_error_at (7, 54, "'hostname' is only for container nodes; h1 is a host");
  ck_error_at (8, 48, "'cpus' is only for vm nodes; c1 is a container");
  ck_error_at (8, 60, "'network' is only for nat nodes; c1 is a container");
  ck_error_at (9, 25, "'cpu' is only for container nodes; v1 is a vm");
  ck_error_at (9, 35, "'binds' is only for container nodes; v1 is a vm");
  ck_error_at (9, 59, "'hostfwd' is only for nat nodes; v1 is a vm");
  ck_error_at (10, 29, "'memory' is only for container and vm nodes; n1 is a nat");
  ck_error_at (10, 40, "'ports' is only for host, router, container and vm nodes; n1 is a nat");
  ck_assert_msg (diags.n_errors == 13, "expected 13 errors; got:\n%s", dump ());
}
END_TEST

static Suite *
parser_suite (void)
{
  Suite *s = suite_create ("parser");
  TCase *tc = tcase_create ("model");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_kinds);
  tcase_add_test (tc, test_names);
  tcase_add_test (tc, test_addr_parse);
  tcase_add_test (tc, test_route_parse);
  tcase_add_test (tc, test_mac_parse);
  tcase_add_test (tc, test_diag_format);
  suite_add_tcase (s, tc);

  tc = tcase_create ("load");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_quickstart_model);
  tcase_add_test (tc, test_quickstart_file);
  tcase_add_test (tc, test_containerlab_file);
  tcase_add_test (tc, test_inheritance);
  tcase_add_test (tc, test_kind_from_defaults);
  tcase_add_test (tc, test_links_brief);
  tcase_add_test (tc, test_links_extended);
  tcase_add_test (tc, test_routes_forms);
  tcase_add_test (tc, test_position);
  tcase_add_test (tc, test_merge_keys);
  tcase_add_test (tc, test_prefix);
  tcase_add_test (tc, test_capture_defaults);
  tcase_add_test (tc, test_capture_top_level);
  tcase_add_test (tc, test_capture_sizes);
  tcase_add_test (tc, test_capture_nodes_and_links);
  suite_add_tcase (s, tc);

  tc = tcase_create ("errors");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_unknown_key);
  tcase_add_test (tc, test_unknown_keys_elsewhere);
  tcase_add_test (tc, test_unknown_kind);
  tcase_add_test (tc, test_unknown_node_in_link);
  tcase_add_test (tc, test_bad_addresses);
  tcase_add_test (tc, test_bad_vlans);
  tcase_add_test (tc, test_duplicate_keys);
  tcase_add_test (tc, test_wrong_types);
  tcase_add_test (tc, test_top_level);
  tcase_add_test (tc, test_yaml_syntax_error);
  tcase_add_test (tc, test_file_unreadable);
  tcase_add_test (tc, test_broken_file_all_reported);
  tcase_add_test (tc, test_link_errors);
  tcase_add_test (tc, test_bridge_rules);
  tcase_add_test (tc, test_interface_rules);
  tcase_add_test (tc, test_route_errors);
  tcase_add_test (tc, test_names_in_file);
  tcase_add_test (tc, test_containerlab_warnings_once);
  tcase_add_test (tc, test_many_errors_all_reported);
  tcase_add_test (tc, test_capture_errors);
  tcase_add_test (tc, test_capture_limit_errors);
  suite_add_tcase (s, tc);

  tc = tcase_create ("frr");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_frr_ospf);
  tcase_add_test (tc, test_frr_bgp);
  tcase_add_test (tc, test_frr_rip);
  tcase_add_test (tc, test_frr_all_three);
  tcase_add_test (tc, test_frr_inheritance);
  tcase_add_test (tc, test_frr_config_over_inherited);
  tcase_add_test (tc, test_frr_config_file);
  tcase_add_test (tc, test_frr_config_file_missing);
  tcase_add_test (tc, test_frr_kind_errors);
  tcase_add_test (tc, test_frr_ospf_errors);
  tcase_add_test (tc, test_frr_ospf_iface_errors);
  tcase_add_test (tc, test_frr_bgp_errors);
  tcase_add_test (tc, test_frr_rip_errors);
  suite_add_tcase (s, tc);

  tc = tcase_create ("impair");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_impair_brief);
  tcase_add_test (tc, test_impair_extended);
  tcase_add_test (tc, test_impair_interfaces);
  tcase_add_test (tc, test_impair_errors);
  suite_add_tcase (s, tc);

  tc = tcase_create ("runtime");
  tcase_add_checked_fixture (tc, scratch_setup, scratch_teardown);
  tcase_add_test (tc, test_argv_split);
  tcase_add_test (tc, test_memory_parse);
  tcase_add_test (tc, test_port_parse);
  tcase_add_test (tc, test_value_checks);
  tcase_add_test (tc, test_container_keys);
  tcase_add_test (tc, test_env_files);
  tcase_add_test (tc, test_env_file_errors);
  tcase_add_test (tc, test_container_errors);
  tcase_add_test (tc, test_vm_keys);
  tcase_add_test (tc, test_vm_errors);
  tcase_add_test (tc, test_nat_keys);
  tcase_add_test (tc, test_nat_errors);
  tcase_add_test (tc, test_port_errors);
  tcase_add_test (tc, test_runtime_inheritance);
  tcase_add_test (tc, test_runtime_kind_errors);
  tcase_add_test (tc, test_inherited_image_errors);
  suite_add_tcase (s, tc);

  tc = tcase_create ("robustness");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_garbage);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (parser_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
