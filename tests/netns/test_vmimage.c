/* The built-in VM guest, netloom-tiny, booted for real: `make vm-image` builds it, QEMU
 * (TCG) boots it with two virtio NICs on TAPs in the test's own network namespace and
 * the netloom.* kernel command line, and the test reads the serial console (a pipe,
 * poll() with a deadline) for "netloom-tiny: ready", pings the guest, runs commands at
 * its shell and checks what they print. Also where loom_vm_builtin_dir() looks. */
#include "tests/netns/testlib.h"

#include <limits.h>
#include <poll.h>
#include <sys/prctl.h>
#include <time.h>

#include "core/nl.h"
#include "core/tap.h"
#include "core/vmimage.h"

#define MAC_A "52:54:00:6e:6c:01"
#define MAC_B "52:54:00:6e:6c:02"
#define NO_NIC "netloom-tiny: no interface with MAC 52:54:00:6e:6c:99"

static char top[PATH_MAX];

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `make vm-image` in the source tree: the image the test boots is the one make builds
 * (a no-op when it is up to date). */
static void
build_image (void)
{
  loom_autofree char *out = NULL;
  const char *const argv[] = { "make", "--no-print-directory", "-s", "-C", top, "vm-image", NULL };
  int status = tl_host_run (&out, argv);
  ck_assert_msg (status == 0, "make vm-image failed (%d): %s", status, out);
}

/* The guest's serial console: QEMU's stdin and stdout are pipes. */
struct console
{
  pid_t qemu;
  int in, out;
  char *buf;
  size_t len, cap, mark; /* mark: where the next wait starts looking */
};

/* Reads the console until needle appears after the mark (then moves the mark past it),
 * QEMU exits, or timeout_ms passes. */
static bool
console_wait (struct console *c, const char *needle, int timeout_ms)
{
  int64_t deadline = now_ms () + timeout_ms;

  for (;;)
    {
      struct pollfd pfd = { .fd = c->out, .events = POLLIN };
      char *hit;
      int64_t left;
      ssize_t r;

      c->buf[c->len] = '\0';
      hit = strstr (c->buf + c->mark, needle);
      if (hit)
        {
          c->mark = hit - c->buf + strlen (needle);
          return true;
        }
      left = deadline - now_ms ();
      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        return false;
      if (c->cap - c->len < 4097)
        c->buf = loom_xrealloc (c->buf, c->cap *= 2);
      r = read (c->out, c->buf + c->len, 4096);
      if (r <= 0)
        return false;
      c->len += r;
    }
}

static void
console_send (struct console *c, const char *line)
{
  ck_assert_int_eq (write (c->in, line, strlen (line)), (ssize_t) strlen (line));
}

/* What the console printed last, for failure messages (at most 3000 bytes). */
static const char *
console_tail (struct console *c)
{
  c->buf[c->len] = '\0';
  return c->len > 3000 ? c->buf + c->len - 3000 : c->buf;
}

static int
make_tap (int nsfd, struct nl_sock *sk, const char *name, const char *addr)
{
  loom_error_t err = NULL;
  int ifindex = 0;
  int fd = loom_tap_create (nsfd, name, true, &ifindex, &err);

  ck_assert_msg (fd >= 0, "TAP %s: %s", name, err ? loom_error_text (err) : "");
  if (addr)
    {
      struct loom_addr a;
      const char *why = NULL;
      ck_assert_msg (loom_addr_parse (addr, true, &a, &why) == 0, "%s: %s", addr, why);
      ck_assert_int_eq (loom_nl_addr_add (sk, ifindex, &a, NULL), 0);
    }
  ck_assert_int_eq (loom_nl_link_set_up (sk, ifindex, true, NULL), 0);
  return fd;
}

