/* Unit tests for topology/frr.c: the frr.conf netloom writes for a router's ospf, bgp and
 * rip settings, and frr-config passed through as given. Each rendered configuration is
 * also checked by FRR itself, `vtysh --dryrun -f FILE`, which parses every line with
 * FRR 8.4's own command tables: a test passes only when FRR would take the file. That
 * check needs FRR installed (/usr/bin/vtysh); without it the tests fail and say so. Runs
 * under valgrind with CK_FORK=no. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "topology/model.h"
#include "tests/unit/testdata.h"

#define VTYSH "/usr/bin/vtysh"

static struct loom_diags diags;
static struct loom_lab *lab;
static char *conf; /* the last render */

static void
setup (void)
{
  memset (&diags, 0, sizeof (diags));
  lab = NULL;
  conf = NULL;
}

static void
teardown (void)
{
  loom_lab_free (lab);
  lab = NULL;
  free (conf);
  conf = NULL;
  loom_diags_clear (&diags);
}

static const char *
dump (void)
{
  static char buf[8192];
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

static void
load (const char *yaml)
{
  lab = loom_topology_load_buffer ("lab.yml", yaml, strlen (yaml), &diags);
  ck_assert_msg (lab != NULL && diags.n_errors == 0, "the lab should load; got:\n%s", dump ());
}

/* Renders @name's frr.conf into `conf`. */
static const char *
render (const char *name)
{
  struct loom_node *n = loom_lab_find_node (lab, name);

  ck_assert_msg (n != NULL, "no node %s", name);
  free (conf);
  conf = loom_frr_render (n);
  ck_assert_msg (conf != NULL, "no frr.conf for %s", name);
  return conf;
}

/* Whether @text has @line as one whole line (leading spaces included). */
static bool
has_line (const char *text, const char *line)
{
  size_t n = strlen (line);
  const char *p;

  for (p = text; (p = strstr (p, line)) != NULL; p++)
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

#define ck_line(line)                                                                              \
  ck_assert_msg (has_line (conf, line), "expected the line \"%s\" in:\n%s", line, conf)
#define ck_no_line(line)                                                                           \
  ck_assert_msg (!has_line (conf, line), "did not expect the line \"%s\" in:\n%s", line, conf)

/* Line @a comes before line @b. */
static void
ck_order (const char *a, const char *b)
{
  const char *pa = strstr (conf, a), *pb = strstr (conf, b);

  ck_assert_msg (pa && pb && pa < pb, "expected \"%s\" before \"%s\" in:\n%s", a, b, conf);
}

/* Runs FRR's own check on @text; returns its exit status and what it printed. */
static int
vtysh_dryrun (const char *text, char *out, size_t size)
{
  char path[] = "/tmp/netloom-test-frr-XXXXXX";
  loom_autofree char *cmd = NULL;
  size_t len = strlen (text), off = 0;
  int fd, status;
  FILE *p;

  ck_assert_msg (access (VTYSH, X_OK) == 0,
                 VTYSH " not found: FRR must be installed to check the frr.conf netloom writes "
                       "(the frr package; make test installs it)");
  fd = mkstemp (path);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, text, len), (ssize_t) len);
  close (fd);
  cmd = loom_xasprintf (VTYSH " --dryrun -f %s 2>&1", path);
  p = popen (cmd, "r");
  ck_assert_ptr_nonnull (p);
  out[0] = '\0';
  while (off < size - 1 && fgets (out + off, (int) (size - off), p))
    off += strlen (out + off);
  status = pclose (p);
  unlink (path);
  ck_assert_msg (WIFEXITED (status), "vtysh did not exit normally");
  return WEXITSTATUS (status);
}

/* FRR accepts every line of @text. */
static void
ck_frr_valid (const char *text)
{
  char out[4096];
  int rc = vtysh_dryrun (text, out, sizeof (out));

  ck_assert_msg (rc == 0,
                 "vtysh --dryrun refused the configuration (exit %d):\n%s\n--- config:\n%s", rc,
                 out, text);
}

