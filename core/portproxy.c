/* Published ports (`ports: ["8080:80", "127.0.0.1:5353:53/udp"]`): the supervisor
 * listens on the host and carries each connection into the node's network namespace,
 * where it connects to 127.0.0.1:<port> (for a VM, which has no stack in its namespace:
 * to the VM's first IPv4 address, from a neighbour on its subnet). A socket belongs to
 * the namespace its creator was in, so the supervisor's one thread enters the node's
 * namespace just for socket() and comes back; everything else is plain epoll in the
 * supervisor's loop. TCP is relayed with splice() through a pipe per direction (no copy
 * through user space), with half-close and backpressure; UDP keeps a session socket per
 * client address that expires after a minute of silence. Nothing is changed on the host
 * but the listening sockets, which die with the supervisor. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/netns.h"
#include "core/service.h"
#include "core/util.h"

#define PP_PIPE_SIZE (256 << 10) /* bytes in flight per direction */
#define PP_UDP_IDLE_MS 60000     /* a UDP session ends after this much silence */
#define PP_UDP_MAX_SESSIONS 1024 /* per published port */
#define PP_PUMP_ROUNDS 16        /* then back to the loop: fairness between connections */

struct pp;

struct pp_ns
{
  char *name;
  int fd;
};

struct pp_udp
{
  struct pp_listener *l;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  int fd;       /* inside the node's namespace, connected to the target */
  int64_t last; /* ms, monotonic */
  struct pp_udp *next;
};

struct pp_listener
{
  struct pp *pp;
  char *node;
  char *spec; /* "127.0.0.1:8080->80/tcp" for messages and status */
  int proto;  /* IPPROTO_TCP or IPPROTO_UDP */
  int fd;     /* on the host */
  int nsfd;   /* borrowed (struct pp_ns): where connections to the node start */
  struct sockaddr_in target;
  uint64_t accepted, failed;
  bool paused; /* out of descriptors: not accepting until a connection ends */
  struct pp_udp *sessions;
  size_t n_sessions;
};

/* One TCP connection: fd[0] the client on the host, fd[1] the node's side. Direction d
 * carries what fd[d] reads into fd[!d] through pipe[d]. */
struct pp_conn
{
  struct pp_listener *l;
  int fd[2];
  int pipe[2][2];
  size_t queued[2];
  bool eof[2];  /* fd[d] has read its end */
  bool shut[2]; /* fd[!d] has been shut for writing after direction d ended */
  bool full[2]; /* pipe[d] took no more (a pipe counts slots, not bytes): stop reading
                 * fd[d] until some of it has been written out */
  bool connecting;
  uint32_t interest[2];
  bool watched[2];
  struct pp_conn *prev, *next;
};

struct pp
{
  struct loom_sup *s;
  struct pp_ns *ns;
  size_t n_ns;
  struct pp_listener **ls;
  size_t n_ls;
  struct pp_conn *conns;
  size_t n_conns;
  int timer_fd;
  int home; /* the supervisor's own namespace, where listeners live */
};

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
ns_fd (struct pp *pp, const char *name, loom_error_t *err)
{
  size_t i;
  int fd;

  for (i = 0; i < pp->n_ns; i++)
    if (strcmp (pp->ns[i].name, name) == 0)
      return pp->ns[i].fd;
  fd = loom_netns_open (name, err);
  if (fd < 0)
    return -1;
  {
    struct pp_ns n = { loom_xstrdup (name), fd };
    LOOM_PUSH (pp->ns, pp->n_ns, n);
  }
  return fd;
}

