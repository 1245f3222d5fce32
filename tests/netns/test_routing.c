/* Real routing (root, real namespaces, real FRR): an OSPF triangle converges, reroutes
 * around a pulled cable and comes back; two BGP ASes exchange prefixes; a restarted
 * router keeps its links and forms its adjacencies again. */
#include "tests/netns/testlib.h"

/* Waits (bounded) until node can ping addr: routing protocols converge in their own
 * time; each try is itself a one-second wait for an answer. */
static bool
wait_ping (const char *lab, const char *node, const char *addr, int tries)
{
  while (tries-- > 0)
    if (TL_RUN (lab, node, "ping", "-c", "1", "-W", "1", addr) == 0)
      return true;
  return false;
}

/* `vtysh -c CMD` against a router's own daemons; returns its output. */
static char *
vtysh (const char *lab, const char *node, const char *cmd)
{
  loom_autofree char *ns = loom_xasprintf ("%s-%s-%s", tl_prefix, lab, node);
  char *out = NULL;
  tl_run (lab, node, &out, (const char *const[]){ "vtysh", "-N", ns, "-c", cmd, NULL });
  return out;
}

/* Waits (bounded, one second per try) until `vtysh -c cmd` shows text. */
static bool
wait_vtysh (const char *lab, const char *node, const char *cmd, const char *text, int tries)
{
  while (tries-- > 0)
    {
      loom_autofree char *out = vtysh (lab, node, cmd);
      if (strstr (out, text))
        return true;
      TL_RUN (lab, node, "sleep", "1");
    }
  return false;
}

static const char triangle[] = "topology:\n"
                               "  kinds:\n"
                               "    router: {ospf: {area: 0}}\n"
                               "  nodes:\n"
                               "    r1: {kind: router}\n"
                               "    r2: {kind: router}\n"
                               "    r3: {kind: router}\n"
                               "    h1: {routes: [\"default via 10.1.0.1\"]}\n"
                               "    h2: {routes: [\"default via 10.2.0.1\"]}\n"
                               "    h3: {routes: [\"default via 10.3.0.1\"]}\n"
                               "  links:\n"
                               "    - {endpoints: [r1:eth1, r2:eth1], ipv4: [10.12.0.1/24, 10.12.0.2/24]}\n"
                               "    - {endpoints: [r2:eth2, r3:eth1], ipv4: [10.23.0.2/24, 10.23.0.3/24]}\n"
                               "    - {endpoints: [r1:eth2, r3:eth2], ipv4: [10.13.0.1/24, 10.13.0.3/24]}\n"
                               "    - {endpoints: [h1:eth1, r1:eth3], ipv4: [10.1.0.11/24, 10.1.0.1/24]}\n"
                               "    - {endpoints: [h2:eth1, r2:eth3], ipv4: [10.2.0.12/24, 10.2.0.1/24]}\n"
                               "    - {endpoints: [h3:eth1, r3:eth3], ipv4: [10.3.0.13/24, 10.3.0.1/24]}\n";

