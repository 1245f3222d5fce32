/* Capture on every link (root, real namespaces, a real supervisor): the files hold
 * exactly what crossed each link and open in tshark; caps hold under a flood; a live
 * socket honours its filter; a killed supervisor is reported, restarted, and cleaned
 * up by destroy. */
#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/capture.h"
#include "core/supervisor.h"
#include "tests/netns/testlib.h"

static const char lab2[] = "topology:\n"
                           "  nodes:\n"
                           "    h1: {routes: [\"default via 10.0.1.1\"]}\n"
                           "    h2: {}\n"
                           "    sw1: {kind: switch}\n"
                           "    r1: {kind: router}\n"
                           "    h3: {routes: [\"default via 10.0.2.1\"]}\n"
                           "  links:\n"
                           "    - {endpoints: [\"h1:eth1\", \"sw1:p1\"], ipv4: [\"10.0.1.11/24\", \"\"]}\n"
                           "    - {endpoints: [\"h2:eth1\", \"sw1:p2\"], ipv4: [\"10.0.1.12/24\", \"\"]}\n"
                           "    - {endpoints: [\"r1:eth1\", \"sw1:p3\"], ipv4: [\"10.0.1.1/24\", \"\"]}\n"
                           "    - {endpoints: [\"r1:eth2\", \"h3:eth1\"], ipv4: [\"10.0.2.1/24\", "
                           "\"10.0.2.13/24\"]}\n";

/* Asks the supervisor to write out what it holds; returns its answer. */
static json_t *
sync_captures (const char *lab)
{
  loom_error_t err = NULL;
  json_t *req = json_pack ("{s:s}", "cmd", "captures");
  json_t *resp = loom_supervisor_call (lab, req, &err);
  json_decref (req);
  ck_assert_msg (resp != NULL, "supervisor of %s does not answer", lab);
  return resp;
}

/* The newest (only) ring file of a link. */
static char *
ring_file (const char *lab, const char *name)
{
  return loom_xasprintf ("%s/netloom-%s/captures/%s/%s-000001.pcapng", tl_tmpdir, lab, name, name);
}

/* One line per packet of a file as tshark decodes it:
 * "ip.src,ip.dst,icmp.type,arp.opcode,arp.src.proto_ipv4,arp.dst.proto_ipv4".
 * (tshark takes a second to start: read each file once, count in C.) */
static char *
tshark_fields (const char *file)
{
  char *out = NULL;
  int st = tl_host_run (&out, (const char *const[]){ "tshark", "-n", "-r", file, "-T", "fields",
                                                     "-E", "separator=,", "-e", "ip.src", "-e",
                                                     "ip.dst", "-e", "icmp.type", "-e",
                                                     "arp.opcode", "-e", "arp.src.proto_ipv4",
                                                     "-e", "arp.dst.proto_ipv4", NULL });
  ck_assert_msg (st == 0, "tshark -r %s failed (%d)", file, st);
  return out;
}

/* Lines of tshark_fields() output that start with prefix (or contain it, when
 * anywhere is set). */
static int
count_lines (const char *fields, const char *pattern, bool anywhere)
{
  int n = 0;
  const char *line = fields;
  size_t plen = strlen (pattern);

  while (*line)
    {
      const char *end = strchr (line, '\n');
      size_t len = end ? (size_t) (end - line) : strlen (line);
      if (anywhere ? memmem (line, len, pattern, plen) != NULL
                   : len >= plen && memcmp (line, pattern, plen) == 0)
        n++;
      line += len + (end ? 1 : 0);
    }
  return n;
}

