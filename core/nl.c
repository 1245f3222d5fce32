/* rtnetlink requests for labs, each built by hand with libnl's message API so one
 * request does a whole step (a veth pair created in place, named, up and enslaved). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/netns.h"
#include "core/nl.h"
#include "core/util.h"

struct nl_sock *
loom_nl_open (loom_error_t *err)
{
  struct nl_sock *sk = nl_socket_alloc ();
  int r;

  if (sk == NULL)
    abort ();
  r = nl_connect (sk, NETLINK_ROUTE);
  if (r < 0)
    {
      nl_socket_free (sk);
      loom_error_make (err, 0, "netlink connect: %s", nl_geterror (r));
      return NULL;
    }
  return sk;
}

struct nl_sock *
loom_nl_open_at (int nsfd, loom_error_t *err)
{
  loom_autoclose int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  struct nl_sock *sk;

  if (self < 0)
    return loom_error_make (err, errno, "open /proc/thread-self/ns/net"), NULL;
  if (loom_netns_enter (nsfd, err) < 0)
    return NULL;
  sk = loom_nl_open (err);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* a thread stuck in another namespace would corrupt everything after */
  return sk;
}

struct nl_sock *
loom_nl_open_in (const char *ns, loom_error_t *err)
{
  loom_autoclose int fd = loom_netns_open (ns, err);

  return fd < 0 ? NULL : loom_nl_open_at (fd, err);
}

/* RFC 2863's "up" (IF_OPER_UP of linux/if.h, which clashes with net/if.h). */
#define LOOM_IF_OPER_UP 6

/* What a waited-for interface is: not up yet, up, or set down (nothing to wait for). */
enum end_state
{
  END_WAITING,
  END_UP,
  END_ADMIN_DOWN,
};

/* Reads what the socket holds and marks the interfaces it reports; *replies counts the
 * answers to our requests (sequence numbers > 0; events have 0). Returns 0, or -1 when
 * the socket lost messages (the caller asks again) or failed (err set). */
static int
oper_read (int fd, const int *ifindex, enum end_state *st, size_t n, size_t *replies,
           loom_error_t *err)
{
  char buf[32768] __attribute__ ((aligned (NLMSG_ALIGNTO)));

  for (;;)
    {
      ssize_t len = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      struct nlmsghdr *h;

      if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
      if (len < 0)
        return errno == ENOBUFS ? -1 : loom_error_make (err, errno, "netlink receive");
      for (h = (struct nlmsghdr *) buf; NLMSG_OK (h, (size_t) len); h = NLMSG_NEXT (h, len))
        {
          struct ifinfomsg *ifi = NLMSG_DATA (h);
          struct rtattr *a;
          int alen;
          size_t k;

          if (h->nlmsg_type == NLMSG_ERROR)
            {
              struct nlmsgerr *e = NLMSG_DATA (h);
              if (e->error)
                return loom_error_make (err, -e->error, "netlink get link %d",
                                        h->nlmsg_seq ? ifindex[h->nlmsg_seq - 1] : 0);
              continue;
            }
          if (h->nlmsg_type != RTM_NEWLINK)
            continue;
          if (h->nlmsg_seq > 0)
            (*replies)++;
          for (k = 0; k < n && ifindex[k] != ifi->ifi_index; k++)
            ;
          if (k == n)
            continue;
          st[k] = (ifi->ifi_flags & IFF_UP) ? END_WAITING : END_ADMIN_DOWN;
          alen = (int) IFLA_PAYLOAD (h);
          for (a = IFLA_RTA (ifi); RTA_OK (a, alen); a = RTA_NEXT (a, alen))
            if (a->rta_type == IFLA_OPERSTATE && *(uint8_t *) RTA_DATA (a) == LOOM_IF_OPER_UP)
              st[k] = END_UP;
        }
    }
}

