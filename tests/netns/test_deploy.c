/* Deploy and destroy real labs (root, real namespaces): pings across a router, VLANs on
 * a switch, hub flooding, MTU and MACs, IPv6, exec, two labs side by side, rollback at
 * every step, and destroy after kill -9 at every step. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core/fault.h"
#include "tests/netns/testlib.h"

static const char quickstart[] = "topology:\n"
                                 "  nodes:\n"
                                 "    h1: {kind: host, routes: [\"default via 10.0.1.1\"],\n"
                                 "         exec: [\"echo hello from $GREETING\"], env: {GREETING: h1}}\n"
                                 "    h2: {kind: host, routes: [\"default via 10.0.1.1\"]}\n"
                                 "    sw1: {kind: switch}\n"
                                 "    r1: {kind: router, sysctls: {net.ipv4.conf.all.rp_filter: 0}}\n"
                                 "    h3: {kind: host, routes: [\"10.0.1.0/24 via 10.0.2.1\"]}\n"
                                 "  links:\n"
                                 "    - endpoints: [\"h1:eth1\", \"sw1:p1\"]\n"
                                 "      ipv4: [\"10.0.1.11/24\", \"\"]\n"
                                 "    - endpoints: [\"h2:eth1\", \"sw1:p2\"]\n"
                                 "      ipv4: [\"10.0.1.12/24\", \"\"]\n"
                                 "    - endpoints: [\"r1:eth1\", \"sw1:p3\"]\n"
                                 "      ipv4: [\"10.0.1.1/24\", \"\"]\n"
                                 "    - endpoints: [\"r1:eth2\", \"h3:eth1\"]\n"
                                 "      ipv4: [\"10.0.2.1/24\", \"10.0.2.13/24\"]\n";

START_TEST (test_quickstart_pings_cross_router)
{
  struct loom_lab *lab = tl_load ("quick", quickstart);
  loom_autofree char *log = NULL;
  loom_autofree char *logpath = loom_xasprintf ("%s/netloom-quick/logs/h1.exec.log", tl_tmpdir);

  tl_deploy_ok (lab);
  ck_assert (tl_ping ("quick", "h1", "10.0.1.12"));
  ck_assert (tl_ping ("quick", "h1", "10.0.2.13"));
  ck_assert (tl_ping ("quick", "h3", "10.0.1.12"));
  /* A pulled cable cuts h3 off and takes its route with it; put back, the route is
   * there again and h3 answers at once. */
  {
    loom_error_t err = NULL;
    ck_assert_msg (loom_lab_link_set ("quick", "h3:eth1", false, &err) == 0, "down: %s",
                   err ? err->msg : "");
    ck_assert (!tl_ping ("quick", "h1", "10.0.2.13"));
    ck_assert_msg (loom_lab_link_set ("quick", "h3:eth1", true, &err) == 0, "up: %s",
                   err ? err->msg : "");
    ck_assert (tl_ping ("quick", "h1", "10.0.2.13"));
    ck_assert (tl_ping ("quick", "h3", "10.0.1.12"));
  }
  /* exec ran after the links were up, with the node's env, and its output is logged. */
  ck_assert_int_eq (loom_read_file (logpath, &log, NULL, NULL), 0);
  ck_assert_msg (strstr (log, "hello from h1"), "exec log: %s", log);
  tl_destroy_ok ("quick");
  /* destroy removes the files it made; the lab dir goes once it is empty. */
  {
    loom_autofree char *labdir = loom_xasprintf ("%s/netloom-quick", tl_tmpdir);
    struct stat st;
    ck_assert_msg (stat (labdir, &st) < 0, "lab dir remains after destroy");
  }
  tl_assert_clean ("quick");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_deploy_twice_is_an_error)
{
  struct loom_lab *lab = tl_load ("twice", quickstart);
  loom_error_t err = NULL;

  tl_deploy_ok (lab);
  ck_assert_int_lt (loom_lab_deploy (lab, NULL, &err), 0);
  ck_assert_msg (strstr (err->msg, "already deployed"), "got: %s", err->msg);
  loom_error_release (&err);
  /* The failed second deploy must not have broken the first. */
  ck_assert (tl_ping ("twice", "h1", "10.0.2.13"));
  tl_destroy_ok ("twice");
  tl_assert_clean ("twice");
  loom_lab_free (lab);
}
END_TEST

