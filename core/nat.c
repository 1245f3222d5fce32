/* The NAT node (`kind: nat`): libslirp in the lab's supervisor gives the lab DHCP, a DNS
 * forwarder (to the host's resolver) and outbound TCP/UDP through the host's own
 * sockets, and forwards host ports into the lab (`hostfwd:`), with no change to the
 * host's firewall. Slirp reads and writes Ethernet frames on a TAP in the nat node's
 * namespace, joined to the node's link end by a tc mirred wire, so the link stays a
 * veth that is captured, impaired and pulled like any other.
 *
 * Slirp is poll()-shaped: before sleeping, slirp_pollfds_fill() names the sockets it
 * wants watched and how long it may sleep; after, slirp_pollfds_poll() takes what
 * happened. Here every event of a nat node (a frame on the TAP, one of slirp's sockets,
 * its timerfd) runs one such pass: poll with the event that woke us, fire slirp's due
 * timers, fill again, and bring the supervisor's epoll set and the timerfd in line with
 * what slirp now wants. Slirp announces each socket's end (unregister_poll_fd) before
 * it closes it, so a closed socket never lingers in the epoll set. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <slirp/libslirp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/netns.h"
#include "core/nl.h"
#include "core/service.h"
#include "core/tap.h"
#include "core/tc.h"
#include "core/util.h"

#define NAT_TAP_NAME "slirp0"
#define NAT_FRAMES_PER_WAKEUP 64

struct nat_node;

struct nat_timer
{
  struct nat_node *nn;
  SlirpTimerId id;
  void *cb_opaque;
  SlirpTimerCb cb; /* timer_new (older interface); NULL with timer_new_opaque */
  int64_t expire;  /* ms on slirp's clock; -1: not armed */
};

struct nat_poll
{
  int fd;
  int events; /* SLIRP_POLL_* */
};

struct nat_node
{
  struct loom_sup *s;
  char *name;
  int nsfd;
  int tap_fd;
  int tap_ifindex;
  int link_ifindex;
  int timer_fd;
  Slirp *slirp;
  struct nat_timer **timers;
  size_t n_timers;
  struct nat_poll *polls; /* as the last fill asked */
  size_t n_polls, cap_polls;
  struct nat_poll *watched; /* what the supervisor's epoll has of ours */
  size_t n_watched;
  int fired_fd; /* the fd whose event the current pass reports */
  uint32_t fired_events;
  bool in_pass;
  uint64_t frames_in, frames_out, dropped;
  char *network, *gateway, *dns, *dhcp_start;
};

struct nat
{
  struct nat_node **nodes;
  size_t n_nodes;
};

static void nat_pass (struct nat_node *nn);

/* ---- slirp's callbacks ---------------------------------------------------------- */

static int64_t
cb_clock_ns (void *opaque)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static ssize_t
cb_send (const void *buf, size_t len, void *opaque)
{
  struct nat_node *nn = opaque;
  ssize_t w = write (nn->tap_fd, buf, len);

  if (w < 0)
    {
      /* A full TAP queue drops the frame, as a full wire would: TCP resends. */
      nn->dropped++;
      return errno == EAGAIN || errno == EIO ? (ssize_t) len : -1;
    }
  nn->frames_out++;
  return w;
}

static void
cb_guest_error (const char *msg, void *opaque)
{
  struct nat_node *nn = opaque;
  loom_sup_log ("nat %s: the lab sent something slirp cannot take: %s", nn->name, msg);
}

static void *
timer_make (struct nat_node *nn, SlirpTimerId id, SlirpTimerCb cb, void *cb_opaque)
{
  struct nat_timer *t = loom_xcalloc (1, sizeof *t);
  t->nn = nn;
  t->id = id;
  t->cb = cb;
  t->cb_opaque = cb_opaque;
  t->expire = -1;
  LOOM_PUSH (nn->timers, nn->n_timers, t);
  return t;
}

static void *
cb_timer_new (SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
  return timer_make (opaque, SLIRP_TIMER_NUM, cb, cb_opaque);
}

static void *
cb_timer_new_opaque (SlirpTimerId id, void *cb_opaque, void *opaque)
{
  return timer_make (opaque, id, NULL, cb_opaque);
}