int
loom_nl_wait_oper_up (int nsfd, const int *ifindex, size_t n, double timeout_s, int *not_up,
                      loom_error_t *err)
{
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
  loom_autoclose int fd = loom_netns_socket (nsfd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
                                              NETLINK_ROUTE, err);
  loom_autofree enum end_state *st = loom_xcalloc (n + 1, sizeof *st);
  double deadline = loom_now () + timeout_s;
  int rcvbuf = 1 << 20;
  bool ask = true;
  size_t k, replies = 0;

  *not_up = 0;
  if (fd < 0)
    return -1;
  /* A switch's ports report together: room for all of them (a loss means asking again). */
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return loom_error_make (err, errno, "netlink bind");

  /* Subscribed first, then one request per interface: a change in between arrives as an
   * event. The kernel answers a request for one link only after it has acted on that
   * link's pending carrier change itself, so most ends are up by their answer; the
   * others (a peer not up yet) come up as events. */
  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      double left;
      int r = 0;

      if (ask)
        {
          ask = false;
          replies = 0;
          for (k = 0; k < n && r == 0; k++)
            {
              struct
              {
                struct nlmsghdr h;
                struct ifinfomsg i;
              } req = { .h = { .nlmsg_len = sizeof req,
                               .nlmsg_type = RTM_GETLINK,
                               .nlmsg_flags = NLM_F_REQUEST,
                               .nlmsg_seq = (uint32_t) k + 1 },
                        .i = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex[k] } };
              if (send (fd, &req, sizeof req, 0) < 0)
                return loom_error_make (err, errno, "netlink get link %d", ifindex[k]);
              /* The answer is queued by the time send returns, and one that finds the
               * socket full is dropped: read as we go. */
              r = oper_read (fd, ifindex, st, n, &replies, err);
            }
        }
      if (r == 0)
        r = oper_read (fd, ifindex, st, n, &replies, err);
      if (r < 0 && *err)
        return -1;
      ask = r < 0; /* lost messages: ask again */
      for (k = 0; k < n && st[k] != END_WAITING; k++)
        ;
      if (!ask && replies >= n && k == n)
        return 0;
      left = deadline - loom_now ();
      if (left <= 0)
        break;
      if (!ask && poll (&pfd, 1, (int) (left * 1000) + 1) < 0 && errno != EINTR)
        return loom_error_make (err, errno, "poll");
    }
  for (k = 0; k < n; k++)
    if (st[k] == END_WAITING)
      {
        *not_up = ifindex[k];
        break;
      }
  return 0;
}

int
loom_nl_addrs_each (struct nl_sock *sk, loom_nl_addr_fn fn, void *data, loom_error_t *err)
{
  struct nl_cache *links = NULL, *addrs = NULL;
  struct nl_object *obj;
  int r;

  r = rtnl_link_alloc_cache (sk, AF_UNSPEC, &links);
  if (r == 0)
    r = rtnl_addr_alloc_cache (sk, &addrs);
  if (r < 0)
    {
      nl_cache_free (links);
      return loom_error_make (err, 0, "netlink dump: %s", nl_geterror (r));
    }
  for (obj = nl_cache_get_first (addrs); obj; obj = nl_cache_get_next (obj))
    {
      struct rtnl_addr *a = (struct rtnl_addr *) obj;
      struct nl_addr *local = rtnl_addr_get_local (a);
      char name[IFNAMSIZ], ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
      int family = rtnl_addr_get_family (a);

      /* Global and site addresses: link-local and loopback ones say nothing of the lab. */
      if (local == NULL || rtnl_addr_get_scope (a) >= RT_SCOPE_LINK
          || (family != AF_INET && family != AF_INET6)
          || !rtnl_link_i2name (links, rtnl_addr_get_ifindex (a), name, sizeof name)
          || !inet_ntop (family, nl_addr_get_binary_addr (local), ip, sizeof ip))
        continue;
      snprintf (text, sizeof text, "%s/%d", ip, rtnl_addr_get_prefixlen (a));
      fn (name, family, text, data);
    }
  nl_cache_free (addrs);
  nl_cache_free (links);
  return 0;
}

void
loom_nl_close (struct nl_sock *sk)
{
  nl_socket_free (sk);
}