START_TEST (test_ospf_full)
{
  static const char want[] = "frr version 8.4\n"
                             "frr defaults traditional\n"
                             "hostname r1\n"
                             "service integrated-vtysh-config\n"
                             "!\n"
                             "interface eth1\n"
                             " ip ospf area 0.0.0.1\n"
                             " ip ospf network point-to-point\n"
                             "!\n"
                             "interface eth2\n"
                             " ip ospf area 0.0.0.1\n"
                             " ip ospf network point-to-point\n"
                             " ip ospf passive\n"
                             "!\n"
                             "interface lo\n"
                             " ip ospf area 0.0.0.1\n"
                             " ip ospf passive\n"
                             "!\n"
                             "router ospf\n"
                             " ospf router-id 1.1.1.1\n"
                             "!\n"
                             "line vty\n"
                             "!\n";

  load ("name: o\n"
        "topology:\n"
        "  nodes:\n"
        "    r1:\n"
        "      kind: router\n"
        "      ospf: {area: 0.0.0.1, interfaces: [eth1, eth2], passive: [eth2, lo],\n"
        "             router-id: 1.1.1.1}\n"
        "    r2: {kind: router}\n"
        "  links:\n"
        "    - endpoints: [r1:eth1, r2:eth1]\n"
        "    - endpoints: [r1:eth2, r2:eth2]\n"
        "    - endpoints: [r1:eth3, r2:eth3]\n");
  render ("r1");
  ck_assert_str_eq (conf, want);
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_ospf_defaults)
{
  load ("name: o\n"
        "topology:\n"
        "  kinds:\n"
        "    router: {ospf: {area: 0}}\n"
        "  nodes:\n"
        "    r1: {kind: router}\n"
        "    r2: {kind: router}\n"
        "  links:\n"
        "    - endpoints: [r1:eth1, r2:eth1]\n"
        "    - endpoints: [r1:eth2, r2:eth2]\n");
  render ("r2");
  ck_line ("hostname r2");
  ck_line ("interface eth1");
  ck_line ("interface eth2");
  ck_line (" ip ospf area 0");
  ck_no_line (" ip ospf passive");
  ck_no_line ("interface lo");
  ck_line ("router ospf");
  ck_no_line (" ospf router-id 1.1.1.1");
  ck_assert_ptr_null (strstr (conf, "router-id"));
  ck_order ("interface eth1", "interface eth2");
  ck_order ("interface eth2", "router ospf");
  ck_order ("router ospf", "line vty");
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_header)
{
  load ("name: h\n"
        "topology:\n"
        "  nodes:\n"
        "    core-1.a: {kind: router, rip: {}}\n");
  render ("core-1.a");
  ck_assert (strncmp (conf, "frr version 8.4\nfrr defaults traditional\nhostname core-1.a\n", 59)
             == 0);
  ck_line ("service integrated-vtysh-config");
  /* Daemons log to stdout, which netloom captures: no log file. */
  ck_assert_ptr_null (strstr (conf, "log "));
  ck_assert (strlen (conf) > 0 && conf[strlen (conf) - 1] == '\n');
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_bgp_ipv4)
{
  load ("name: b\n"
        "topology:\n"
        "  nodes:\n"
        "    r1:\n"
        "      kind: router\n"
        "      bgp:\n"
        "        asn: 65001\n"
        "        router-id: 1.1.1.1\n"
        "        neighbors: [{address: 10.0.0.2, remote-as: 65002}, {address: 10.0.0.6, "
        "remote-as: 65001}]\n"
        "        networks: [10.1.0.0/24, 10.1.1.0/24]\n"
        "    r2: {kind: router, bgp: {asn: 4294967295}}\n"
        "  links:\n"
        "    - endpoints: [r1:eth1, r2:eth1]\n");
  render ("r1");
  ck_line ("router bgp 65001");
  ck_line (" bgp router-id 1.1.1.1");
  ck_line (" no bgp ebgp-requires-policy");
  ck_line (" no bgp network import-check");
  ck_line (" neighbor 10.0.0.2 remote-as 65002");
  ck_line (" neighbor 10.0.0.6 remote-as 65001");
  ck_line (" address-family ipv4 unicast");
  ck_line ("  network 10.1.0.0/24");
  ck_line ("  network 10.1.1.0/24");
  ck_line (" exit-address-family");
  ck_no_line (" address-family ipv6 unicast");
  ck_order ("router bgp 65001", " bgp router-id");
  ck_order (" neighbor 10.0.0.6 remote-as", " address-family ipv4 unicast");
  ck_order (" address-family ipv4 unicast", "  network 10.1.0.0/24");
  ck_order ("  network 10.1.1.0/24", " exit-address-family");
  ck_frr_valid (conf);

  /* A 4-byte AS, no router-id, nothing to announce: no address-family block. */
  render ("r2");
  ck_line ("router bgp 4294967295");
  ck_assert_ptr_null (strstr (conf, "router-id"));
  ck_assert_ptr_null (strstr (conf, "address-family"));
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_bgp_ipv6)
{
  load ("name: b6\n"
        "topology:\n"
        "  nodes:\n"
        "    r1:\n"
        "      kind: router\n"
        "      bgp:\n"
        "        asn: 65001\n"
        "        neighbors:\n"
        "          - {address: \"2001:db8::2\", remote-as: 65002}\n"
        "          - {address: 10.0.0.2, remote-as: 65003}\n"
        "        networks: [\"2001:db8:1::/48\", 10.1.0.0/24]\n");
  render ("r1");
  ck_line (" neighbor 2001:db8::2 remote-as 65002");
  ck_line (" neighbor 10.0.0.2 remote-as 65003");
  ck_line (" address-family ipv4 unicast");
  ck_line ("  network 10.1.0.0/24");
  /* The IPv6 session carries IPv6 routes only. */
  ck_line ("  no neighbor 2001:db8::2 activate");
  ck_line (" address-family ipv6 unicast");
  ck_line ("  network 2001:db8:1::/48");
  ck_line ("  neighbor 2001:db8::2 activate");
  ck_no_line ("  neighbor 10.0.0.2 activate");
  ck_order (" address-family ipv4 unicast", "  no neighbor 2001:db8::2 activate");
  ck_order (" address-family ipv6 unicast", "  network 2001:db8:1::/48");
  ck_order ("  network 2001:db8:1::/48", "  neighbor 2001:db8::2 activate");
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_rip)
{
  load ("name: r\n"
        "topology:\n"
        "  nodes:\n"
        "    r1: {kind: router, rip: {networks: [10.0.0.0/8, eth1, 192.168.0.0/16]}}\n"
        "    r2: {kind: router}\n"
        "  links:\n"
        "    - endpoints: [r1:eth1, r2:eth1]\n");
  render ("r1");
  ck_line ("router rip");
  ck_line (" version 2");
  ck_line (" network 10.0.0.0/8");
  ck_line (" network eth1");
  ck_line (" network 192.168.0.0/16");
  ck_order ("router rip", " version 2");
  ck_order (" version 2", " network 10.0.0.0/8");
  ck_order (" network eth1", " network 192.168.0.0/16");
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_all_three)
{
  load ("name: a\n"
        "topology:\n"
        "  nodes:\n"
        "    r1:\n"
        "      kind: router\n"
        "      interfaces:\n"
        "        lo: {ipv4: 10.255.0.1}\n"
        "      ospf: {router-id: 10.255.0.1, passive: [lo]}\n"
        "      bgp:\n"
        "        asn: 65001\n"
        "        router-id: 10.255.0.1\n"
        "        neighbors: [{address: 10.0.0.2, remote-as: 65002}]\n"
        "        networks: [10.255.0.1/32]\n"
        "      rip: {networks: [eth2]}\n"
        "    r2: {kind: router}\n"
        "  links:\n"
        "    - endpoints: [r1:eth1, r2:eth1]\n"
        "    - endpoints: [r1:eth2, r2:eth2]\n");
  render ("r1");
  ck_line ("interface lo");
  ck_line (" ospf router-id 10.255.0.1");
  ck_line (" bgp router-id 10.255.0.1");
  ck_line ("  network 10.255.0.1/32");
  ck_line (" network eth2");
  ck_order ("router ospf", "router bgp 65001");
  ck_order ("router bgp 65001", "router rip");
  ck_order ("router rip", "line vty");
  ck_frr_valid (conf);
}
END_TEST