static void
cb_timer_free (void *timer, void *opaque)
{
  struct nat_node *nn = opaque;
  size_t i;

  for (i = 0; i < nn->n_timers; i++)
    if (nn->timers[i] == timer)
      {
        nn->timers[i] = nn->timers[--nn->n_timers];
        break;
      }
  free (timer);
}

static void
cb_timer_mod (void *timer, int64_t expire_ms, void *opaque)
{
  struct nat_timer *t = timer;
  t->expire = expire_ms;
  /* Called from inside a pass (slirp reacting to a frame or a socket): the pass arms
   * the timerfd when it ends. */
  if (!t->nn->in_pass)
    nat_pass (t->nn);
}

static void
cb_register_poll_fd (int fd, void *opaque)
{
  /* Nothing to do yet: the next fill says what slirp wants of it. */
}

static void
cb_unregister_poll_fd (int fd, void *opaque)
{
  struct nat_node *nn = opaque;
  size_t i;

  /* Slirp closes the socket next: take it out of the epoll set while it is ours. */
  for (i = 0; i < nn->n_watched; i++)
    if (nn->watched[i].fd == fd)
      {
        loom_sup_unwatch (nn->s, fd);
        nn->watched[i] = nn->watched[--nn->n_watched];
        break;
      }
  for (i = 0; i < nn->n_polls; i++)
    if (nn->polls[i].fd == fd)
      nn->polls[i].fd = -1;
}

static void
cb_notify (void *opaque)
{
  /* Slirp can take more data: a pass re-reads what it wants. */
  struct nat_node *nn = opaque;
  if (!nn->in_pass)
    nat_pass (nn);
}

