/* Published ports and the nat node, for real (root, real namespaces, the real
 * supervisor): a host behind a nat node leases an address over DHCP, fetches a page from
 * a server on the host's loopback through the gateway and resolves a name through
 * slirp's DNS; a host port forwarded by the nat node reaches a lab node's server; a
 * node's published TCP and UDP ports answer on the host's loopback; a port in use fails
 * the deploy with nothing left; after destroy, and after kill -9 of the supervisor, no
 * listener and no TAP is left. Ports are picked free per run. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/state.h"
#include "tests/netns/testlib.h"

/* A port nobody uses right now, TCP and UDP (the kernel picks it). */
static int
free_port (void)
{
  for (;;)
    {
      struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      socklen_t len = sizeof a;
      int t = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int u = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      bool ok;
      ck_assert (t >= 0 && u >= 0);
      ck_assert_int_eq (bind (t, (struct sockaddr *) &a, sizeof a), 0);
      getsockname (t, (struct sockaddr *) &a, &len);
      ok = bind (u, (struct sockaddr *) &a, sizeof a) == 0;
      close (t);
      close (u);
      if (ok)
        return ntohs (a.sin_port);
    }
}

static void
set_port (struct loom_port *p, const char *host, int host_port, const char *addr, int port,
          bool udp)
{
  memset (p, 0, sizeof *p);
  snprintf (p->host_addr, sizeof p->host_addr, "%s", host);
  p->host_port = (uint16_t) host_port;
  snprintf (p->node_addr, sizeof p->node_addr, "%s", addr ? addr : "");
  p->node_port = (uint16_t) port;
  p->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
}

/* The model fields the lab file would fill; taken back before loom_lab_free(), which
 * may or may not own them depending on the parser. */
static void
give_ports (struct loom_node *n, struct loom_port *ports, size_t np, struct loom_port *fwd,
            size_t nf)
{
  n->ports = ports;
  n->n_ports = np;
  n->hostfwd = fwd;
  n->n_hostfwd = nf;
}

static void
lab_free (struct loom_lab *lab)
{
  size_t i;
  for (i = 0; i < lab->n_nodes; i++)
    give_ports (lab->nodes[i], NULL, 0, NULL, 0);
  loom_lab_free (lab);
}

static int
tcp_connect (int port)
{
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert (fd >= 0);
  if (connect (fd, (struct sockaddr *) &a, sizeof a) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Reads until the peer ends (bounded: 10 s without a byte fails). */
static char *
read_all (int fd, size_t *len)
{
  size_t cap = 65536, n = 0;
  char *buf = loom_xmalloc (cap);
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      ssize_t r;
      ck_assert_msg (poll (&p, 1, 10000) == 1, "no answer within 10 s");
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0)
        fprintf (stderr, "read: %s after %zu bytes\n", strerror (errno), n);
      if (r <= 0)
        break;
      if ((n += r) + 1 >= cap)
        buf = loom_xrealloc (buf, cap *= 2);
    }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* GET path over HTTP/1.0 from 127.0.0.1:port; the request side is shut after the request
 * (a half-close the proxy must pass on while the answer still flows). */
static char *
http_get (int port, const char *path, size_t *len)
{
  loom_autofree char *req = loom_xasprintf ("GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
  int fd = tcp_connect (port);
  char *out;
  ck_assert_msg (fd >= 0, "connect to 127.0.0.1:%d: %s", port, strerror (errno));
  ck_assert_int_eq (write (fd, req, strlen (req)), (ssize_t) strlen (req));
  shutdown (fd, SHUT_WR);
  out = read_all (fd, len);
  close (fd);
  return out;
}

/* True when nothing listens on 127.0.0.1:port (TCP) — we could take it ourselves. */
static bool
tcp_port_free (int port)
{
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int one = 1, fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ok = bind (fd, (struct sockaddr *) &a, sizeof a) == 0 && listen (fd, 1) == 0;
  close (fd);
  return ok;
}

static bool
udp_port_free (int port)
{
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool ok = bind (fd, (struct sockaddr *) &a, sizeof a) == 0;
  close (fd);
  return ok;
}

/* Sends msg to 127.0.0.1:port over UDP and returns the first answer, resending a few
 * times (UDP may lose the first datagram while a server comes up); NULL when none. */
static char *
udp_ask (int port, const char *msg)
{
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), tries;
  char buf[2048];

  for (tries = 0; tries < 20; tries++)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      sendto (fd, msg, strlen (msg), 0, (struct sockaddr *) &a, sizeof a);
      if (poll (&p, 1, 250) == 1)
        {
          ssize_t r = recv (fd, buf, sizeof buf - 1, 0);
          if (r >= 0)
            {
              buf[r] = '\0';
              close (fd);
              return loom_xstrdup (buf);
            }
        }
    }
  close (fd);
  return NULL;
}