static const char vlans[] = "topology:\n"
                            "  nodes:\n"
                            "    sw1:\n"
                            "      kind: switch\n"
                            "      vlan-filtering: true\n"
                            "      interfaces: {p1: {vlan: 10}, p2: {vlan: 20}, p9: {trunk: [10, 20]}}\n"
                            "    sw2:\n"
                            "      kind: switch\n"
                            "      vlan-filtering: true\n"
                            "      interfaces: {p1: {vlan: 10}, p2: {vlan: 20}, p9: {trunk: [10, 20]}}\n"
                            "    h1: {}\n"
                            "    h2: {}\n"
                            "    h3: {}\n"
                            "    h4: {}\n"
                            "  links:\n"
                            "    - {endpoints: [\"h1:eth1\", \"sw1:p1\"], ipv4: [\"10.0.0.1/24\", \"\"]}\n"
                            "    - {endpoints: [\"h2:eth1\", \"sw1:p2\"], ipv4: [\"10.0.0.2/24\", \"\"]}\n"
                            "    - {endpoints: [\"h3:eth1\", \"sw2:p1\"], ipv4: [\"10.0.0.3/24\", \"\"]}\n"
                            "    - {endpoints: [\"h4:eth1\", \"sw2:p2\"], ipv4: [\"10.0.0.4/24\", \"\"]}\n"
                            "    - {endpoints: [\"sw1:p9\", \"sw2:p9\"]}\n";

START_TEST (test_vlans_isolate_and_trunk_carries)
{
  struct loom_lab *lab = tl_load ("vlans", vlans);

  tl_deploy_ok (lab);
  /* Same VLAN across the trunk: reachable. */
  ck_assert (tl_ping ("vlans", "h1", "10.0.0.3"));
  ck_assert (tl_ping ("vlans", "h2", "10.0.0.4"));
  /* Different VLANs on the same switch, and across the trunk: not reachable. */
  ck_assert (!tl_ping ("vlans", "h1", "10.0.0.2"));
  ck_assert (!tl_ping ("vlans", "h1", "10.0.0.4"));
  tl_destroy_ok ("vlans");
  tl_assert_clean ("vlans");
  loom_lab_free (lab);
}
END_TEST

/* Opens an AF_PACKET socket inside a node's namespace (the socket stays bound to it). */
static int
sniff_open (const char *lab, const char *node)
{
  loom_autofree char *ns = loom_xasprintf ("%s-%s-%s", tl_prefix, lab, node);
  int nsfd = loom_netns_open (ns, NULL), fd;

  ck_assert_int_ge (nsfd, 0);
  ck_assert_int_eq (setns (nsfd, CLONE_NEWNET), 0);
  fd = socket (AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons (ETH_P_ALL));
  ck_assert_int_ge (setns (loom_netns_host_fd (), CLONE_NEWNET), 0);
  close (nsfd);
  ck_assert_int_ge (fd, 0);
  return fd;
}

/* Counts ICMP frames queued on the socket that are addressed to none of the sniffer's
 * own addresses (unicast between two other hosts). */
static int
sniff_count_icmp (int fd)
{
  unsigned char buf[2048];
  int n = 0;
  ssize_t r;

  while ((r = recv (fd, buf, sizeof buf, 0)) > 0)
    {
      struct ether_header *eh = (struct ether_header *) buf;
      struct iphdr *ip = (struct iphdr *) (buf + sizeof *eh);
      if ((size_t) r >= sizeof *eh + sizeof *ip && ntohs (eh->ether_type) == ETHERTYPE_IP
          && ip->protocol == IPPROTO_ICMP && !(eh->ether_dhost[0] & 1))
        n++;
    }
  return n;
}