/* Sends and waits for the kernel's ack; frees msg. */
static int
send_sync (struct nl_sock *sk, struct nl_msg *msg, loom_error_t *err, const char *what)
{
  int r;

  if (loom_fault_check (what, err) < 0)
    {
      nlmsg_free (msg);
      return -1;
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return loom_error_make (err, 0, "%s: %s", what, nl_geterror (r));
  return 0;
}

static struct nl_msg *
link_msg (int type, int flags, int family, int ifindex, unsigned ifi_flags, unsigned change)
{
  struct nl_msg *msg = nlmsg_alloc_simple (type, NLM_F_REQUEST | NLM_F_ACK | flags);
  struct ifinfomsg ifi = {
    .ifi_family = family,
    .ifi_index = ifindex,
    .ifi_flags = ifi_flags,
    .ifi_change = change,
  };
  if (msg == NULL || nlmsg_append (msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0)
    abort ();
  return msg;
}

int
loom_nl_link_set_up (struct nl_sock *sk, int ifindex, bool up, loom_error_t *err)
{
  return loom_nl_link_setup (sk, ifindex, 0, up, err);
}

int
loom_nl_link_setup (struct nl_sock *sk, int ifindex, int master, bool up, loom_error_t *err)
{
  struct nl_msg *msg = link_msg (RTM_NEWLINK, 0, AF_UNSPEC, ifindex, up ? IFF_UP : 0, IFF_UP);
  if (master > 0 && nla_put_u32 (msg, IFLA_MASTER, master) < 0)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build link request");
    }
  return send_sync (sk, msg, err, up ? "set link up" : "set link down");
}

static int
put_end (struct nl_msg *msg, const struct loom_veth_end *e, bool main)
{
  if (nla_put_string (msg, IFLA_IFNAME, e->name) < 0
      || nla_put_u32 (msg, IFLA_NET_NS_FD, e->nsfd) < 0)
    return -1;
  if (e->mtu > 0 && nla_put_u32 (msg, IFLA_MTU, e->mtu) < 0)
    return -1;
  if (e->mac && nla_put (msg, IFLA_ADDRESS, 6, e->mac) < 0)
    return -1;
  if (main && e->master > 0 && nla_put_u32 (msg, IFLA_MASTER, e->master) < 0)
    return -1;
  return 0;
}

int
loom_nl_veth_create (struct nl_sock *sk, const struct loom_veth_end *a,
                     const struct loom_veth_end *b, loom_error_t *err)
{
  struct nl_msg *msg = link_msg (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, a->ifindex,
                                 IFF_UP, IFF_UP);
  struct ifinfomsg peer = {
    .ifi_family = AF_UNSPEC,
    .ifi_index = b->ifindex,
  };
  struct nlattr *info, *data, *pnest;

  if (put_end (msg, a, true) < 0 || !(info = nla_nest_start (msg, IFLA_LINKINFO))
      || nla_put_string (msg, IFLA_INFO_KIND, "veth") < 0
      || !(data = nla_nest_start (msg, IFLA_INFO_DATA))
      || !(pnest = nla_nest_start (msg, VETH_INFO_PEER))
      || nlmsg_append (msg, &peer, sizeof peer, NLMSG_ALIGNTO) < 0 || put_end (msg, b, false) < 0)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build veth request");
    }
  nla_nest_end (msg, pnest);
  nla_nest_end (msg, data);
  nla_nest_end (msg, info);
  return send_sync (sk, msg, err, "create veth pair");
}

int
loom_nl_bridge_create (struct nl_sock *sk, const char *name, int ifindex,
                       const struct loom_bridge_opts *opts, loom_error_t *err)
{
  struct nl_msg *msg
      = link_msg (RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, ifindex, IFF_UP, IFF_UP);
  struct nlattr *info, *data;
  int r = 0;

  r |= nla_put_string (msg, IFLA_IFNAME, name);
  info = nla_nest_start (msg, IFLA_LINKINFO);
  r |= nla_put_string (msg, IFLA_INFO_KIND, "bridge");
  data = nla_nest_start (msg, IFLA_INFO_DATA);
  if (opts->vlan_filtering)
    {
      r |= nla_put_u8 (msg, IFLA_BR_VLAN_FILTERING, 1);
      /* Ports get no VLAN by themselves; each port's VLANs are added explicitly. */
      r |= nla_put_u16 (msg, IFLA_BR_VLAN_DEFAULT_PVID, 0);
    }
  if (opts->stp)
    r |= nla_put_u32 (msg, IFLA_BR_STP_STATE, 1);
  if (opts->hub)
    r |= nla_put_u32 (msg, IFLA_BR_AGEING_TIME, 0);
  if (r < 0 || !info || !data)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build bridge request");
    }
  nla_nest_end (msg, data);
  nla_nest_end (msg, info);
  return send_sync (sk, msg, err, "create bridge");
}

int
loom_nl_bridge_vlan_add (struct nl_sock *sk, int port_ifindex, int vid, bool access,
                         loom_error_t *err)
{
  struct nl_msg *msg = link_msg (RTM_SETLINK, 0, AF_BRIDGE, port_ifindex, 0, 0);
  struct bridge_vlan_info vinfo = {
    .flags = access ? (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED) : 0,
    .vid = vid,
  };
  struct nlattr *spec = nla_nest_start (msg, IFLA_AF_SPEC);

  if (!spec || nla_put (msg, IFLA_BRIDGE_VLAN_INFO, sizeof vinfo, &vinfo) < 0)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build vlan request");
    }
  nla_nest_end (msg, spec);
  return send_sync (sk, msg, err, "add bridge vlan");
}