/* A UDP echo server inside a node (bound before this returns), answering "echo:<msg>". */
static pid_t
udp_echo_in_node (const char *lab, const char *node, int port)
{
  loom_autofree char *ns = loom_xasprintf ("%s-%s-%s", tl_prefix, lab, node);
  int ready[2];
  char c;
  pid_t pid;

  ck_assert_int_eq (pipe2 (ready, O_CLOEXEC), 0);
  pid = fork ();
  if (pid == 0)
    {
      struct sockaddr_in a = { .sin_family = AF_INET,
                               .sin_port = htons (port),
                               .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      int nsfd = loom_netns_open (ns, NULL), fd;
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (nsfd < 0 || setns (nsfd, CLONE_NEWNET) < 0)
        _exit (1);
      fd = socket (AF_INET, SOCK_DGRAM, 0);
      if (bind (fd, (struct sockaddr *) &a, sizeof a) < 0)
        _exit (1);
      (void) !write (ready[1], "r", 1);
      for (;;)
        {
          char buf[2048], out[2100];
          struct sockaddr_in from;
          socklen_t flen = sizeof from;
          ssize_t r = recvfrom (fd, buf, sizeof buf - 1, 0, (struct sockaddr *) &from, &flen);
          if (r < 0)
            _exit (0);
          buf[r] = '\0';
          snprintf (out, sizeof out, "echo:%s", buf);
          sendto (fd, out, strlen (out), 0, (struct sockaddr *) &from, flen);
        }
    }
  close (ready[1]);
  ck_assert_int_eq (read (ready[0], &c, 1), 1);
  close (ready[0]);
  return pid;
}

/* An HTTP server on the host's 127.0.0.1:port (busybox httpd in inetd mode, one per
 * connection, on a socket that listens before this returns). */
static pid_t
host_httpd (int port, const char *dir)
{
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int one = 1, lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  pid_t pid;

  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ck_assert_int_eq (bind (lfd, (struct sockaddr *) &a, sizeof a), 0);
  ck_assert_int_eq (listen (lfd, 16), 0);
  pid = fork ();
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      for (;;)
        {
          int c = accept (lfd, NULL, NULL);
          pid_t h;
          if (c < 0)
            _exit (0);
          h = fork ();
          if (h == 0)
            {
              dup2 (c, 0);
              dup2 (c, 1);
              execlp ("busybox", "busybox", "httpd", "-i", "-h", dir, (char *) NULL);
              _exit (127);
            }
          close (c);
          waitpid (h, NULL, 0);
        }
    }
  close (lfd);
  return pid;
}

static void
stop_child (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

static void
write_file (const char *path, const char *text)
{
  ck_assert_int_eq (loom_write_file (path, text, strlen (text), NULL), 0);
}

/* The addresses of an nslookup answer ("Address: ..." lines after its first "Name:"
 * line), sorted into one string, or NULL when there is none. */
static char *
nslookup_answer (const char *out)
{
  const char *name = strstr (out, "Name:");
  loom_autofree char *copy = NULL;
  char *line, *save = NULL, *lines[32], *res;
  size_t n = 0, i, j;

  if (name == NULL)
    return NULL;
  copy = loom_xstrdup (name);
  for (line = strtok_r (copy, "\n", &save); line && n < 32; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "Address:", 8) == 0)
      lines[n++] = line;
  for (i = 0; i < n; i++)
    for (j = i + 1; j < n; j++)
      if (strcmp (lines[j], lines[i]) < 0)
        {
          char *t = lines[i];
          lines[i] = lines[j];
          lines[j] = t;
        }
  res = loom_xstrdup ("");
  for (i = 0; i < n; i++)
    {
      char *next = loom_xasprintf ("%s%s\n", res, lines[i]);
      free (res);
      res = next;
    }
  if (n == 0)
    {
      free (res);
      return NULL;
    }
  return res;
}