/* A socket made inside the namespace behind @nsfd (the thread comes back at once). */
static int
socket_in_ns (struct pp *pp, int nsfd, int type)
{
  int fd, e;

  if (setns (nsfd, CLONE_NEWNET) < 0)
    return -1;
  fd = socket (AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  e = errno;
  if (setns (pp->home, CLONE_NEWNET) < 0)
    abort (); /* a supervisor stuck in a node's namespace would listen in the wrong place */
  errno = e;
  return fd;
}

/* ---- TCP ------------------------------------------------------------------------ */

static void conn_event (struct loom_sup *s, void *ctx, int fd, uint32_t events);
static void tcp_accept (struct loom_sup *s, void *ctx, int fd, uint32_t events);

/* A connection ended: listeners that ran out of descriptors accept again. */
static void
resume_listeners (struct pp *pp)
{
  size_t i;
  for (i = 0; i < pp->n_ls; i++)
    if (pp->ls[i]->paused
        && loom_sup_watch (pp->s, pp->ls[i]->fd, EPOLLIN, tcp_accept, pp->ls[i], NULL) == 0)
      pp->ls[i]->paused = false;
}

static void
conn_free (struct pp_conn *c, bool reset)
{
  struct pp *pp = c->l->pp;
  int k;

  for (k = 0; k < 2; k++)
    {
      if (c->fd[k] < 0)
        continue;
      if (c->watched[k])
        loom_sup_unwatch (pp->s, c->fd[k]);
      if (reset)
        {
          /* The other side learns of a failure as a reset, not as a clean end. */
          struct linger lg = { 1, 0 };
          setsockopt (c->fd[k], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
      close (c->fd[k]);
    }
  for (k = 0; k < 2; k++)
    if (c->pipe[k][0] >= 0)
      {
        close (c->pipe[k][0]);
        close (c->pipe[k][1]);
      }
  if (c->prev)
    c->prev->next = c->next;
  else
    pp->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  pp->n_conns--;
  free (c);
  resume_listeners (pp);
}

static int
conn_set_interest (struct pp_conn *c, int k, uint32_t ev)
{
  loom_error_t err = NULL;

  if (c->watched[k] && c->interest[k] == ev)
    return 0;
  /* Nothing to wait for on this side: out of the epoll set altogether, or a hang-up it
   * still has unread data behind (the other side is full) would be reported over and
   * over. */
  if (ev == 0)
    {
      if (c->watched[k])
        loom_sup_unwatch (c->l->pp->s, c->fd[k]);
      c->watched[k] = false;
      return 0;
    }
  if (loom_sup_watch (c->l->pp->s, c->fd[k], ev, conn_event, c, &err) < 0)
    {
      loom_error_release (&err);
      return -1;
    }
  c->watched[k] = true;
  c->interest[k] = ev;
  return 0;
}

/* Moves what can move in direction d; -1 on an error of either socket. */
static int
pump (struct pp_conn *c, int d, bool *progress)
{
  ssize_t n;

  if (!c->eof[d] && !c->full[d] && c->queued[d] < PP_PIPE_SIZE)
    {
      n = splice (c->fd[d], NULL, c->pipe[d][1], NULL, PP_PIPE_SIZE - c->queued[d],
                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0)
        {
          c->queued[d] += n;
          *progress = true;
        }
      else if (n == 0)
        {
          c->eof[d] = true;
          *progress = true;
        }
      else if (errno == EAGAIN && c->queued[d] > 0)
        c->full[d] = true;
      else if (errno != EAGAIN && errno != EINTR)
        return -1;
    }
  if (c->queued[d] > 0)
    {
      n = splice (c->pipe[d][0], NULL, c->fd[!d], NULL, c->queued[d],
                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0)
        {
          c->queued[d] -= n;
          c->full[d] = false;
          *progress = true;
        }
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        return -1;
    }
  if (c->eof[d] && c->queued[d] == 0 && !c->shut[d])
    {
      /* Half-close: the peer sees the end of this direction, the other goes on. */
      shutdown (c->fd[!d], SHUT_WR);
      c->shut[d] = true;
    }
  return 0;
}

/* Moves data both ways and sets what to wait for next. Returns -1 when the connection
 * ended (and is freed), else whether anything moved. */
static int
conn_run (struct pp_conn *c)
{
  int round, k;
  bool progress = true, any = false;

  for (round = 0; round < PP_PUMP_ROUNDS && progress; round++)
    {
      progress = false;
      if (pump (c, 0, &progress) < 0 || pump (c, 1, &progress) < 0)
        {
          conn_free (c, true);
          return -1;
        }
      any |= progress;
    }
  if (c->shut[0] && c->shut[1])
    {
      conn_free (c, false);
      return -1;
    }
  /* Read a side only while its pipe has room (backpressure); write it while the other
   * direction has something queued for it. */
  for (k = 0; k < 2; k++)
    {
      uint32_t ev = 0;
      if (!c->eof[k] && !c->full[k] && c->queued[k] < PP_PIPE_SIZE)
        ev |= EPOLLIN;
      if (c->queued[!k] > 0)
        ev |= EPOLLOUT;
      if (conn_set_interest (c, k, ev) < 0)
        {
          conn_free (c, true);
          return -1;
        }
    }
  return any;
}

static void
conn_event (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct pp_conn *c = ctx;

  if (c->connecting)
    {
      int e = 0;
      socklen_t len = sizeof e;
      if (fd != c->fd[1])
        return;
      if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        e = errno;
      if (e == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        return;
      if (e != 0)
        {
          c->l->failed++;
          loom_sup_log ("node %s: port %s: cannot connect to %s:%d in the node: %s", c->l->node,
                        c->l->spec, inet_ntoa (c->l->target.sin_addr),
                        ntohs (c->l->target.sin_port), strerror (e));
          conn_free (c, true);
          return;
        }
      c->connecting = false;
    }
  /* A pending error that moved nothing would come back forever (level-triggered): the
   * connection is over. A hang-up alone is not: the side may still hold data for a
   * full peer, and a side with nothing to wait for leaves the epoll set. */
  if (conn_run (c) == 0 && (events & EPOLLERR))
    {
      int e = 0;
      socklen_t len = sizeof e;
      getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &len);
      if (e != 0)
        conn_free (c, true);
    }
}

static void
tcp_accept (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct pp_listener *l = ctx;
  struct pp *pp = l->pp;
  int n;

  for (n = 0; n < 64; n++)
    {
      int cfd = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), sfd, k, one = 1;
      struct pp_conn *c;

      if (cfd < 0)
        {
          /* A pending connection that cannot be taken would wake us forever. */
          if (errno == EMFILE || errno == ENFILE)
            {
              loom_sup_log ("node %s: port %s: out of file descriptors: not accepting until "
                            "a connection ends",
                            l->node, l->spec);
              loom_sup_unwatch (s, fd);
              l->paused = true;
            }
          return;
        }
      sfd = socket_in_ns (pp, l->nsfd, SOCK_STREAM);
      if (sfd < 0)
        {
          loom_sup_log ("node %s: port %s: socket in the node: %s", l->node, l->spec,
                        strerror (errno));
          close (cfd);
          l->failed++;
          continue;
        }
      setsockopt (cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt (sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c = loom_xcalloc (1, sizeof *c);
      c->l = l;
      c->fd[0] = cfd;
      c->fd[1] = sfd;
      c->pipe[0][0] = c->pipe[0][1] = c->pipe[1][0] = c->pipe[1][1] = -1;
      for (k = 0; k < 2; k++)
        if (pipe2 (c->pipe[k], O_NONBLOCK | O_CLOEXEC) < 0)
          c->pipe[k][0] = c->pipe[k][1] = -1;
        else
          fcntl (c->pipe[k][1], F_SETPIPE_SZ, PP_PIPE_SIZE);
      c->next = pp->conns;
      if (pp->conns)
        pp->conns->prev = c;
      pp->conns = c;
      pp->n_conns++;
      l->accepted++;
      if (c->pipe[0][0] < 0 || c->pipe[1][0] < 0)
        {
          loom_sup_log ("node %s: port %s: pipe: %s", l->node, l->spec, strerror (errno));
          conn_free (c, true);
          continue;
        }
      if (connect (sfd, (struct sockaddr *) &l->target, sizeof l->target) < 0
          && errno != EINPROGRESS)
        {
          l->failed++;
          loom_sup_log ("node %s: port %s: cannot connect to %s:%d in the node: %s", l->node,
                        l->spec, inet_ntoa (l->target.sin_addr), ntohs (l->target.sin_port),
                        strerror (errno));
          conn_free (c, true);
          continue;
        }
      c->connecting = true;
      if (conn_set_interest (c, 1, EPOLLOUT) < 0)
        conn_free (c, true);
    }
}

/* ---- UDP ------------------------------------------------------------------------ */

static void
udp_timer_arm (struct pp *pp)
{
  struct itimerspec its = { { 0, 0 }, { 0, 0 } };
  int64_t first = INT64_MAX, now = now_ms ();
  size_t i;
  struct pp_udp *u;

  for (i = 0; i < pp->n_ls; i++)
    for (u = pp->ls[i]->sessions; u; u = u->next)
      if (u->last + PP_UDP_IDLE_MS < first)
        first = u->last + PP_UDP_IDLE_MS;
  if (first != INT64_MAX)
    {
      int64_t in = first > now ? first - now : 1;
      its.it_value.tv_sec = in / 1000;
      its.it_value.tv_nsec = (in % 1000) * 1000000L;
    }
  timerfd_settime (pp->timer_fd, 0, &its, NULL);
}

static void
udp_session_free (struct pp_udp *u)
{
  struct pp_listener *l = u->l;
  struct pp_udp **p;

  for (p = &l->sessions; *p; p = &(*p)->next)
    if (*p == u)
      {
        *p = u->next;
        break;
      }
  l->n_sessions--;
  loom_sup_unwatch (l->pp->s, u->fd);
  close (u->fd);
  free (u);
}

static void
udp_expire (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct pp *pp = ctx;
  uint64_t ticks;
  int64_t now = now_ms ();
  size_t i;

  (void) !read (fd, &ticks, sizeof ticks);
  for (i = 0; i < pp->n_ls; i++)
    {
      struct pp_udp *u = pp->ls[i]->sessions, *next;
      for (; u; u = next)
        {
          next = u->next;
          if (u->last + PP_UDP_IDLE_MS <= now)
            udp_session_free (u);
        }
    }
  udp_timer_arm (pp);
}

/* A reply from the node goes back to its client from the listening socket. */
static void
udp_reply (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct pp_udp *u = ctx;
  char buf[65536];
  int n;

  for (n = 0; n < 64; n++)
    {
      ssize_t r = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r < 0)
        break; /* EAGAIN, or ECONNREFUSED: nothing listens in the node (yet) */
      sendto (u->l->fd, buf, r, MSG_DONTWAIT, (struct sockaddr *) &u->peer, u->peer_len);
      u->last = now_ms ();
    }
}

static void
udp_request (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct pp_listener *l = ctx;
  struct pp *pp = l->pp;
  char buf[65536];
  int n;

  for (n = 0; n < 64; n++)
    {
      struct sockaddr_storage peer;
      socklen_t plen = sizeof peer;
      ssize_t r = recvfrom (fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &peer, &plen);
      struct pp_udp *u;
      bool fresh = false;

      if (r < 0)
        return;
      for (u = l->sessions; u; u = u->next)
        if (u->peer_len == plen && memcmp (&u->peer, &peer, plen) == 0)
          break;
      if (u == NULL)
        {
          loom_error_t err = NULL;
          int sfd;

          if (l->n_sessions >= PP_UDP_MAX_SESSIONS)
            continue;
          sfd = socket_in_ns (pp, l->nsfd, SOCK_DGRAM);
          if (sfd < 0)
            continue;
          if (connect (sfd, (struct sockaddr *) &l->target, sizeof l->target) < 0)
            {
              close (sfd);
              l->failed++;
              continue;
            }
          u = loom_xcalloc (1, sizeof *u);
          u->l = l;
          u->fd = sfd;
          memcpy (&u->peer, &peer, plen);
          u->peer_len = plen;
          if (loom_sup_watch (s, sfd, EPOLLIN, udp_reply, u, &err) < 0)
            {
              loom_error_release (&err);
              close (sfd);
              free (u);
              continue;
            }
          u->next = l->sessions;
          l->sessions = u;
          l->n_sessions++;
          l->accepted++;
          fresh = true;
        }
      u->last = now_ms ();
      send (u->fd, buf, r, MSG_DONTWAIT);
      if (fresh && l->n_sessions == 1)
        udp_timer_arm (pp);
    }
}

/* ---- setting up ----------------------------------------------------------------- */

/* "10.0.1.5/24" -> address and prefix length. */
static bool
parse_v4 (const char *text, struct in_addr *a, int *plen)
{
  char buf[64];
  char *slash;

  if (text == NULL || strlen (text) >= sizeof buf)
    return false;
  strcpy (buf, text);
  slash = strchr (buf, '/');
  *plen = 32;
  if (slash)
    {
      *slash = '\0';
      *plen = atoi (slash + 1);
    }
  return inet_pton (AF_INET, buf, a) == 1;
}

/* A VM has no stack in its namespace: its published ports go to its first IPv4 address,
 * reached from a node with an address on the same subnet (a host, router or container
 * on its link or switch). */
static int
vm_target (struct pp *pp, json_t *vm, const char *name, struct sockaddr_in *to, int *nsfd,
           loom_error_t *err)
{
  json_t *state = loom_sup_state (pp->s), *f, *n, *a;
  struct in_addr addr = { 0 };
  int plen = 0;
  size_t i, j, k;
  bool found = false;

  json_array_foreach (json_object_get (vm, "interfaces"), i, f)
    {
      json_t *v4 = json_array_get (json_object_get (f, "ipv4"), 0);
      if (v4 && parse_v4 (json_string_value (v4), &addr, &plen))
        {
          found = true;
          break;
        }
    }
  if (!found)
    return loom_error_make (err, 0,
                            "node %s: published ports of a VM go to its IPv4 address, and it has "
                            "none (give one of its interfaces an ipv4 address)",
                            name);
  json_array_foreach (json_object_get (state, "nodes"), i, n)
    {
      const char *kind = json_string_value (json_object_get (n, "kind"));
      if (n == vm || !kind
          || (strcmp (kind, "host") != 0 && strcmp (kind, "router") != 0
              && strcmp (kind, "container") != 0))
        continue;
      json_array_foreach (json_object_get (n, "interfaces"), j, f)
        json_array_foreach (json_object_get (f, "ipv4"), k, a)
          {
            struct in_addr mine;
            int mlen;
            uint32_t mask = plen ? htonl (~0u << (32 - plen)) : 0;
            if (!parse_v4 (json_string_value (a), &mine, &mlen) || mlen != plen
                || (mine.s_addr & mask) != (addr.s_addr & mask) || mine.s_addr == addr.s_addr)
              continue;
            *nsfd = ns_fd (pp, json_string_value (json_object_get (n, "netns")), err);
            if (*nsfd < 0)
              return -1;
            to->sin_addr = addr;
            loom_sup_log ("node %s: published ports reach the VM at %s from node %s", name,
                          inet_ntoa (addr), json_string_value (json_object_get (n, "name")));
            return 0;
          }
    }
  return loom_error_make (err, 0,
                          "node %s: published ports of a VM are reached through a neighbour on "
                          "its subnet, and no host, router or container of the lab has an "
                          "address on %s/%d",
                          name, inet_ntoa (addr), plen);
}

static int
open_listener (struct pp *pp, json_t *node, json_t *port, loom_error_t *err)
{
  const char *name = json_string_value (json_object_get (node, "name"));
  const char *kind = json_string_value (json_object_get (node, "kind"));
  const char *host = json_string_value (json_object_get (port, "host"));
  const char *proto = json_string_value (json_object_get (port, "proto"));
  int host_port = (int) json_integer_value (json_object_get (port, "host_port"));
  int node_port = (int) json_integer_value (json_object_get (port, "port"));
  bool udp = proto && strcmp (proto, "udp") == 0;
  struct sockaddr_storage ss = { 0 };
  socklen_t sslen;
  struct pp_listener *l;
  int one = 1, fd;
  bool v6;

  if (host == NULL || *host == '\0')
    host = "127.0.0.1";
  v6 = strchr (host, ':') != NULL;
  if (v6)
    {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
      a->sin6_family = AF_INET6;
      a->sin6_port = htons (host_port);
      if (inet_pton (AF_INET6, host, &a->sin6_addr) != 1)
        return loom_error_make (err, 0, "node %s: published port: '%s' is not an address", name,
                                host);
      sslen = sizeof *a;
    }
  else
    {
      struct sockaddr_in *a = (struct sockaddr_in *) &ss;
      a->sin_family = AF_INET;
      a->sin_port = htons (host_port);
      if (inet_pton (AF_INET, host, &a->sin_addr) != 1)
        return loom_error_make (err, 0, "node %s: published port: '%s' is not an address", name,
                                host);
      sslen = sizeof *a;
    }
  if (host_port <= 0 || host_port > 65535 || node_port <= 0 || node_port > 65535)
    return loom_error_make (err, 0, "node %s: published port %d:%d is out of range", name,
                            host_port, node_port);

  l = loom_xcalloc (1, sizeof *l);
  l->pp = pp;
  l->fd = -1;
  l->node = loom_xstrdup (name);
  l->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
  l->spec = loom_xasprintf (v6 ? "[%s]:%d->%d/%s" : "%s:%d->%d/%s", host, host_port, node_port,
                            udp ? "udp" : "tcp");
  l->target.sin_family = AF_INET;
  l->target.sin_port = htons (node_port);
  l->target.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  LOOM_PUSH (pp->ls, pp->n_ls, l);

  if (kind && strcmp (kind, "vm") == 0)
    {
      if (vm_target (pp, node, name, &l->target, &l->nsfd, err) < 0)
        return -1;
    }
  else if (kind && strcmp (kind, "nat") == 0)
    return loom_error_make (err, 0,
                            "node %s: a nat node has no stack of its own to publish ports of; "
                            "use hostfwd to forward host ports into the lab",
                            name);
  else if ((l->nsfd = ns_fd (pp, json_string_value (json_object_get (node, "netns")), err)) < 0)
    return loom_error_wrap (err, "node %s", name);

  fd = socket (ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return loom_error_make (err, errno, "node %s: port %s: socket", name, l->spec);
  l->fd = fd;
  /* TCP: a port whose last connection is in TIME_WAIT is free again; one that some
   * program listens on stays taken (Linux refuses the bind). */
  if (!udp)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (v6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &ss, sslen) < 0)
    {
      int e = errno;
      if (e == EADDRINUSE)
        return loom_error_make (err, 0, "node %s: %s%s%s:%d/%s is in use on the host", name,
                                v6 ? "[" : "", host, v6 ? "]" : "", host_port, udp ? "udp" : "tcp");
      return loom_error_make (err, e, "node %s: cannot listen on %s%s%s:%d/%s", name, v6 ? "[" : "",
                              host, v6 ? "]" : "", host_port, udp ? "udp" : "tcp");
    }
  if (!udp && listen (fd, 128) < 0)
    return loom_error_make (err, errno, "node %s: listen on %s", name, l->spec);
  if (loom_sup_watch (pp->s, fd, EPOLLIN, udp ? udp_request : tcp_accept, l, err) < 0)
    return -1;
  loom_sup_log ("node %s: published %s", name, l->spec);
  return 0;
}

static void
ports_stop (struct loom_sup *s, void *priv)
{
  struct pp *pp = priv;
  size_t i;

  if (pp == NULL)
    return;
  while (pp->conns)
    conn_free (pp->conns, false);
  for (i = 0; i < pp->n_ls; i++)
    {
      struct pp_listener *l = pp->ls[i];
      while (l->sessions)
        udp_session_free (l->sessions);
      if (l->fd >= 0)
        {
          loom_sup_unwatch (s, l->fd);
          close (l->fd);
        }
      free (l->node);
      free (l->spec);
      free (l);
    }
  free (pp->ls);
  for (i = 0; i < pp->n_ns; i++)
    {
      close (pp->ns[i].fd);
      free (pp->ns[i].name);
    }
  free (pp->ns);
  if (pp->home >= 0)
    close (pp->home);
  if (pp->timer_fd >= 0)
    {
      loom_sup_unwatch (s, pp->timer_fd);
      close (pp->timer_fd);
    }
  free (pp);
}

static int
ports_start (struct loom_sup *s, void **priv, loom_error_t *err)
{
  json_t *state = loom_sup_state (s), *n, *p;
  struct pp *pp;
  size_t i, j, want = 0;

  json_array_foreach (json_object_get (state, "nodes"), i, n)
    want += json_array_size (json_object_get (n, "ports"));
  if (want == 0)
    return 0;
  pp = loom_xcalloc (1, sizeof *pp);
  pp->s = s;
  pp->timer_fd = -1;
  *priv = pp;
  pp->home = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (pp->home < 0)
    return loom_error_make (err, errno, "open /proc/thread-self/ns/net");
  /* Every connection costs six descriptors (two sockets, two pipes). */
  {
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
      {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
      }
  }
  pp->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (pp->timer_fd < 0)
    return loom_error_make (err, errno, "timerfd");
  if (loom_sup_watch (s, pp->timer_fd, EPOLLIN, udp_expire, pp, err) < 0)
    return -1;
  json_array_foreach (json_object_get (state, "nodes"), i, n)
    json_array_foreach (json_object_get (n, "ports"), j, p)
      if (open_listener (pp, n, p, err) < 0)
        return -1;
  return 0;
}

/* A stopped node's connections end with it (its processes are gone anyway). */
static int
ports_node_set (struct loom_sup *s, void *priv, const char *node, bool start, loom_error_t *err)
{
  struct pp *pp = priv;
  struct pp_conn *c, *next;
  size_t i;

  if (pp == NULL || start)
    return 0;
  for (c = pp->conns; c; c = next)
    {
      next = c->next;
      if (strcmp (c->l->node, node) == 0)
        conn_free (c, true);
    }
  for (i = 0; i < pp->n_ls; i++)
    if (strcmp (pp->ls[i]->node, node) == 0)
      while (pp->ls[i]->sessions)
        udp_session_free (pp->ls[i]->sessions);
  return 0;
}

static void
ports_status (struct loom_sup *s, void *priv, json_t *out)
{
  struct pp *pp = priv;
  json_t *list = json_array ();
  size_t i;

  for (i = 0; pp && i < pp->n_ls; i++)
    {
      struct pp_listener *l = pp->ls[i];
      size_t open = 0;
      struct pp_conn *c;
      if (l->proto == IPPROTO_TCP)
        for (c = pp->conns; c; c = c->next)
          open += c->l == l;
      else
        open = l->n_sessions;
      json_array_append_new (list, json_pack ("{s:s, s:s, s:I, s:I, s:I}", "node", l->node, "port",
                                              l->spec, "open", (json_int_t) open, "total",
                                              (json_int_t) l->accepted, "failed",
                                              (json_int_t) l->failed));
    }
  json_object_set_new (out, "ports", list);
}

const struct loom_service loom_service_ports = {
  .name = "published ports",
  .start = ports_start,
  .stop = ports_stop,
  .node_set = ports_node_set,
  .status = ports_status,
};