START_TEST (test_ping_lands_in_its_links_file_only)
{
  struct loom_lab *lab = tl_load ("cap", lab2);
  loom_autofree char *h1 = ring_file ("cap", "h1-eth1");
  loom_autofree char *r1 = ring_file ("cap", "r1-eth1");
  loom_autofree char *r2 = ring_file ("cap", "r1-eth2");
  loom_autofree char *warn = NULL;

  tl_deploy_ok (lab);
  ck_assert_int_eq (TL_RUN ("cap", "h1", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.0.1.12"), 0);
  json_decref (sync_captures ("cap"));
  {
    loom_autofree char *f1 = tshark_fields (h1);
    loom_autofree char *fr1 = tshark_fields (r1);
    ck_assert_int_eq (count_lines (f1, "10.0.1.11,10.0.1.12,8,", false), 5);
    ck_assert_int_eq (count_lines (f1, "10.0.1.12,10.0.1.11,0,", false), 5);
    ck_assert_int_ge (count_lines (f1, ",,,1,10.0.1.11,10.0.1.12", false), 1);
    ck_assert_int_ge (count_lines (f1, ",,,2,10.0.1.12,10.0.1.11", false), 1);
    /* The router's links saw none of the unicast: the switch learned where h2 is.
     * r1's link to h3 carried nothing at all, so it has no file yet. */
    ck_assert_int_eq (count_lines (fr1, "10.0.1.1", false), 0);
    ck_assert_int_eq (count_lines (fr1, "10.0.1.12,", true), 0);
  }
  {
    struct stat st;
    ck_assert_msg (stat (r2, &st) < 0, "r1:eth2 has a capture file without traffic");
  }
  /* The interface block names the link's end; tshark reads the file without a word on
   * stderr. */
  {
    loom_autofree char *names = NULL;
    tl_host_run (&names, (const char *const[]){ "tshark", "-n", "-r", h1, "-T", "fields", "-e",
                                                "frame.interface_name", "-c", "1", NULL });
    ck_assert_msg (strstr (names, "h1:eth1"), "interface name: %s", names);
  }
  {
    int st;
    pid_t pid;
    int pipefd[2];
    char buf[256];
    ssize_t r;
    ck_assert_int_eq (pipe (pipefd), 0);
    pid = fork ();
    if (pid == 0)
      {
        int devnull = open ("/dev/null", O_RDWR);
        dup2 (devnull, 1);
        dup2 (pipefd[1], 2);
        execlp ("tshark", "tshark", "-n", "-r", h1, (char *) NULL);
        _exit (127);
      }
    close (pipefd[1]);
    r = read (pipefd[0], buf, sizeof buf - 1);
    close (pipefd[0]);
    st = loom_wait_status (pid);
    ck_assert_int_eq (st, 0);
    buf[r > 0 ? r : 0] = '\0';
    /* The one line tshark always prints as root is not about the file. */
    {
      char *root_note = strstr (buf, "Running as user \"root\"");
      if (root_note)
        {
          char *nl = strchr (root_note, '\n');
          memmove (root_note, nl ? nl + 1 : root_note + strlen (root_note),
                   strlen (nl ? nl + 1 : "") + 1);
        }
    }
    ck_assert_msg (buf[0] == '\0', "tshark warned: %s", buf);
  }
  tl_destroy_ok ("cap");
  tl_assert_clean ("cap");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_destroy_keeps_captures_until_cleanup)
{
  struct loom_lab *lab = tl_load ("keep", lab2);
  loom_autofree char *labdir = loom_xasprintf ("%s/netloom-keep", tl_tmpdir);
  loom_autofree char *h1 = ring_file ("keep", "h1-eth1");
  loom_error_t err = NULL;
  struct stat st;
  DIR *d;
  struct dirent *de;
  int entries = 0;

  tl_deploy_ok (lab);
  ck_assert (tl_ping ("keep", "h1", "10.0.2.13"));
  ck_assert_int_eq (loom_lab_destroy ("keep", 0, &err), 0);
  /* What remains is the captures directory and nothing else. */
  ck_assert_int_eq (stat (h1, &st), 0);
  {
    loom_autofree char *f = tshark_fields (h1);
    ck_assert_int_ge (count_lines (f, ",8,", true), 1);
  }
  d = opendir (labdir);
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      {
        entries++;
        ck_assert_str_eq (de->d_name, "captures");
      }
  closedir (d);
  ck_assert_int_eq (entries, 1);
  /* The next deploy starts from fresh captures (a link's file appears with its first
   * frame); destroy --cleanup removes them. */
  tl_deploy_ok (lab);
  json_decref (sync_captures ("keep"));
  /* The file may already be there again (the bridge sends an IGMP report to every port
   * when it comes up), but none of the previous run's pings are in it. */
  if (stat (h1, &st) == 0)
    {
      loom_autofree char *f = tshark_fields (h1);
      ck_assert_int_eq (count_lines (f, ",8,", true), 0);
    }
  ck_assert (tl_ping ("keep", "h1", "10.0.1.12"));
  json_decref (sync_captures ("keep"));
  {
    loom_autofree char *f = tshark_fields (h1);
    ck_assert_int_eq (count_lines (f, ",8,", true), 1);
  }
  tl_destroy_ok ("keep");
  tl_assert_clean ("keep");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_capture_false_and_live_filter)
{
  loom_autofree char *body = loom_xasprintf (
      "topology:\n"
      "  nodes: {a: {}, b: {}, c: {capture: false}}\n"
      "  links:\n"
      "    - {endpoints: [\"a:eth1\", \"b:eth1\"], ipv4: [\"10.5.0.1/24\", \"10.5.0.2/24\"]}\n"
      "    - {endpoints: [\"a:eth2\", \"c:eth1\"], ipv4: [\"10.6.0.1/24\", \"10.6.0.2/24\"]}\n"
      "    - {endpoints: [\"b:eth2\", \"c:eth2\"], capture: false}\n");
  struct loom_lab *lab = tl_load ("filt", body);
  loom_autofree char *ns = loom_xasprintf ("%s-filt-a", tl_prefix);
  loom_autofree char *a2 = loom_xasprintf ("%s/netloom-filt/captures/a-eth2", tl_tmpdir);
  loom_autofree uint8_t *buf = loom_xmalloc (65535 * 16);
  struct loom_frame frames[16];
  loom_error_t err = NULL;
  json_t *caps;
  struct stat st;
  int fd, n, icmp = 0, other = 0, i;

  tl_deploy_ok (lab);
  caps = sync_captures ("filt");
  ck_assert_int_eq (json_array_size (json_object_get (caps, "links")), 1);
  json_decref (caps);
  ck_assert_msg (stat (a2, &st) < 0, "a link to a capture: false node was captured");

  /* A live socket with a pcap filter sees only what the filter lets through. */
  fd = loom_capture_socket (ns, "eth1", 0, "icmp", 65535, &err);
  ck_assert_msg (fd >= 0, "capture socket: %s", err ? err->msg : "?");
  ck_assert (tl_ping ("filt", "a", "10.5.0.2"));
  while ((n = loom_capture_read (fd, buf, 65535, frames, 16, &err)) > 0)
    for (i = 0; i < n; i++)
      if (frames[i].caplen > 23 && frames[i].data[12] == 0x08 && frames[i].data[13] == 0
          && frames[i].data[23] == 1)
        icmp++;
      else
        other++;
  close (fd);
  ck_assert_int_eq (icmp, 2);
  ck_assert_int_eq (other, 0);
  /* A filter that does not compile is a clear error. */
  ck_assert_int_lt (loom_capture_socket (ns, "eth1", 0, "icmp and and", 65535, &err), 0);
  ck_assert_msg (strstr (err->msg, "filter"), "got: %s", err->msg);
  loom_error_release (&err);
  tl_destroy_ok ("filt");
  tl_assert_clean ("filt");
  loom_lab_free (lab);
}
END_TEST

static uint64_t
dir_total (const char *dir, uint64_t *largest)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  uint64_t total = 0;
  struct stat st;

  while (d && (de = readdir (d)))
    {
      loom_autofree char *p = loom_xasprintf ("%s/%s", dir, de->d_name);
      if (de->d_name[0] == '.' || stat (p, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        total += dir_total (p, largest);
      else
        {
          total += st.st_size;
          if ((uint64_t) st.st_size > *largest)
            *largest = st.st_size;
        }
    }
  if (d)
    closedir (d);
  return total;
}

START_TEST (test_ring_caps_hold_under_flood)
{
  struct loom_lab *lab = tl_load (
      "flood", "capture: {link-limit: 2MiB, lab-limit: 3MiB}\n"
               "topology:\n"
               "  nodes: {a: {}, b: {}, sw: {kind: switch}}\n"
               "  links:\n"
               "    - {endpoints: [\"a:eth1\", \"sw:p1\"], ipv4: [\"10.7.0.1/24\", \"\"]}\n"
               "    - {endpoints: [\"b:eth1\", \"sw:p2\"], ipv4: [\"10.7.0.2/24\", \"\"]}\n");
  loom_autofree char *root = loom_xasprintf ("%s/netloom-flood/captures", tl_tmpdir);
  loom_autofree char *la = loom_xasprintf ("%s/a-eth1", root);
  loom_autofree char *lb = loom_xasprintf ("%s/b-eth1", root);
  uint64_t largest = 0, ta, tb, total;
  json_t *caps;

  tl_deploy_ok (lab);
  /* iperf3 server in b, one-shot; a floods it for two seconds once it listens. */
  {
    struct tl_iperf server = tl_iperf_server ("flood", "b", "10.7.0.2");
    ck_assert_int_eq (TL_RUN ("flood", "a", "iperf3", "-c", "10.7.0.2", "-t", "2"), 0);
    tl_iperf_server_end (&server);
  }
  caps = sync_captures ("flood");
  ck_assert_int_gt (json_integer_value (json_object_get (json_array_get (json_object_get (caps, "links"), 0), "packets")), 1000);
  json_decref (caps);
  ta = dir_total (la, &largest);
  tb = dir_total (lb, &largest);
  total = dir_total (root, &largest);
  ck_assert_msg (ta <= (2u << 20) && tb <= (2u << 20), "link totals %llu %llu over 2 MiB",
                 (unsigned long long) ta, (unsigned long long) tb);
  ck_assert_msg (total <= (3u << 20), "lab total %llu over 3 MiB", (unsigned long long) total);
  ck_assert_msg (largest <= (2u << 20) / 4 + 256 * 1024, "a file of %llu bytes",
                 (unsigned long long) largest);
  /* The rings were full: old files went, so there is more than one file's worth. */
  ck_assert_int_gt (total, (1u << 20));
  tl_destroy_ok ("flood");
  tl_assert_clean ("flood");
  loom_lab_free (lab);
}
END_TEST

START_TEST (test_killed_supervisor_reported_restarted_cleaned)
{
  struct loom_lab *lab = tl_load ("sup", lab2);
  loom_error_t err = NULL;
  json_t *st;
  pid_t pid = tl_find_supervisor ("sup"), pid2;

  tl_deploy_ok (lab);
  pid = tl_find_supervisor ("sup");
  ck_assert_int_gt (pid, 0);
  /* Some traffic, so the first supervisor leaves a file behind. */
  ck_assert (tl_ping ("sup", "h1", "10.0.2.13"));
  json_decref (sync_captures ("sup"));
  st = loom_lab_state_load ("sup", &err);
  ck_assert_str_eq (json_string_value (json_object_get (json_object_get (st, "supervisor"), "state")), "running");
  json_decref (st);

  ck_assert_int_eq (kill (pid, SIGKILL), 0);
  /* Wait for it to be gone (it is not our child: poll its pidfd). */
  {
    int pfd = syscall (SYS_pidfd_open, pid, 0);
    struct pollfd p = { .fd = pfd, .events = POLLIN };
    if (pfd >= 0)
      {
        poll (&p, 1, 5000);
        close (pfd);
      }
  }
  st = loom_lab_state_load ("sup", &err);
  ck_assert_str_eq (json_string_value (json_object_get (json_object_get (st, "supervisor"), "state")), "not running");
  json_decref (st);
  /* The lab itself still works. */
  ck_assert (tl_ping ("sup", "h1", "10.0.2.13"));

  /* Started again, it captures again, into the same rings (the next file). */
  pid2 = loom_lab_supervisor_start ("sup", NULL, &err);
  ck_assert_msg (pid2 > 0, "restart: %s", err ? err->msg : "?");
  ck_assert (tl_ping ("sup", "h1", "10.0.2.13"));
  st = sync_captures ("sup");
  ck_assert_int_gt (json_integer_value (json_object_get (st, "links")) >= 0 ? json_array_size (json_object_get (st, "links")) : 0, 0);
  json_decref (st);
  {
    loom_autofree char *second = loom_xasprintf ("%s/netloom-sup/captures/h1-eth1/h1-eth1-000002.pcapng", tl_tmpdir);
    loom_autofree char *f = tshark_fields (second);
    ck_assert_int_ge (count_lines (f, ",8,", true), 1);
  }
  /* Killed again, then destroyed: nothing remains, no process either. */
  ck_assert_int_eq (kill (tl_find_supervisor ("sup"), SIGKILL), 0);
  tl_destroy_ok ("sup");
  tl_assert_clean ("sup");
  loom_lab_free (lab);
}
END_TEST

static Suite *
capture_suite (void)
{
  Suite *s = suite_create ("capture");
  TCase *tc = tcase_create ("netns");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_ping_lands_in_its_links_file_only);
  tcase_add_test (tc, test_destroy_keeps_captures_until_cleanup);
  tcase_add_test (tc, test_capture_false_and_live_filter);
  tcase_add_test (tc, test_ring_caps_hold_under_flood);
  tcase_add_test (tc, test_killed_supervisor_reported_restarted_cleaned);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tl_main (capture_suite, "test_capture");
}