static struct console
boot (int tap_a, int tap_b, const char *append)
{
  loom_autofree char *kernel = loom_xasprintf ("%s/build/vm/netloom-tiny/vmlinuz", top);
  loom_autofree char *initrd = loom_xasprintf ("%s/build/vm/netloom-tiny/initrd.img", top);
  struct console c = { .cap = 65536 };
  int to_guest[2], from_guest[2];

  ck_assert_int_eq (pipe2 (to_guest, O_CLOEXEC), 0);
  ck_assert_int_eq (pipe2 (from_guest, O_CLOEXEC), 0);
  c.qemu = fork ();
  ck_assert_int_ge (c.qemu, 0);
  if (c.qemu == 0)
    {
      const char *argv[] = { "qemu-system-x86_64",
                             "-accel",
                             "tcg",
                             "-machine",
                             "q35",
                             "-m",
                             "128",
                             "-nodefaults",
                             "-nographic",
                             "-no-reboot",
                             "-serial",
                             "stdio",
                             "-kernel",
                             kernel,
                             "-initrd",
                             initrd,
                             "-append",
                             append,
                             "-netdev",
                             "tap,id=n0,fd=3",
                             "-device",
                             "virtio-net-pci,netdev=n0,mac=" MAC_A,
                             "-netdev",
                             "tap,id=n1,fd=4",
                             "-device",
                             "virtio-net-pci,netdev=n1,mac=" MAC_B,
                             NULL };
      /* QEMU goes down with the test, whatever happens to the test. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      dup2 (to_guest[0], 0);
      dup2 (from_guest[1], 1);
      dup2 (from_guest[1], 2);
      dup2 (tap_a, 3);
      dup2 (tap_b, 4);
      fcntl (3, F_SETFD, 0);
      fcntl (4, F_SETFD, 0);
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  close (to_guest[0]);
  close (from_guest[1]);
  c.in = to_guest[1];
  c.out = from_guest[0];
  c.buf = loom_xmalloc (c.cap);
  c.buf[0] = '\0';
  return c;
}

static long
rss_kib (pid_t pid)
{
  loom_autofree char *path = loom_xasprintf ("/proc/%d/status", (int) pid);
  loom_autofree char *text = NULL;
  const char *p;

  if (loom_read_file (path, &text, NULL, NULL) < 0 || !(p = strstr (text, "VmRSS:")))
    return -1;
  return strtol (p + 6, NULL, 10);
}

static bool
ping_ok (const char *addr)
{
  const char *const argv[]
      = { "ping", strchr (addr, ':') ? "-6" : "-4", "-c", "1", "-W", "5", addr, NULL };
  return tl_host_run (NULL, argv) == 0;
}

START_TEST (test_boot_configure_console)
{
  loom_autoclose int nsfd = -1;
  struct nl_sock *sk;
  struct console c;
  int tap_a, tap_b;
  int64_t t0, ready_ms;
  long rss;
  const char *p;
  const char *append = "console=ttyS0 quiet netloom.hostname=t1"
                       " netloom.if=" MAC_A ",eth1,10.99.0.2/24,fd00:99::2/64"
                       " netloom.if=" MAC_B ",eth0,mtu=1400"
                       " netloom.route=10.98.0.0/16,10.99.0.1"
                       " netloom.route=default,fd00:99::1"
                       " netloom.if=52:54:00:6e:6c:99,eth9,10.9.9.9/24";

  build_image ();
  /* A network namespace of the test's own: it and the TAPs go when the test exits. */
  ck_assert_int_eq (unshare (CLONE_NEWNET), 0);
  nsfd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge (nsfd, 0);
  sk = loom_nl_open (NULL);
  ck_assert_ptr_nonnull (sk);
  ck_assert_int_eq (loom_nl_link_set_up (sk, 1, true, NULL), 0);
  tap_a = make_tap (nsfd, sk, "tap0", "10.99.0.1/24");
  {
    struct loom_addr a;
    ck_assert_int_eq (loom_addr_parse ("fd00:99::1/64", true, &a, NULL), 0);
    ck_assert_int_eq (loom_nl_addr_add (sk, if_nametoindex ("tap0"), &a, NULL), 0);
  }
  tap_b = make_tap (nsfd, sk, "tap1", NULL);

  t0 = now_ms ();
  c = boot (tap_a, tap_b, append);
  ck_assert_msg (console_wait (&c, "netloom-tiny: ready", 90000), "no ready line; console:\n%s",
                 console_tail (&c));
  ready_ms = now_ms () - t0;
  /* quiet: no progress lines; the one complaint is about the NIC that is not there. */
  c.buf[c.len] = '\0';
  p = strstr (c.buf, "netloom-tiny: ");
  ck_assert_msg (p && strncmp (p, NO_NIC, strlen (NO_NIC)) == 0
                     && (p[strlen (NO_NIC)] == '\r' || p[strlen (NO_NIC)] == '\n'),
                 "init did not complain about the missing NIC (only):\n%s", console_tail (&c));
  p = strstr (p + 1, "netloom-tiny: ");
  ck_assert_msg (p && strncmp (p, "netloom-tiny: ready", 19) == 0, "init complained:\n%s",
                 console_tail (&c));
  ck_assert_msg (console_wait (&c, "t1:~# ", 20000), "no prompt; console:\n%s", console_tail (&c));

  ck_assert_msg (ping_ok ("10.99.0.2"), "the guest does not answer ping on 10.99.0.2");
  ck_assert_msg (ping_ok ("fd00:99::2"), "the guest does not answer ping on fd00:99::2");

  /* The marker is computed by the guest's shell, so the echoed command never matches. */
  console_send (&c, "tty; ip -o link show eth0; ip route; ip -6 route; echo done-$((6*7))\n");
  ck_assert_msg (console_wait (&c, "done-42", 20000), "the command did not finish:\n%s",
                 console_tail (&c));
  c.buf[c.len] = '\0';
  ck_assert_msg (strstr (c.buf, "/dev/ttyS0"), "the shell has no terminal:\n%s", console_tail (&c));
  ck_assert_msg (strstr (c.buf, "eth0: <") && strstr (c.buf, "mtu 1400") && strstr (c.buf, MAC_B),
                 "eth0 is not the NIC with MAC %s and MTU 1400:\n%s", MAC_B, console_tail (&c));
  ck_assert_msg (strstr (c.buf, "10.98.0.0/16 via 10.99.0.1 dev eth1"), "no IPv4 route:\n%s",
                 console_tail (&c));
  ck_assert_msg (strstr (c.buf, "default via fd00:99::1 dev eth1"), "no IPv6 route:\n%s",
                 console_tail (&c));

  /* Job control: a background job is listed, ^C-able jobs need a session of their own. */
  console_send (&c, "sleep 60 &\n");
  console_send (&c, "jobs; echo jobs-$((6*7))\n");
  ck_assert_msg (console_wait (&c, "jobs-42", 20000), "jobs did not finish:\n%s",
                 console_tail (&c));
  ck_assert_msg (strstr (c.buf, "[1]+  Running"), "no job listed:\n%s", console_tail (&c));

  /* The shell is respawned when it exits. */
  console_send (&c, "exit\n");
  ck_assert_msg (console_wait (&c, "t1:~# ", 20000), "no new shell after exit:\n%s",
                 console_tail (&c));

  rss = rss_kib (c.qemu);
  fprintf (stderr, "# netloom-tiny: boot to ready %lld ms, QEMU RSS %ld MiB\n",
           (long long) ready_ms, rss / 1024);

  kill (c.qemu, SIGKILL);
  ck_assert_int_eq (waitpid (c.qemu, NULL, 0), c.qemu);
  close (c.in);
  close (c.out);
  free (c.buf);
  close (tap_a);
  close (tap_b);
  loom_nl_close (sk);
}
END_TEST

START_TEST (test_builtin_dir_env)
{
  setenv ("NETLOOM_VM_DIR", "/srv/netloom-vm", 1);
  ck_assert_str_eq (loom_vm_builtin_dir (), "/srv/netloom-vm");
}
END_TEST

START_TEST (test_builtin_dir_next_to_binary)
{
  loom_autofree char *exe = loom_xasprintf ("%s/build/netloom", top);
  loom_autofree char *want = loom_xasprintf ("%s/build/vm", top);

  build_image ();
  unsetenv ("NETLOOM_VM_DIR");
  setenv ("NETLOOM_EXE", exe, 1);
  ck_assert_str_eq (loom_vm_builtin_dir (), want);
}
END_TEST

START_TEST (test_builtin_dir_installed)
{
  unsetenv ("NETLOOM_VM_DIR");
  setenv ("NETLOOM_EXE", "/nonexistent-netloom-dir/netloom", 1);
  ck_assert_str_eq (loom_vm_builtin_dir (), LOOM_VM_DIR_INSTALLED);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("vmimage");
  TCase *tc = tcase_create ("netloom-tiny");

  /* TCG boots in seconds alone, but the suite may share the machine with other tests. */
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_builtin_dir_env);
  tcase_add_test (tc, test_builtin_dir_next_to_binary);
  tcase_add_test (tc, test_builtin_dir_installed);
  tcase_add_test (tc, test_boot_configure_console);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  /* The source tree: this program is <top>/build/tests/netns/test_vmimage. */
  ssize_t n = readlink ("/proc/self/exe", top, sizeof top - 1);
  int up;

  if (n <= 0)
    return 1;
  top[n] = '\0';
  for (up = 0; up < 4; up++)
    *strrchr (top, '/') = '\0';
  return tl_main (make_suite, "test_vmimage");
}