static void
kill9_supervisor (const char *lab)
{
  pid_t pid = tl_find_supervisor (lab);
  int pidfd;
  struct pollfd p;

  ck_assert_msg (pid > 0, "no supervisor for %s", lab);
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  ck_assert (pidfd >= 0);
  ck_assert_int_eq (kill (pid, SIGKILL), 0);
  p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
  ck_assert_msg (poll (&p, 1, 5000) == 1, "the supervisor did not die");
  close (pidfd);
}

START_TEST (test_nat_dhcp_gateway_dns_hostfwd)
{
  loom_autofree char *script = loom_xasprintf ("%s/dhcp.sh", tl_tmpdir);
  loom_autofree char *www = loom_xasprintf ("%s/www-host", tl_tmpdir);
  loom_autofree char *www1 = loom_xasprintf ("%s/www-h1", tl_tmpdir);
  loom_autofree char *body = NULL;
  loom_autofree char *url = NULL;
  loom_autofree char *out = NULL;
  loom_autofree char *exec = NULL;
  int web = free_port (), fwd = free_port ();
  struct loom_port hostfwd[1];
  struct loom_lab *lab;
  pid_t httpd;
  size_t len;

  mkdir (www, 0755);
  mkdir (www1, 0755);
  write_file (loom_xasprintf ("%s/index.html", www), "served-by-the-host\n");
  write_file (loom_xasprintf ("%s/index.html", www1), "served-by-h1\n");
  /* What udhcpc runs with the lease: apply it with ip. */
  write_file (script, "#!/bin/sh\n"
                      "case \"$1\" in bound|renew)\n"
                      "  ip addr flush dev \"$interface\"\n"
                      "  ip addr add \"$ip/$mask\" dev \"$interface\"\n"
                      "  ip route replace default via \"${router%% *}\" dev \"$interface\"\n"
                      "  echo \"lease $ip/$mask router $router dns $dns\" ;;\n"
                      "esac\n");
  chmod (script, 0755);
  exec = loom_xasprintf ("topology:\n"
                         "  nodes:\n"
                         "    gw: {kind: nat}\n"
                         "    h1: {exec: [\"busybox httpd -p 8000 -h %s\"]}\n"
                         "  links:\n"
                         "    - endpoints: [gw:eth1, h1:eth1]\n",
                         www1);
  lab = tl_load ("nat", exec);
  set_port (&hostfwd[0], "127.0.0.1", fwd, "10.0.2.15", 8000, false);
  give_ports (loom_lab_find_node (lab, "gw"), NULL, 0, hostfwd, 1);
  tl_deploy_ok (lab);

  /* DHCP from slirp: the first lease is .15, the gateway .2, DNS .3. */
  ck_assert_int_eq (tl_run ("nat", "h1", &out,
                            (const char *const[]){ "busybox", "udhcpc", "-i", "eth1", "-n", "-q",
                                                   "-t", "5", "-T", "1", "-s", script, NULL }),
                    0);
  ck_assert_msg (strstr (out, "lease 10.0.2.15/24 router 10.0.2.2 dns 10.0.2.3"), "%s", out);
  free (out);
  out = NULL;

  /* The gateway is the host's loopback: a server there is reachable from the lab. */
  httpd = host_httpd (web, www);
  url = loom_xasprintf ("http://10.0.2.2:%d/index.html", web);
  ck_assert_int_eq (tl_run ("nat", "h1", &out,
                            (const char *const[]){ "timeout", "10", "busybox", "wget", "-q", "-O",
                                                   "-", url, NULL }),
                    0);
  ck_assert_msg (strstr (out, "served-by-the-host"), "%s", out);
  free (out);
  out = NULL;

  /* DNS: slirp forwards to the host's resolver, so the lab gets the answer the host
   * gets (checked when the host's resolver answers at all). */
  {
    loom_autofree char *host_out = NULL;
    loom_autofree char *want = NULL;
    loom_autofree char *got = NULL;
    const char *name
        = getenv ("NETLOOM_TEST_DNS_NAME") ? getenv ("NETLOOM_TEST_DNS_NAME") : "deb.debian.org";
    tl_host_run (&host_out, (const char *const[]){ "busybox", "nslookup", name, NULL });
    want = nslookup_answer (host_out);
    if (want == NULL)
      fprintf (stderr, "  note: the host's resolver does not answer for %s: DNS not compared\n",
               name);
    else
      {
        tl_run ("nat", "h1", &out,
                (const char *const[]){ "busybox", "nslookup", name, "10.0.2.3", NULL });
        got = nslookup_answer (out);
        ck_assert_msg (got && strcmp (got, want) == 0, "lab: %s\nhost: %s", out, host_out);
        free (out);
        out = NULL;
      }
  }

  /* hostfwd: the host's port reaches h1's server at its leased address. */
  body = http_get (fwd, "/index.html", &len);
  ck_assert_msg (strstr (body, "served-by-h1"), "%s", body);
  free (body);
  body = NULL;

  /* Stopping the nat node takes its link down; started again, slirp is still there. */
  {
    loom_error_t err = NULL;
    ck_assert_int_eq (loom_lab_node_set ("nat", "gw", false, &err), 0);
    ck_assert_int_ne (tl_run ("nat", "h1", NULL,
                              (const char *const[]){ "timeout", "2", "busybox", "wget", "-q", "-O",
                                                     "-", url, NULL }),
                      0);
    ck_assert_int_eq (loom_lab_node_set ("nat", "gw", true, &err), 0);
    ck_assert_int_eq (tl_run ("nat", "h1", &out,
                              (const char *const[]){ "timeout", "10", "busybox", "wget", "-q", "-O",
                                                     "-", url, NULL }),
                      0);
    ck_assert_msg (strstr (out, "served-by-the-host"), "%s", out);
    body = http_get (fwd, "/index.html", &len);
    ck_assert_msg (strstr (body, "served-by-h1"), "%s", body);
    /* h1's server goes with its node. */
    ck_assert_int_eq (loom_lab_node_set ("nat", "h1", false, &err), 0);
  }
  ck_assert_int_eq (TL_RUN ("nat", "gw", "ip", "link", "show", "slirp0"), 0);
  stop_child (httpd);
  tl_destroy_ok ("nat");
  tl_assert_clean ("nat");
  ck_assert (tcp_port_free (fwd));
  lab_free (lab);
}
END_TEST