static int
addr_len (int family)
{
  return family == AF_INET ? 4 : 16;
}

int
loom_nl_addr_add (struct nl_sock *sk, int ifindex, const struct loom_addr *addr,
                  loom_error_t *err)
{
  struct nl_msg *msg
      = nlmsg_alloc_simple (RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg ifa = {
    .ifa_family = addr->family,
    .ifa_prefixlen = addr->prefixlen < 0 ? (addr->family == AF_INET ? 32 : 128) : addr->prefixlen,
    .ifa_index = ifindex,
    .ifa_scope = RT_SCOPE_UNIVERSE,
  };
  int len = addr_len (addr->family), r = 0;
  char what[128];

  if (msg == NULL || nlmsg_append (msg, &ifa, sizeof ifa, NLMSG_ALIGNTO) < 0)
    abort ();
  r |= nla_put (msg, IFA_LOCAL, len, addr->bytes);
  r |= nla_put (msg, IFA_ADDRESS, len, addr->bytes);
  /* A lab's addresses are planned: skip duplicate address detection so they are usable
   * the moment deploy returns. */
  if (addr->family == AF_INET6)
    r |= nla_put_u32 (msg, IFA_FLAGS, IFA_F_NODAD);
  if (r < 0)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build address request");
    }
  snprintf (what, sizeof what, "add address %s", addr->text);
  return send_sync (sk, msg, err, what);
}

int
loom_nl_route_add (struct nl_sock *sk, const struct loom_route *route, int oif,
                   loom_error_t *err)
{
  struct nl_msg *msg
      = nlmsg_alloc_simple (RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg rtm = {
    .rtm_family = route->family,
    .rtm_dst_len = route->dst.prefixlen < 0 ? (route->family == AF_INET ? 32 : 128)
                                            : route->dst.prefixlen,
    .rtm_table = RT_TABLE_MAIN,
    .rtm_protocol = RTPROT_STATIC,
    .rtm_scope = route->has_gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
    .rtm_type = RTN_UNICAST,
  };
  int len = addr_len (route->family), r = 0;
  char what[160];

  if (msg == NULL || nlmsg_append (msg, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0)
    abort ();
  if (rtm.rtm_dst_len > 0)
    r |= nla_put (msg, RTA_DST, len, route->dst.bytes);
  if (route->has_gateway)
    r |= nla_put (msg, RTA_GATEWAY, len, route->gateway.bytes);
  if (oif > 0)
    r |= nla_put_u32 (msg, RTA_OIF, oif);
  if (route->metric > 0)
    r |= nla_put_u32 (msg, RTA_PRIORITY, route->metric);
  if (r < 0)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build route request");
    }
  snprintf (what, sizeof what, "add route '%s'", route->text ? route->text : "?");
  return send_sync (sk, msg, err, what);
}

int
loom_sysctl_set (const char *key, const char *value, loom_error_t *err)
{
  char path[256];
  size_t i, n;
  int fd;
  ssize_t w;

  if (loom_fault_check ("sysctl", err) < 0)
    return -1;
  n = snprintf (path, sizeof path, "/proc/sys/%s", key);
  if (n >= sizeof path)
    return loom_error_make (err, ENAMETOOLONG, "sysctl %s", key);
  for (i = strlen ("/proc/sys/"); i < n; i++)
    if (path[i] == '.')
      path[i] = '/';
  /* /proc/sys/net resolves against the calling thread's network namespace. */
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return loom_error_make (err, errno, "sysctl %s", key);
  w = write (fd, value, strlen (value));
  if (w < 0)
    {
      int e = errno;
      close (fd);
      return loom_error_make (err, e, "sysctl %s=%s", key, value);
    }
  close (fd);
  return 0;
}

int
loom_nl_link_set_gso_max_segs (struct nl_sock *sk, int ifindex, uint32_t segs, loom_error_t *err)
{
  struct nl_msg *msg = link_msg (RTM_NEWLINK, 0, AF_UNSPEC, ifindex, 0, 0);
  if (nla_put_u32 (msg, IFLA_GSO_MAX_SEGS, segs) < 0)
    {
      nlmsg_free (msg);
      return loom_error_make (err, ENOMEM, "build link request");
    }
  return send_sync (sk, msg, err, "set gso_max_segs");
}