START_TEST (test_hub_floods_switch_does_not)
{
  const char *kinds[] = { "hub", "switch" };
  int seen[2];
  int k;

  for (k = 0; k < 2; k++)
    {
      loom_autofree char *body = loom_xasprintf (
          "topology:\n"
          "  nodes:\n"
          "    x1: {kind: %s}\n"
          "    h1: {}\n"
          "    h2: {}\n"
          "    h3: {}\n"
          "  links:\n"
          "    - {endpoints: [\"h1:eth1\", \"x1:p1\"], ipv4: [\"10.0.0.1/24\", \"\"]}\n"
          "    - {endpoints: [\"h2:eth1\", \"x1:p2\"], ipv4: [\"10.0.0.2/24\", \"\"]}\n"
          "    - {endpoints: [\"h3:eth1\", \"x1:p3\"], ipv4: [\"10.0.0.3/24\", \"\"]}\n",
          kinds[k]);
      struct loom_lab *lab = tl_load (kinds[k], body);
      int fd;

      tl_deploy_ok (lab);
      /* Let both learn each other's MAC first (the ARP exchange). */
      ck_assert (tl_ping (kinds[k], "h1", "10.0.0.2"));
      fd = sniff_open (kinds[k], "h3");
      ck_assert_int_eq (TL_RUN (kinds[k], "h1", "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.2"), 0);
      seen[k] = sniff_count_icmp (fd);
      close (fd);
      tl_destroy_ok (kinds[k]);
      tl_assert_clean (kinds[k]);
      loom_lab_free (lab);
    }
  ck_assert_msg (seen[0] >= 6, "hub: h3 saw %d of the 6 unicast ICMP frames", seen[0]);
  ck_assert_msg (seen[1] == 0, "switch: h3 saw %d unicast ICMP frames", seen[1]);
}
END_TEST

static void
iface_info (const char *lab, const char *node, const char *ifname, int *mtu, unsigned char mac[6])
{
  loom_autofree char *ns = loom_xasprintf ("%s-%s-%s", tl_prefix, lab, node);
  int nsfd = loom_netns_open (ns, NULL), fd;
  struct ifreq ifr = { 0 };

  ck_assert_int_ge (nsfd, 0);
  ck_assert_int_eq (setns (nsfd, CLONE_NEWNET), 0);
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ck_assert_int_eq (setns (loom_netns_host_fd (), CLONE_NEWNET), 0);
  close (nsfd);
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  ck_assert_int_eq (ioctl (fd, SIOCGIFMTU, &ifr), 0);
  *mtu = ifr.ifr_mtu;
  ck_assert_int_eq (ioctl (fd, SIOCGIFHWADDR, &ifr), 0);
  memcpy (mac, ifr.ifr_hwaddr.sa_data, 6);
  close (fd);
}

/* Setting a link up returns before the kernel acts on its carrier (it does that later,
 * in batches, a second apart once busy); until it has, an end drops what it is given
 * and a bridge does not forward through its port. When deploy returns, every end of a
 * big star is already operationally up and every switch port forwarding, as a dump
 * (which does not make the kernel catch up) shows. */
START_TEST (test_links_work_when_deploy_returns)
{
  enum
  {
    HOSTS = 300
  };
  loom_autofree char *body = loom_xstrdup ("topology:\n  nodes:\n    sw1: {kind: switch}\n");
  loom_autofree char *links = loom_xstrdup ("  links:\n");
  loom_autofree char *ports = NULL, *hosts = NULL;
  loom_autofree char *sw = loom_xasprintf ("%s-ready-sw1", tl_prefix);
  struct loom_lab *lab;
  const char *line;
  int i, up = 0, forwarding = 0, hosts_up = 0;

  for (i = 1; i <= HOSTS; i++)
    {
      char *b = loom_xasprintf ("%s    h%d: {kind: host}\n", body, i);
      char *l = loom_xasprintf ("%s    - endpoints: [\"h%d:eth1\", \"sw1:p%d\"]\n", links, i, i);
      free (body), body = b;
      free (links), links = l;
    }
  {
    char *b = loom_xasprintf ("%s%s", body, links);
    free (body), body = b;
  }
  lab = tl_load ("ready", body);
  tl_deploy_ok (lab);
  ck_assert_int_eq (
      tl_host_run (&ports, (const char *const[]){ "ip", "-n", sw, "-d", "-o", "link", "show", NULL }),
      0);
  for (line = ports; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : "")
    {
      const char *end = strchr (line, '\n') ? strchr (line, '\n') : line + strlen (line);
      loom_autofree char *one = loom_xstrndup (line, (size_t) (end - line));
      if (strstr (one, "master br0") == NULL)
        continue;
      up += strstr (one, " state UP ") != NULL;
      forwarding += strstr (one, "bridge_slave state forwarding") != NULL;
    }
  /* And the host ends, every 30th, also read by a dump. */
  for (i = 30; i <= HOSTS; i += 30)
    {
      loom_autofree char *ns = loom_xasprintf ("%s-ready-h%d", tl_prefix, i);
      free (hosts), hosts = NULL;
      ck_assert_int_eq (
          tl_host_run (&hosts, (const char *const[]){ "ip", "-n", ns, "-o", "link", "show", NULL }),
          0);
      hosts_up += strstr (hosts, "eth1@") && strstr (strstr (hosts, "eth1@"), " state UP ");
    }
  ck_assert_msg (up == HOSTS, "%d of %d switch ports operationally up", up, HOSTS);
  ck_assert_msg (forwarding == HOSTS, "%d of %d switch ports forwarding", forwarding, HOSTS);
  ck_assert_int_eq (hosts_up, HOSTS / 30);
  tl_destroy_ok ("ready");
  loom_lab_free (lab);
  tl_assert_clean ("ready");
}
END_TEST