START_TEST (test_ports_tcp_udp_inspect)
{
  loom_autofree char *www = loom_xasprintf ("%s/www-ports", tl_tmpdir);
  loom_autofree char *big = loom_xasprintf ("%s/big.bin", www);
  loom_autofree char *text = NULL;
  loom_autofree char *body = NULL;
  loom_autofree char *ans = NULL;
  int web = free_port (), dns = free_port ();
  struct loom_port ports[2];
  struct loom_lab *lab;
  pid_t echo;
  size_t len, i;

  mkdir (www, 0755);
  write_file (loom_xasprintf ("%s/index.html", www), "published-page\n");
  {
    /* 8 MiB: many pipe loads, so backpressure and splice are exercised. */
    size_t n = 8u << 20;
    char *data = loom_xmalloc (n);
    for (i = 0; i < n; i++)
      data[i] = (char) ('a' + i % 26);
    ck_assert_int_eq (loom_write_file (big, data, n, NULL), 0);
    free (data);
  }
  text = loom_xasprintf (
      "topology:\n"
      "  nodes:\n"
      "    web: {exec: [\"busybox httpd -p 80 -h %s\"]}\n"
      "    r1: {kind: router}\n"
      "  links:\n"
      "    - {endpoints: [web:eth1, r1:eth1], ipv4: [10.9.0.2/24, 10.9.0.1/24]}\n",
      www);
  lab = tl_load ("ports", text);
  set_port (&ports[0], "127.0.0.1", web, NULL, 80, false);
  set_port (&ports[1], "127.0.0.1", dns, NULL, 53, true);
  give_ports (loom_lab_find_node (lab, "web"), ports, 2, NULL, 0);
  tl_deploy_ok (lab);

  body = http_get (web, "/index.html", &len);
  ck_assert_msg (strstr (body, "200 OK") && strstr (body, "published-page"), "%s", body);
  free (body);
  body = http_get (web, "/big.bin", &len);
  ck_assert_msg (strstr (body, "200 OK"), "%.200s", body);
  ck_assert_msg (len > (8u << 20) && strstr (body, "\r\n\r\nabcdefghij"), "got %zu bytes", len);
  free (body);
  body = NULL;

  /* Many at once: all connected and asked before any is read. */
  {
    int fds[24];
    for (i = 0; i < 24; i++)
      {
        static const char req[] = "GET /index.html HTTP/1.0\r\n\r\n";
        fds[i] = tcp_connect (web);
        ck_assert (fds[i] >= 0);
        ck_assert_int_eq (write (fds[i], req, sizeof req - 1), (ssize_t) sizeof req - 1);
      }
    for (i = 0; i < 24; i++)
      {
        char *r = read_all (fds[i], &len);
        ck_assert_msg (strstr (r, "published-page"), "connection %zu: %s", i, r);
        free (r);
        close (fds[i]);
      }
  }

  /* UDP: a server in the node answers through the published port. */
  echo = udp_echo_in_node ("ports", "web", 53);
  ans = udp_ask (dns, "ping-1");
  ck_assert_msg (ans && strcmp (ans, "echo:ping-1") == 0, "answer: %s", ans ? ans : "(none)");
  free (ans);
  ans = udp_ask (dns, "ping-2");
  ck_assert_msg (ans && strcmp (ans, "echo:ping-2") == 0, "answer: %s", ans ? ans : "(none)");

  /* inspect shows them, from state.json and in its table. */
  {
    loom_error_t err = NULL;
    json_t *st = loom_lab_state_load ("ports", &err), *n = NULL, *p;
    loom_autofree char *want = loom_xasprintf ("port  127.0.0.1:%d -> 53/udp", dns);
    loom_autofree char *out = NULL;
    const char *exe = getenv ("NETLOOM_EXE");
    ck_assert (st != NULL);
    json_array_foreach (json_object_get (st, "nodes"), i, n)
      if (strcmp (json_string_value (json_object_get (n, "name")), "web") == 0)
        break;
    p = json_array_get (json_object_get (n, "ports"), 0);
    ck_assert_int_eq (json_integer_value (json_object_get (p, "host_port")), web);
    ck_assert_int_eq (json_integer_value (json_object_get (p, "port")), 80);
    ck_assert_str_eq (json_string_value (json_object_get (p, "proto")), "tcp");
    ck_assert_str_eq (json_string_value (json_object_get (p, "host")), "127.0.0.1");
    json_decref (st);
    ck_assert_int_eq (tl_host_run (&out, (const char *const[]){ exe, "inspect", "ports", NULL }),
                      0);
    ck_assert_msg (strstr (out, want), "%s", out);
  }

  stop_child (echo);
  {
    loom_error_t err = NULL;
    ck_assert_int_eq (loom_lab_node_set ("ports", "web", false, &err), 0);
  }
  tl_destroy_ok ("ports");
  tl_assert_clean ("ports");
  ck_assert (tcp_port_free (web));
  ck_assert (udp_port_free (dns));
  lab_free (lab);
}
END_TEST

