/* Link impairments measured with real traffic (root, real namespaces, the real
 * supervisor path): delay shows in ping and in the capture, loss drops what it says,
 * rate holds iperf3 to it, and lab-file impairments apply from the first frame. */
#include <math.h>

#include "core/supervisor.h"
#include "tests/netns/testlib.h"

static const char pair[] = "topology:\n"
                           "  nodes: {a: {}, b: {}}\n"
                           "  links:\n"
                           "    - {endpoints: [\"a:eth1\", \"b:eth1\"], ipv4: [10.9.0.1/24, 10.9.0.2/24]}\n";

static void
impair (const char *lab, const char *ep, const char *setting)
{
  loom_error_t err = NULL;
  const char *args[] = { setting };
  int r = loom_lab_impair_set (lab, ep, setting ? args : NULL, setting ? 1 : 0, &err);
  ck_assert_msg (r == 0, "impair %s %s: %s", ep, setting ? setting : "reset", err ? err->msg : "");
}

/* Runs ping in a; returns "received" and the average RTT. */
static int
ping_stats (const char *lab, const char *count, const char *interval, double *avg)
{
  loom_autofree char *out = NULL;
  const char *p;
  int received = -1;

  tl_run (lab, "a", &out,
          (const char *const[]){ "ping", "-q", "-c", count, "-i", interval, "-W", "1", "10.9.0.2",
                                 NULL });
  p = strstr (out, " received");
  if (p)
    {
      while (p > out && p[-1] != ' ' && p[-1] != ',')
        p--;
      received = atoi (p);
    }
  p = strstr (out, "rtt min/avg/max/mdev = ");
  *avg = p ? strtod (strchr (p + 23, '/') + 1, NULL) : -1;
  return received;
}

START_TEST (test_delay_both_ways_and_in_the_capture)
{
  struct loom_lab *lab = tl_load ("delay", pair);
  double avg;

  tl_deploy_ok (lab);
  impair ("delay", "a:eth1", "delay=50ms");
  impair ("delay", "b:eth1", "delay=50ms");
  /* The first ping also waits for ARP (delayed both ways too): leave it out. */
  ck_assert_int_eq (ping_stats ("delay", "1", "0.2", &avg), 1);
  ck_assert_int_eq (ping_stats ("delay", "10", "0.2", &avg), 10);
  ck_assert_msg (fabs (avg - 100.0) <= 5.0, "RTT %.2f ms, want 100 +- 5", avg);
  /* The capture of the link (at a:eth1) sees each reply 100 ms after its request. */
  {
    json_t *req = json_pack ("{s:s}", "cmd", "captures");
    loom_autofree char *file
        = loom_xasprintf ("%s/netloom-delay/captures/a-eth1/a-eth1-000001.pcapng", tl_tmpdir);
    loom_autofree char *out = NULL;
    json_decref (loom_supervisor_call ("delay", req, NULL));
    json_decref (req);
    tl_host_run (&out, (const char *const[]){ "tshark", "-n", "-r", file, "-Y", "icmp.type == 0",
                                              "-T", "fields", "-e", "icmp.resptime", NULL });
    ck_assert_msg (tl_count_lines (out) >= 11, "replies in the capture: %s", out);
    /* the last reply's: the first ones waited for ARP as well */
    {
      char *last = out + strlen (out) - 1;
      while (last > out && last[-1] != '\n')
        last--;
      ck_assert_msg (fabs (strtod (last, NULL) - 100.0) <= 5.0, "capture response time %s", last);
    }
  }
  /* reset: back to a plain wire. */
  impair ("delay", "a:eth1", NULL);
  impair ("delay", "b:eth1", NULL);
  ck_assert_int_eq (ping_stats ("delay", "5", "0.2", &avg), 5);
  ck_assert_msg (avg < 5.0, "RTT after reset %.2f ms", avg);
  tl_destroy_ok ("delay");
  tl_assert_clean ("delay");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_loss)
{
  struct loom_lab *lab = tl_load ("loss", pair);
  double avg;
  int got;

  tl_deploy_ok (lab);
  impair ("loss", "a:eth1", "loss=100%");
  ck_assert_int_eq (ping_stats ("loss", "5", "0.2", &avg), 0);
  impair ("loss", "a:eth1", "loss=30%");
  got = ping_stats ("loss", "500", "0.005", &avg);
  ck_assert_msg (got >= 300 && got <= 400, "loss=30%%: %d of 500 answered", got);
  tl_destroy_ok ("loss");
  tl_assert_clean ("loss");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_rate)
{
  struct loom_lab *lab = tl_load ("rate", pair);
  loom_autofree char *out = NULL;
  struct tl_iperf server;
  const char *p;
  double mbit;

  tl_deploy_ok (lab);
  impair ("rate", "a:eth1", "rate=10mbit");
  server = tl_iperf_server ("rate", "b", "10.9.0.2");
  tl_run ("rate", "a", &out,
          (const char *const[]){ "iperf3", "-c", "10.9.0.2", "-t", "5", "-O", "1", "-f", "m",
                                 NULL });
  tl_iperf_server_end (&server);
  p = strstr (out, "receiver");
  ck_assert_msg (p != NULL, "iperf3: %s", out);
  while (p > out && p[-1] != '\n')
    p--;
  p = strstr (p, "MBytes");
  ck_assert (p != NULL);
  mbit = strtod (p + 6, NULL);
  ck_assert_msg (mbit >= 9.0 && mbit <= 11.0, "rate=10mbit gave %.2f Mbit/s", mbit);
  tl_destroy_ok ("rate");
  tl_assert_clean ("rate");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_lab_file_impairment_from_the_start)
{
  struct loom_lab *lab = tl_load (
      "labimp", "topology:\n"
                "  nodes: {a: {}, b: {}}\n"
                "  links:\n"
                "    - endpoints: [\"a:eth1\", \"b:eth1\"]\n"
                "      ipv4: [10.9.0.1/24, 10.9.0.2/24]\n"
                "      impair: {delay: 20ms}\n");
  double avg;

  tl_deploy_ok (lab);
  ck_assert_int_eq (ping_stats ("labimp", "1", "0.2", &avg), 1); /* ARP */
  ck_assert_int_eq (ping_stats ("labimp", "5", "0.2", &avg), 5);
  ck_assert_msg (fabs (avg - 40.0) <= 5.0, "RTT %.2f ms, want 40 +- 5", avg);
  tl_destroy_ok ("labimp");
  tl_assert_clean ("labimp");
  loom_lab_free (lab);
}
END_TEST

static Suite *
impair_suite (void)
{
  Suite *s = suite_create ("impair");
  TCase *tc = tcase_create ("netns");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_delay_both_ways_and_in_the_capture);
  tcase_add_test (tc, test_loss);
  tcase_add_test (tc, test_rate);
  tcase_add_test (tc, test_lab_file_impairment_from_the_start);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tl_main (impair_suite, "test_impair");
}