START_TEST (test_mtu_and_mac_as_written)
{
  struct loom_lab *lab = tl_load (
      "mtumac", "topology:\n"
                "  nodes: {a: {}, b: {}, c: {}}\n"
                "  links:\n"
                "    - endpoints: [\"a:eth1\", \"b:eth1\"]\n"
                "      mtu: 9000\n"
                "      ipv4: [\"10.9.0.1/24\", \"10.9.0.2/24\"]\n"
                "    - type: veth\n"
                "      mtu: 1400\n"
                "      endpoints:\n"
                "        - {node: a, interface: eth2, mac: \"02:aa:bb:cc:dd:01\"}\n"
                "        - {node: c, interface: uplink0, mac: \"02:aa:bb:cc:dd:02\"}\n");
  unsigned char mac[6];
  const unsigned char want1[6] = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 1 };
  const unsigned char want2[6] = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 2 };
  int mtu;

  tl_deploy_ok (lab);
  iface_info ("mtumac", "a", "eth1", &mtu, mac);
  ck_assert_int_eq (mtu, 9000);
  iface_info ("mtumac", "b", "eth1", &mtu, mac);
  ck_assert_int_eq (mtu, 9000);
  iface_info ("mtumac", "a", "eth2", &mtu, mac);
  ck_assert_int_eq (mtu, 1400);
  ck_assert_mem_eq (mac, want1, 6);
  iface_info ("mtumac", "c", "uplink0", &mtu, mac);
  ck_assert_mem_eq (mac, want2, 6);
  /* Jumbo frames cross the 9000-byte link unfragmented. */
  ck_assert_int_eq (TL_RUN ("mtumac", "a", "ping", "-c", "1", "-W", "2", "-M", "do", "-s", "8972",
                            "10.9.0.2"),
                    0);
  tl_destroy_ok ("mtumac");
  tl_assert_clean ("mtumac");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_ipv6_across_router)
{
  struct loom_lab *lab = tl_load (
      "six", "topology:\n"
             "  nodes:\n"
             "    a: {routes: [\"default via 2001:db8:1::1\"]}\n"
             "    r: {kind: router}\n"
             "    b: {routes: [\"2001:db8:1::/64 via 2001:db8:2::1\"]}\n"
             "  links:\n"
             "    - endpoints: [\"a:eth1\", \"r:eth1\"]\n"
             "      ipv6: [\"2001:db8:1::2/64\", \"2001:db8:1::1/64\"]\n"
             "    - endpoints: [\"r:eth2\", \"b:eth1\"]\n"
             "      ipv6: [\"2001:db8:2::1/64\", \"2001:db8:2::2/64\"]\n");

  tl_deploy_ok (lab);
  ck_assert (tl_ping ("six", "a", "2001:db8:2::2"));
  tl_destroy_ok ("six");
  tl_assert_clean ("six");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_two_labs_side_by_side)
{
  struct loom_lab *a = tl_load ("laba", quickstart);
  struct loom_lab *b = tl_load ("labb", quickstart);

  tl_deploy_ok (a);
  tl_deploy_ok (b);
  ck_assert (tl_ping ("laba", "h1", "10.0.2.13"));
  ck_assert (tl_ping ("labb", "h1", "10.0.2.13"));
  tl_destroy_ok ("laba");
  tl_assert_clean ("laba");
  ck_assert (tl_ping ("labb", "h1", "10.0.2.13"));
  tl_destroy_ok ("labb");
  tl_assert_clean ("labb");
  loom_lab_free (a);
  loom_lab_free (b);
}
END_TEST

/* Counts the steps of a whole deploy (and checks it works with counting on). */
static int
count_steps (struct loom_lab *lab)
{
  int steps;
  setenv ("NETLOOM_FAULT_STEP", "1000000", 1);
  tl_deploy_ok (lab);
  unsetenv ("NETLOOM_FAULT_STEP");
  tl_destroy_ok (lab->name);
  tl_assert_clean (lab->name);
  /* The library's counter counted every step of that deploy. */
  steps = loom_fault_steps ();
  ck_assert_int_gt (steps, 10);
  return steps;
}