START_TEST (test_port_in_use_fails_deploy)
{
  int port = free_port (), other = free_port (), one = 1;
  struct sockaddr_in a = { .sin_family = AF_INET,
                           .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int taken = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct loom_port ports[2];
  struct loom_lab *lab;
  loom_error_t err = NULL;
  loom_autofree char *want = loom_xasprintf ("127.0.0.1:%d/tcp is in use on the host", port);
  loom_autofree char *msg = NULL;

  setsockopt (taken, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ck_assert_int_eq (bind (taken, (struct sockaddr *) &a, sizeof a), 0);
  ck_assert_int_eq (listen (taken, 1), 0);
  lab = tl_load ("inuse", "topology:\n"
                          "  nodes:\n"
                          "    h1: {}\n"
                          "    h2: {}\n"
                          "  links:\n"
                          "    - endpoints: [h1:eth1, h2:eth1]\n");
  /* The first one is free and is opened before the second fails: it must go too. */
  set_port (&ports[0], "127.0.0.1", other, NULL, 80, false);
  set_port (&ports[1], "127.0.0.1", port, NULL, 80, false);
  give_ports (loom_lab_find_node (lab, "h2"), ports, 2, NULL, 0);
  ck_assert_int_lt (loom_lab_deploy (lab, NULL, &err), 0);
  msg = loom_error_text (err);
  ck_assert_msg (strstr (msg, want) && strstr (msg, "rolled back"), "%s", msg);
  loom_error_release (&err);
  tl_assert_clean ("inuse");
  ck_assert (tcp_port_free (other));
  lab_free (lab);

  /* The same for a port a nat node forwards. */
  lab = tl_load ("inuse2", "topology:\n"
                           "  nodes:\n"
                           "    gw: {kind: nat}\n"
                           "    h1: {}\n"
                           "  links:\n"
                           "    - endpoints: [gw:eth1, h1:eth1]\n");
  set_port (&ports[0], "127.0.0.1", port, "10.0.2.15", 22, false);
  give_ports (loom_lab_find_node (lab, "gw"), NULL, 0, ports, 1);
  ck_assert_int_lt (loom_lab_deploy (lab, NULL, &err), 0);
  free (msg);
  msg = loom_error_text (err);
  ck_assert_msg (strstr (msg, want) && strstr (msg, "rolled back"), "%s", msg);
  loom_error_release (&err);
  tl_assert_clean ("inuse2");
  close (taken);
  lab_free (lab);
}
END_TEST

START_TEST (test_kill9_supervisor_leaves_nothing)
{
  int web = free_port (), udp = free_port (), fwd = free_port ();
  struct loom_port ports[2], hostfwd[1];
  struct loom_lab *lab;
  int fd;

  lab = tl_load ("k9", "topology:\n"
                       "  nodes:\n"
                       "    gw: {kind: nat}\n"
                       "    h1: {}\n"
                       "  links:\n"
                       "    - endpoints: [gw:eth1, h1:eth1]\n");
  set_port (&ports[0], "127.0.0.1", web, NULL, 80, false);
  set_port (&ports[1], "127.0.0.1", udp, NULL, 53, true);
  set_port (&hostfwd[0], "127.0.0.1", fwd, "10.0.2.15", 22, false);
  give_ports (loom_lab_find_node (lab, "h1"), ports, 2, NULL, 0);
  give_ports (loom_lab_find_node (lab, "gw"), NULL, 0, hostfwd, 1);
  tl_deploy_ok (lab);
  ck_assert (!tcp_port_free (web));
  ck_assert (!udp_port_free (udp));
  ck_assert (!tcp_port_free (fwd));
  ck_assert_int_eq (TL_RUN ("k9", "gw", "ip", "link", "show", "slirp0"), 0);
  /* An open connection through the proxy does not keep anything alive either. */
  fd = tcp_connect (web);

  kill9_supervisor ("k9");
  ck_assert_msg (tcp_port_free (web), "port %d still has a listener", web);
  ck_assert (udp_port_free (udp));
  ck_assert (tcp_port_free (fwd));
  ck_assert_int_ne (TL_RUN ("k9", "gw", "ip", "link", "show", "slirp0"), 0);
  if (fd >= 0)
    close (fd);
  tl_destroy_ok ("k9");
  tl_assert_clean ("k9");
  lab_free (lab);
}
END_TEST

/* Runs in the test runner after each test, passed or failed: servers the lab file's exec:
 * started in nodes are not the lab's objects (destroy leaves processes alone), so stop
 * every node of a lab a failed test left before its teardown destroys it. */
static void
stop_left_nodes (void)
{
  char **names = NULL;
  loom_error_t err = NULL;
  size_t i, j;

  if (loom_lab_list (&names, &err) < 0)
    {
      loom_error_release (&err);
      return;
    }
  for (i = 0; names[i]; i++)
    {
      json_t *st = loom_lab_state_load (names[i], NULL), *n;
      json_array_foreach (json_object_get (st, "nodes"), j, n)
        loom_lab_node_set (names[i], json_string_value (json_object_get (n, "name")), false, NULL);
      json_decref (st);
      loom_lab_destroy (names[i], LOOM_DESTROY_CLEANUP, NULL);
      free (names[i]);
    }
  free (names);
}

static Suite *
nat_suite (void)
{
  Suite *s = suite_create ("nat");
  TCase *nat = tcase_create ("nat"), *ports = tcase_create ("ports"), *k9 = tcase_create ("kill");

  tcase_set_timeout (nat, 120);
  tcase_set_timeout (ports, 120);
  tcase_set_timeout (k9, 120);
  tcase_add_test (nat, test_nat_dhcp_gateway_dns_hostfwd);
  tcase_add_test (ports, test_ports_tcp_udp_inspect);
  tcase_add_test (ports, test_port_in_use_fails_deploy);
  tcase_add_test (k9, test_kill9_supervisor_leaves_nothing);
  tcase_add_unchecked_fixture (nat, NULL, stop_left_nodes);
  tcase_add_unchecked_fixture (ports, NULL, stop_left_nodes);
  tcase_add_unchecked_fixture (k9, NULL, stop_left_nodes);
  suite_add_tcase (s, nat);
  suite_add_tcase (s, ports);
  suite_add_tcase (s, k9);
  return s;
}

int
main (void)
{
  return tl_main (nat_suite, "test_nat");
}