START_TEST (test_frr_config_as_is)
{
  static const char inline_conf[] = "frr defaults traditional\n"
                                    "hostname r1\n"
                                    "!\n"
                                    "router ospf\n"
                                    " ospf router-id 1.1.1.1\n"
                                    "!\n";

  load ("name: c\n"
        "topology:\n"
        "  nodes:\n"
        "    r1:\n"
        "      kind: router\n"
        "      frr-config: |\n"
        "        frr defaults traditional\n"
        "        hostname r1\n"
        "        !\n"
        "        router ospf\n"
        "         ospf router-id 1.1.1.1\n"
        "        !\n"
        "    h1: {}\n");
  render ("r1");
  ck_assert_str_eq (conf, inline_conf);
  ck_frr_valid (conf);
  /* No FRR on a node without settings. */
  ck_assert_ptr_null (loom_frr_render (loom_lab_find_node (lab, "h1")));
}
END_TEST


START_TEST (test_frr_config_file)
{
  char *path = data_path ("frr-lab.yaml");

  lab = loom_topology_load (path, &diags);
  ck_assert_msg (lab != NULL && diags.n == 0, "frr-lab.yaml should load; got:\n%s", dump ());
  render ("r1");
  ck_line ("hostname r1");
  ck_line (" ospf router-id 10.255.0.1");
  ck_frr_valid (conf);
  render ("r2");
  ck_line ("hostname r2");
  ck_frr_valid (conf);
  free (path);
}
END_TEST

/* The dry run is a real check: FRR refuses what it does not know. */
START_TEST (test_vtysh_refuses_bad_config)
{
  char out[4096];

  ck_assert_int_ne (vtysh_dryrun ("router ospf\n ospf router-id 1.1.1\n!\n", out, sizeof (out)), 0);
  ck_assert_int_ne (vtysh_dryrun ("interface eth1\n ip ospf area x\n!\n", out, sizeof (out)), 0);
  ck_assert_msg (strstr (out, "Unknown command") != NULL, "vtysh said: %s", out);
  ck_assert_int_eq (
      vtysh_dryrun ("router bgp 65001\n no bgp ebgp-requires-policy\n!\n", out, sizeof (out)), 0);
}
END_TEST

static Suite *
frr_suite (void)
{
  Suite *s = suite_create ("frr");
  TCase *tc = tcase_create ("render");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_ospf_full);
  tcase_add_test (tc, test_ospf_defaults);
  tcase_add_test (tc, test_header);
  tcase_add_test (tc, test_bgp_ipv4);
  tcase_add_test (tc, test_bgp_ipv6);
  tcase_add_test (tc, test_rip);
  tcase_add_test (tc, test_all_three);
  tcase_add_test (tc, test_frr_config_as_is);
  tcase_add_test (tc, test_frr_config_file);
  tcase_add_test (tc, test_vtysh_refuses_bad_config);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (frr_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