START_TEST (test_ospf_triangle_converges_reroutes_recovers)
{
  struct loom_lab *lab = tl_load ("ospf", triangle);
  loom_error_t err = NULL;

  tl_deploy_ok (lab);
  ck_assert_msg (wait_ping ("ospf", "h1", "10.3.0.13", 90), "OSPF did not converge");
  ck_assert (wait_ping ("ospf", "h1", "10.2.0.12", 30));
  ck_assert (wait_ping ("ospf", "h2", "10.3.0.13", 30));
  ck_assert (wait_vtysh ("ospf", "r1", "show ip route 10.3.0.0/24", "10.13.0.3, via eth2", 30));

  /* Pull the r1-r3 cable: h1 still reaches h3, the long way round through r2. */
  ck_assert_msg (loom_lab_link_set ("ospf", "r1:eth2", false, &err) == 0, "link down: %s",
                 err ? err->msg : "");
  ck_assert_msg (wait_vtysh ("ospf", "r1", "show ip route 10.3.0.0/24", "10.12.0.2, via eth1", 30),
                 "r1 did not reroute through r2");
  ck_assert (wait_ping ("ospf", "h1", "10.3.0.13", 30));
  {
    loom_autofree char *out = NULL;
    tl_run ("ospf", "h1", &out,
            (const char *const[]){ "ping", "-c", "1", "-W", "2", "-R", "10.3.0.13", NULL });
    ck_assert_msg (strstr (out, "10.12.0.") || strstr (out, "10.23.0."), "path: %s", out);
  }

  /* Put it back: the direct route returns. */
  ck_assert (loom_lab_link_set ("ospf", "r1:eth2", true, &err) == 0);
  ck_assert_msg (wait_vtysh ("ospf", "r1", "show ip route 10.3.0.0/24", "10.13.0.3, via eth2", 60),
                 "r1 did not go back to the direct link");
  ck_assert (wait_ping ("ospf", "h1", "10.3.0.13", 30));

  /* A restarted router keeps its links and addresses and forms its adjacencies again. */
  ck_assert_msg (loom_lab_node_set ("ospf", "r2", false, &err) == 0, "stop: %s",
                 err ? err->msg : "");
  ck_assert (!tl_ping ("ospf", "h1", "10.2.0.12"));
  ck_assert_msg (loom_lab_node_set ("ospf", "r2", true, &err) == 0, "start: %s",
                 err ? err->msg : "");
  {
    loom_autofree char *out = NULL;
    tl_run ("ospf", "r2", &out, (const char *const[]){ "ip", "-br", "addr", NULL });
    ck_assert_msg (strstr (out, "10.12.0.2/24") && strstr (out, "10.23.0.2/24")
                       && strstr (out, "10.2.0.1/24"),
                   "r2 after restart: %s", out);
  }
  if (!wait_vtysh ("ospf", "r2", "show ip ospf neighbor", "Full", 60))
    {
      loom_autofree char *n2 = vtysh ("ospf", "r2", "show ip ospf neighbor");
      loom_autofree char *i2 = vtysh ("ospf", "r2", "show ip ospf interface");
      loom_autofree char *n1 = vtysh ("ospf", "r1", "show ip ospf neighbor");
      loom_autofree char *l2 = NULL;
      tl_run ("ospf", "r2", &l2, (const char *const[]){ "ip", "-br", "link", NULL });
      ck_abort_msg ("r2 formed no adjacency after its restart\nr2 neighbors:\n%s\nr2 "
                    "interfaces:\n%s\nr1 neighbors:\n%s\nr2 links:\n%s",
                    n2, i2, n1, l2);
    }
  ck_assert (wait_ping ("ospf", "h1", "10.2.0.12", 60));
  tl_destroy_ok ("ospf");
  tl_assert_clean ("ospf");
  {
    /* FRR's directories for the routers went with the lab. */
    loom_autofree char *etc = loom_xasprintf ("/etc/frr/%s-ospf-r1", tl_prefix);
    loom_autofree char *run = loom_xasprintf ("/var/run/frr/%s-ospf-r1", tl_prefix);
    struct stat st;
    ck_assert_msg (stat (etc, &st) < 0 && stat (run, &st) < 0, "FRR directories remain");
  }
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_bgp_two_ases_exchange_prefixes)
{
  struct loom_lab *lab = tl_load (
      "bgp", "topology:\n"
             "  nodes:\n"
             "    r1:\n"
             "      kind: router\n"
             "      bgp: {asn: 65001, router-id: 1.1.1.1, networks: [10.1.0.0/24],\n"
             "            neighbors: [{address: 10.0.0.2, remote-as: 65002}]}\n"
             "    r2:\n"
             "      kind: router\n"
             "      bgp: {asn: 65002, router-id: 2.2.2.2, networks: [10.2.0.0/24],\n"
             "            neighbors: [{address: 10.0.0.1, remote-as: 65001}]}\n"
             "    h1: {routes: [\"default via 10.1.0.1\"]}\n"
             "    h2: {routes: [\"default via 10.2.0.1\"]}\n"
             "  links:\n"
             "    - {endpoints: [r1:eth1, r2:eth1], ipv4: [10.0.0.1/30, 10.0.0.2/30]}\n"
             "    - {endpoints: [h1:eth1, r1:eth2], ipv4: [10.1.0.11/24, 10.1.0.1/24]}\n"
             "    - {endpoints: [h2:eth1, r2:eth2], ipv4: [10.2.0.12/24, 10.2.0.1/24]}\n");

  tl_deploy_ok (lab);
  ck_assert_msg (wait_vtysh ("bgp", "r1", "show ip bgp", "10.2.0.0/24", 90),
                 "r1 never learned 10.2.0.0/24 from AS 65002");
  ck_assert (wait_vtysh ("bgp", "r2", "show ip bgp", "10.1.0.0/24", 30));
  /* In bgpd's table first, then in zebra's RIB: wait for the route itself. */
  ck_assert_msg (wait_vtysh ("bgp", "r1", "show ip route 10.2.0.0/24", "Known via \"bgp\"", 30),
                 "r1 has no BGP route to 10.2.0.0/24");
  ck_assert (wait_ping ("bgp", "h1", "10.2.0.12", 30));
  tl_destroy_ok ("bgp");
  tl_assert_clean ("bgp");
  loom_lab_free (lab);
}
END_TEST

static Suite *
routing_suite (void)
{
  Suite *s = suite_create ("routing");
  TCase *tc = tcase_create ("frr");

  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_ospf_triangle_converges_reroutes_recovers);
  tcase_add_test (tc, test_bgp_two_ases_exchange_prefixes);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tl_main (routing_suite, "test_routing");
}