START_TEST (test_rollback_at_every_step)
{
  struct loom_lab *lab = tl_load ("rollback", quickstart);
  int steps = count_steps (lab), n;
  char num[16];

  for (n = 1; n <= steps; n++)
    {
      loom_error_t err = NULL;
      snprintf (num, sizeof num, "%d", n);
      setenv ("NETLOOM_FAULT_STEP", num, 1);
      ck_assert_msg (loom_lab_deploy (lab, NULL, &err) < 0, "step %d: deploy did not fail", n);
      ck_assert_msg (strstr (err->msg, "injected fault") && strstr (err->msg, "rolled back"),
                     "step %d: %s", n, err->msg);
      loom_error_release (&err);
      tl_assert_clean ("rollback");
    }
  unsetenv ("NETLOOM_FAULT_STEP");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_kill9_at_every_step_then_destroy)
{
  struct loom_lab *lab = tl_load ("killed", quickstart);
  int steps = count_steps (lab), n;

  for (n = 1; n <= steps; n++)
    {
      pid_t pid = fork ();
      int status;
      loom_error_t err = NULL;

      ck_assert_int_ge (pid, 0);
      if (pid == 0)
        {
          char num[16];
          snprintf (num, sizeof num, "%d", n);
          setenv ("NETLOOM_FAULT_STEP", num, 1);
          setenv ("NETLOOM_FAULT_CRASH", "1", 1);
          loom_lab_deploy (lab, NULL, NULL);
          _exit (0);
        }
      ck_assert_int_eq (waitpid (pid, &status, 0), pid);
      ck_assert_msg (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
                     "step %d: deploy was not killed", n);
      /* The lab is known (state was written before the first object)... */
      if (loom_lab_destroy ("killed", LOOM_DESTROY_CLEANUP, &err) < 0)
        {
          /* ...unless the kill came before the state directory existed. */
          ck_assert_msg (strstr (err->msg, "no lab named"), "step %d: %s", n, err->msg);
          loom_error_release (&err);
        }
      tl_assert_clean ("killed");
    }
  loom_lab_free (lab);
}
END_TEST

static int
run_ip (const char *a1, const char *a2, const char *a3)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      execlp ("ip", "ip", a1, a2, a3, (char *) NULL);
      _exit (127);
    }
  return loom_wait_status (pid);
}

START_TEST (test_foreign_namespace_is_never_touched)
{
  struct loom_lab *lab = tl_load ("clash", quickstart);
  loom_autofree char *foreign = loom_xasprintf ("%s-clash-h2", tl_prefix);
  loom_error_t err = NULL;
  char what[512];

  /* Somebody else owns the name one of our nodes would get. */
  ck_assert_int_eq (run_ip ("netns", "add", foreign), 0);
  ck_assert_int_lt (loom_lab_deploy (lab, NULL, &err), 0);
  ck_assert_msg (strstr (err->msg, "already exists"), "got: %s", err->msg);
  loom_error_release (&err);
  /* Rolled back, and the foreign namespace is still there. */
  ck_assert (loom_netns_exists (foreign));
  ck_assert_int_eq (run_ip ("netns", "del", foreign), 0);
  ck_assert_int_eq (tl_count_leftovers ("clash", what, sizeof what), 0);
  tl_assert_clean ("clash");
  loom_lab_free (lab);
}
END_TEST

static Suite *
deploy_suite (void)
{
  Suite *s = suite_create ("deploy");
  TCase *tc = tcase_create ("netns");

  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_quickstart_pings_cross_router);
  tcase_add_test (tc, test_deploy_twice_is_an_error);
  tcase_add_test (tc, test_vlans_isolate_and_trunk_carries);
  tcase_add_test (tc, test_hub_floods_switch_does_not);
  tcase_add_test (tc, test_mtu_and_mac_as_written);
  tcase_add_test (tc, test_links_work_when_deploy_returns);
  tcase_add_test (tc, test_ipv6_across_router);
  tcase_add_test (tc, test_two_labs_side_by_side);
  tcase_add_test (tc, test_foreign_namespace_is_never_touched);
  tcase_add_test (tc, test_rollback_at_every_step);
  tcase_add_test (tc, test_kill9_at_every_step_then_destroy);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tl_main (deploy_suite, "test_deploy");
}