static const SlirpCb callbacks = {
  .send_packet = cb_send,
  .guest_error = cb_guest_error,
  .clock_get_ns = cb_clock_ns,
  .timer_new = cb_timer_new,
  .timer_free = cb_timer_free,
  .timer_mod = cb_timer_mod,
  .register_poll_fd = cb_register_poll_fd,
  .unregister_poll_fd = cb_unregister_poll_fd,
  .notify = cb_notify,
  .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the pass ------------------------------------------------------------------- */

static int
add_poll (int fd, int events, void *opaque)
{
  struct nat_node *nn = opaque;
  if (nn->n_polls == nn->cap_polls)
    {
      nn->cap_polls = nn->cap_polls ? 2 * nn->cap_polls : 16;
      nn->polls = loom_xrealloc (nn->polls, nn->cap_polls * sizeof *nn->polls);
    }
  nn->polls[nn->n_polls].fd = fd;
  nn->polls[nn->n_polls].events = events;
  return (int) nn->n_polls++;
}

static int
get_revents (int idx, void *opaque)
{
  struct nat_node *nn = opaque;
  uint32_t ev;
  int r = 0;

  if (idx < 0 || (size_t) idx >= nn->n_polls || nn->polls[idx].fd < 0
      || nn->polls[idx].fd != nn->fired_fd)
    return 0;
  ev = nn->fired_events;
  if (ev & EPOLLIN)
    r |= SLIRP_POLL_IN;
  if (ev & EPOLLOUT)
    r |= SLIRP_POLL_OUT;
  if (ev & EPOLLPRI)
    r |= SLIRP_POLL_PRI;
  if (ev & EPOLLERR)
    r |= SLIRP_POLL_ERR;
  if (ev & EPOLLHUP)
    r |= SLIRP_POLL_HUP;
  return r;
}

static uint32_t
epoll_events (int slirp_events)
{
  uint32_t ev = 0;
  if (slirp_events & SLIRP_POLL_IN)
    ev |= EPOLLIN;
  if (slirp_events & SLIRP_POLL_OUT)
    ev |= EPOLLOUT;
  if (slirp_events & SLIRP_POLL_PRI)
    ev |= EPOLLPRI;
  return ev;
}

static void on_slirp_fd (struct loom_sup *s, void *ctx, int fd, uint32_t events);

/* Brings the supervisor's epoll set in line with the last fill. */
static void
sync_watches (struct nat_node *nn)
{
  size_t i, j;

  for (i = 0; i < nn->n_watched;)
    {
      bool want = false;
      for (j = 0; j < nn->n_polls && !want; j++)
        want = nn->polls[j].fd == nn->watched[i].fd;
      if (want)
        {
          i++;
          continue;
        }
      loom_sup_unwatch (nn->s, nn->watched[i].fd);
      nn->watched[i] = nn->watched[--nn->n_watched];
    }
  for (j = 0; j < nn->n_polls; j++)
    {
      uint32_t ev = epoll_events (nn->polls[j].events);
      loom_error_t err = NULL;
      struct nat_poll *w = NULL;

      if (nn->polls[j].fd < 0)
        continue;
      for (i = 0; i < nn->n_watched && !w; i++)
        if (nn->watched[i].fd == nn->polls[j].fd)
          w = &nn->watched[i];
      if (w && (uint32_t) w->events == ev)
        continue;
      if (loom_sup_watch (nn->s, nn->polls[j].fd, ev, on_slirp_fd, nn, &err) < 0)
        {
          loom_autofree char *t = loom_error_text (err);
          loom_sup_log ("nat %s: watch fd %d: %s", nn->name, nn->polls[j].fd, t);
          loom_error_release (&err);
          continue;
        }
      if (w)
        w->events = (int) ev;
      else
        {
          struct nat_poll p = { nn->polls[j].fd, (int) ev };
          LOOM_PUSH (nn->watched, nn->n_watched, p);
        }
    }
}

static void
nat_pass (struct nat_node *nn)
{
  uint32_t timeout = UINT32_MAX;
  int64_t now, next = INT64_MAX;
  struct itimerspec its = { { 0, 0 }, { 0, 0 } };
  size_t i;
  bool fired = true;

  if (nn->slirp == NULL || nn->in_pass)
    return;
  nn->in_pass = true;
  slirp_pollfds_poll (nn->slirp, 0, get_revents, nn);
  nn->fired_fd = -1;
  nn->fired_events = 0;
  /* Slirp's own timers (a timer's callback may arm another: go round until none is
   * due). */
  while (fired)
    {
      fired = false;
      now = cb_clock_ns (NULL) / 1000000;
      for (i = 0; i < nn->n_timers; i++)
        {
          struct nat_timer *t = nn->timers[i];
          if (t->expire < 0 || t->expire > now)
            continue;
          t->expire = -1;
          if (t->cb)
            t->cb (t->cb_opaque);
          else
            slirp_handle_timer (nn->slirp, t->id, t->cb_opaque);
          fired = true;
          break; /* the list may have changed */
        }
    }
  nn->n_polls = 0;
  slirp_pollfds_fill (nn->slirp, &timeout, add_poll, nn);
  sync_watches (nn);
  now = cb_clock_ns (NULL) / 1000000;
  if (timeout != UINT32_MAX)
    next = now + timeout;
  for (i = 0; i < nn->n_timers; i++)
    if (nn->timers[i]->expire >= 0 && nn->timers[i]->expire < next)
      next = nn->timers[i]->expire;
  if (next != INT64_MAX)
    {
      int64_t in = next > now ? next - now : 0;
      /* 0 would disarm: the soonest is a microsecond away. */
      its.it_value.tv_sec = in / 1000;
      its.it_value.tv_nsec = in % 1000 ? (in % 1000) * 1000000L : (in ? 0 : 1000);
    }
  timerfd_settime (nn->timer_fd, 0, &its, NULL);
  nn->in_pass = false;
}

static void
on_slirp_fd (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct nat_node *nn = ctx;
  nn->fired_fd = fd;
  nn->fired_events = events;
  nat_pass (nn);
}

static void
on_timer (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct nat_node *nn = ctx;
  uint64_t ticks;
  (void) !read (fd, &ticks, sizeof ticks);
  nat_pass (nn);
}

/* Frames from the lab. */
static void
on_tap (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct nat_node *nn = ctx;
  uint8_t buf[65536 + 64];
  int n;

  nn->in_pass = true; /* slirp_input may arm timers: one pass after the batch */
  for (n = 0; n < NAT_FRAMES_PER_WAKEUP; n++)
    {
      ssize_t r = read (fd, buf, sizeof buf);
      if (r <= 0)
        break;
      nn->frames_in++;
      slirp_input (nn->slirp, buf, (int) r);
    }
  nn->in_pass = false;
  nat_pass (nn);
}

/* ---- starting and stopping ------------------------------------------------------ */

static void
node_free (struct loom_sup *s, struct nat_node *nn)
{
  size_t i;

  if (nn->slirp)
    {
      /* Slirp unregisters (and closes) its sockets as it goes. */
      nn->in_pass = true;
      slirp_cleanup (nn->slirp);
      nn->slirp = NULL;
    }
  for (i = 0; i < nn->n_watched; i++)
    loom_sup_unwatch (s, nn->watched[i].fd);
  for (i = 0; i < nn->n_timers; i++)
    free (nn->timers[i]);
  free (nn->timers);
  if (nn->tap_fd >= 0)
    {
      loom_sup_unwatch (s, nn->tap_fd);
      close (nn->tap_fd); /* the TAP goes with its fd */
    }
  if (nn->timer_fd >= 0)
    {
      loom_sup_unwatch (s, nn->timer_fd);
      close (nn->timer_fd);
    }
  if (nn->nsfd >= 0)
    close (nn->nsfd);
  free (nn->polls);
  free (nn->watched);
  free (nn->name);
  free (nn->network);
  free (nn->gateway);
  free (nn->dns);
  free (nn->dhcp_start);
  free (nn);
}

static struct in_addr
v4 (const char *text)
{
  struct in_addr a = { 0 };
  if (text)
    inet_pton (AF_INET, text, &a);
  return a;
}

/* A host port forwarded into the lab. */
static int
add_hostfwd (struct nat_node *nn, json_t *fwd, loom_error_t *err)
{
  const char *host = json_string_value (json_object_get (fwd, "host"));
  const char *addr = json_string_value (json_object_get (fwd, "addr"));
  const char *proto = json_string_value (json_object_get (fwd, "proto"));
  int host_port = (int) json_integer_value (json_object_get (fwd, "host_port"));
  int port = (int) json_integer_value (json_object_get (fwd, "port"));
  bool udp = proto && strcmp (proto, "udp") == 0;
  int r;

  if (host == NULL || *host == '\0')
    host = "127.0.0.1";
  if (addr == NULL || *addr == '\0')
    addr = nn->dhcp_start;
  if (strchr (host, ':'))
    {
      struct sockaddr_in6 h = { .sin6_family = AF_INET6, .sin6_port = htons (host_port) };
      struct sockaddr_in g = { .sin_family = AF_INET, .sin_port = htons (port) };
      if (inet_pton (AF_INET6, host, &h.sin6_addr) != 1)
        return loom_error_make (err, 0, "node %s: hostfwd: '%s' is not an address", nn->name, host);
      g.sin_addr = v4 (addr);
      errno = 0;
      r = slirp_add_hostxfwd (nn->slirp, (struct sockaddr *) &h, sizeof h, (struct sockaddr *) &g,
                              sizeof g, udp ? SLIRP_HOSTFWD_UDP : 0);
    }
  else
    {
      struct in_addr h;
      if (inet_pton (AF_INET, host, &h) != 1)
        return loom_error_make (err, 0, "node %s: hostfwd: '%s' is not an address", nn->name, host);
      errno = 0;
      r = slirp_add_hostfwd (nn->slirp, udp, h, host_port, v4 (addr), port);
    }
  if (r < 0)
    {
      if (errno == EADDRINUSE)
        return loom_error_make (err, 0, "node %s: %s%s%s:%d/%s is in use on the host", nn->name,
                                strchr (host, ':') ? "[" : "", host, strchr (host, ':') ? "]" : "",
                                host_port, udp ? "udp" : "tcp");
      return loom_error_make (err, errno, "node %s: cannot forward %s:%d/%s to %s:%d", nn->name,
                              host, host_port, udp ? "udp" : "tcp", addr, port);
    }
  loom_sup_log ("nat %s: host %s:%d/%s -> %s:%d", nn->name, host, host_port, udp ? "udp" : "tcp",
                addr, port);
  return 0;
}

static int
node_start (struct loom_sup *s, struct nat_node *nn, json_t *node, loom_error_t *err)
{
  json_t *nat = json_object_get (node, "nat"), *f, *link = NULL, *fwd;
  const char *ns = json_string_value (json_object_get (node, "netns"));
  const char *tap_name = NAT_TAP_NAME;
  struct nl_sock *sk = NULL;
  SlirpConfig cfg = { .version = 4 };
  size_t i, n_links = 0;
  int plen = 0, r;

  nn->network = loom_xstrdup (json_string_value (json_object_get (nat, "network")));
  nn->gateway = loom_xstrdup (json_string_value (json_object_get (nat, "gateway")));
  nn->dns = loom_xstrdup (json_string_value (json_object_get (nat, "dns")));
  nn->dhcp_start = loom_xstrdup (json_string_value (json_object_get (nat, "dhcp_start")));
  if (nn->network == NULL || nn->gateway == NULL || nn->dns == NULL || nn->dhcp_start == NULL)
    return loom_error_make (err, 0,
                            "node %s: the nat network is not an IPv4 network (\"%s\"; "
                            "expected something like 10.0.2.0/24)",
                            nn->name, nn->network ? nn->network : "?");
  {
    const char *slash = strchr (nn->network, '/');
    plen = slash ? atoi (slash + 1) : -1;
  }
  /* Slirp's DHCP hands out 16 addresses from .15: a /27 is the smallest that holds them. */
  if (plen < 8 || plen > 27)
    return loom_error_make (err, 0,
                            "node %s: nat network %s: expected a prefix length from /8 to /27 "
                            "(the gateway is .2, DNS .3, DHCP leases from .15 to .30)",
                            nn->name, nn->network);
  json_array_foreach (json_object_get (node, "interfaces"), i, f)
    if (!json_is_null (json_object_get (f, "peer")))
      {
        if (link == NULL)
          link = f;
        n_links++;
      }
  if (n_links != 1)
    return loom_error_make (err, 0, "node %s: a nat node has exactly one link (it has %zu)",
                            nn->name, n_links);
  nn->link_ifindex = (int) json_integer_value (json_object_get (link, "ifindex"));
  json_array_foreach (json_object_get (node, "interfaces"), i, f)
    if (strcmp (json_string_value (json_object_get (f, "name")), tap_name) == 0)
      tap_name = "slirp-tap";

  nn->nsfd = loom_netns_open (ns, err);
  if (nn->nsfd < 0)
    return loom_error_wrap (err, "node %s", nn->name);
  nn->tap_fd = loom_tap_create (nn->nsfd, tap_name, false, &nn->tap_ifindex, err);
  if (nn->tap_fd < 0)
    return loom_error_wrap (err, "node %s", nn->name);
  /* A netlink socket inside the node's namespace, for the TAP and the wire. */
  sk = loom_nl_open_at (nn->nsfd, err);
  if (sk == NULL)
    return loom_error_wrap (err, "node %s", nn->name);
  r = loom_nl_link_set_up (sk, nn->tap_ifindex, true, err) < 0
              || loom_tc_mirred_wire (sk, nn->tap_ifindex, nn->link_ifindex, err) < 0
          ? -1
          : 0;
  loom_nl_close (sk);
  if (r < 0)
    return loom_error_wrap (err, "node %s: joining the TAP to %s", nn->name,
                            json_string_value (json_object_get (link, "name")));

  cfg.in_enabled = true;
  {
    char net[64];
    snprintf (net, sizeof net, "%s", nn->network);
    if (strchr (net, '/'))
      *strchr (net, '/') = '\0';
    cfg.vnetwork = v4 (net);
  }
  cfg.vnetmask.s_addr = htonl (~0u << (32 - plen));
  cfg.vhost = v4 (nn->gateway);
  cfg.vnameserver = v4 (nn->dns);
  cfg.vdhcp_start = v4 (nn->dhcp_start);
  cfg.vhostname = NULL;
  cfg.if_mtu = 1500;
  cfg.if_mru = 1500;
  {
    int mtu = (int) json_integer_value (json_object_get (link, "mtu"));
    if (mtu >= 576 && mtu < 1500)
      cfg.if_mtu = cfg.if_mru = (size_t) mtu;
  }
  cfg.in6_enabled = false;
  cfg.disable_host_loopback = false; /* the gateway is the host's loopback */
  nn->slirp = slirp_new (&cfg, &callbacks, nn);
  if (nn->slirp == NULL)
    return loom_error_make (err, 0, "node %s: slirp did not start", nn->name);

  nn->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (nn->timer_fd < 0)
    return loom_error_make (err, errno, "timerfd");
  if (loom_sup_watch (s, nn->timer_fd, EPOLLIN, on_timer, nn, err) < 0
      || loom_sup_watch (s, nn->tap_fd, EPOLLIN, on_tap, nn, err) < 0)
    return -1;
  json_array_foreach (json_object_get (nat, "hostfwd"), i, fwd)
    if (add_hostfwd (nn, fwd, err) < 0)
      return -1;
  nat_pass (nn);
  loom_sup_log ("nat %s: network %s, gateway %s, DNS %s, DHCP from %s (%s -- %s)", nn->name,
                nn->network, nn->gateway, nn->dns, nn->dhcp_start, tap_name,
                json_string_value (json_object_get (link, "name")));
  return 0;
}

static void
nat_stop (struct loom_sup *s, void *priv)
{
  struct nat *nat = priv;
  size_t i;

  if (nat == NULL)
    return;
  for (i = 0; i < nat->n_nodes; i++)
    node_free (s, nat->nodes[i]);
  free (nat->nodes);
  free (nat);
}

static int
nat_start (struct loom_sup *s, void **priv, loom_error_t *err)
{
  json_t *n;
  struct nat *nat = NULL;
  size_t i;

  json_array_foreach (json_object_get (loom_sup_state (s), "nodes"), i, n)
    {
      const char *kind = json_string_value (json_object_get (n, "kind"));
      struct nat_node *nn;

      if (kind == NULL || strcmp (kind, "nat") != 0)
        continue;
      if (nat == NULL)
        *priv = nat = loom_xcalloc (1, sizeof *nat);
      nn = loom_xcalloc (1, sizeof *nn);
      nn->s = s;
      nn->name = loom_xstrdup (json_string_value (json_object_get (n, "name")));
      nn->nsfd = nn->tap_fd = nn->timer_fd = nn->fired_fd = -1;
      LOOM_PUSH (nat->nodes, nat->n_nodes, nn);
      if (node_start (s, nn, n, err) < 0)
        return -1;
    }
  return 0;
}

static void
nat_status (struct loom_sup *s, void *priv, json_t *out)
{
  struct nat *nat = priv;
  json_t *list = json_array ();
  size_t i;

  for (i = 0; nat && i < nat->n_nodes; i++)
    {
      struct nat_node *nn = nat->nodes[i];
      json_array_append_new (
          list, json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "node", nn->name, "network",
                           nn->network ? nn->network : "", "gateway",
                           nn->gateway ? nn->gateway : "", "frames_in", (json_int_t) nn->frames_in,
                           "frames_out", (json_int_t) nn->frames_out, "dropped",
                           (json_int_t) nn->dropped, "sockets", (json_int_t) nn->n_watched));
    }
  json_object_set_new (out, "nat", list);
}

/* The runtime takes a stopped nat node's link down and back up; slirp, its TAP and its
 * leases stay as they are, so the lab finds the same gateway when the node is back. */
static int
nat_node_set (struct loom_sup *s, void *priv, const char *node, bool start, loom_error_t *err)
{
  struct nat *nat = priv;
  size_t i;

  for (i = 0; nat && i < nat->n_nodes; i++)
    if (strcmp (nat->nodes[i]->name, node) == 0)
      loom_sup_log ("nat %s: %s (slirp keeps running; the link is %s)", node,
                    start ? "started" : "stopped", start ? "up" : "down");
  return 0;
}

const struct loom_service loom_service_nat = {
  .name = "nat",
  .start = nat_start,
  .stop = nat_stop,
  .node_set = nat_node_set,
  .status = nat_status,
};
