/* The per-lab supervisor (see supervisor.h): one epoll loop over every capture socket,
 * the API socket and its clients, a signalfd and an inotify watch on the lab's state
 * directory. Nothing in it sleeps; every wakeup is an event. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/bpfcap.h"
#include "core/capture.h"
#include "core/frr.h"
#include "core/impairer.h"
#include "core/netns.h"
#include "core/nl.h"
#include "core/node.h"
#include "core/lab.h"
#include "core/service.h"
#include "core/state.h"
#include "core/supervisor.h"
#include "core/util.h"
#include "core/vm.h"

#define MAX_EVENTS 64
#define MAX_CLIENTS 64
#define CLIENT_BUF 8192

enum
{
  EV_CAPTURE = 1,
  EV_LISTEN,
  EV_CLIENT,
  EV_SIGNAL,
  EV_INOTIFY,
  EV_TIMER,
  EV_IMPAIR,
  EV_WATCH, /* a service's fd (struct watch) */
};
#define EV_TAG(type, idx) (((uint64_t) (type) << 32) | (uint32_t) (idx))

struct cap
{
  bool on; /* the link is captured */
  struct loom_ring ring;
  char *endpoint;
  char *peer;
  bool dirty; /* written since the last flush */
};

/* The services, in start order (stopped in reverse). */
extern const struct loom_service loom_service_nat;
extern const struct loom_service loom_service_containers;
extern const struct loom_service loom_service_ports;

static const struct loom_service *const services[] = {
  &loom_service_nat, /* before VMs and containers: a guest asks for DHCP as it boots */
  &loom_service_containers,
  &loom_service_vms,
  &loom_service_ports,
  NULL,
};
#define MAX_SERVICES 8
_Static_assert (sizeof services / sizeof services[0] <= MAX_SERVICES, "MAX_SERVICES");

struct watch
{
  int fd; /* -1: free slot */
  loom_sup_fd_fn fn;
  void *ctx;
};

struct child
{
  pid_t pid;
  loom_sup_exit_fn fn;
  void *ctx;
};

struct client
{
  int fd;
  uid_t uid; /* the peer's, from SO_PEERCRED */
  size_t len;
  char buf[CLIENT_BUF];
};

struct loom_sup
{
  char *lab;
  char *statedir;
  char *sockpath;
  int epfd;
  int listen_fd;
  int sig_fd;
  int ino_fd;
  int timer_fd;
  struct cap *caps;
  size_t n_caps;
  struct loom_bpfcap bpf;
  struct cap **dirty;
  size_t n_dirty;
  struct loom_ring_set set;
  uint32_t snaplen;
  struct client *clients[MAX_CLIENTS];
  json_t *state;
  struct loom_impairer *imp;
  struct loom_frr_node *routers;
  size_t n_routers;
  bool routers_started;
  time_t started;
  bool stop;
  struct watch *watches;
  size_t n_watches;
  struct child *children;
  size_t n_children;
  void *priv[MAX_SERVICES];
  bool services_started;
};

static void
logf_ (const char *fmt, ...)
{
  va_list ap;
  char ts[32];
  time_t now = time (NULL);
  struct tm tm;

  localtime_r (&now, &tm);
  strftime (ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
  fprintf (stderr, "%s supervisor: ", ts);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  fflush (stderr);
}

static const char *
node_netns (json_t *state, const char *node)
{
  size_t i;
  json_t *n;
  json_array_foreach (json_object_get (state, "nodes"), i, n)
  {
    const char *name = json_string_value (json_object_get (n, "name"));
    if (name && strcmp (name, node) == 0)
      return json_string_value (json_object_get (n, "netns"));
  }
  return NULL;
}

static int
iface_ifindex (json_t *state, const char *node, const char *ifname)
{
  size_t i, j;
  json_t *n, *f;
  json_array_foreach (json_object_get (state, "nodes"), i, n)
  {
    const char *name = json_string_value (json_object_get (n, "name"));
    if (!name || strcmp (name, node) != 0)
      continue;
    json_array_foreach (json_object_get (n, "interfaces"), j, f)
    {
      const char *fn = json_string_value (json_object_get (f, "name"));
      if (fn && strcmp (fn, ifname) == 0)
        return (int) json_integer_value (json_object_get (f, "ifindex"));
    }
  }
  return 0;
}

/* Netlink socket of the namespace the last capture end was in (ends of one namespace
 * come one after another often enough to be worth keeping it). */
struct ns_cache
{
  char *name;
  struct nl_sock *sk;
  int self;
};

static struct nl_sock *
ns_socket (struct ns_cache *nc, const char *ns, loom_error_t *err)
{
  loom_autoclose int fd = -1;

  if (nc->name && strcmp (nc->name, ns) == 0)
    return nc->sk;
  if (nc->sk)
    loom_nl_close (nc->sk);
  free (nc->name);
  nc->sk = NULL;
  nc->name = NULL;
  fd = loom_netns_open (ns, err);
  if (fd < 0 || loom_netns_enter (fd, err) < 0)
    return NULL;
  nc->sk = loom_nl_open (err);
  if (loom_netns_enter (nc->self, err) < 0)
    abort (); /* stuck in a node's namespace: nothing after this would be right */
  if (nc->sk)
    nc->name = loom_xstrdup (ns);
  return nc->sk;
}

/* Opens a ring for every captured link of the lab and attaches the capture programs
 * to the link's first endpoint. */
static int
open_captures (struct loom_sup *s, json_t *state, loom_error_t *err)
{
  json_t *cap = json_object_get (state, "capture");
  const char *labdir = json_string_value (json_object_get (state, "labdir"));
  loom_autofree char *root = loom_xasprintf ("%s/captures", labdir ? labdir : ".");
  json_t *links = json_object_get (state, "links"), *l;
  struct ns_cache nc = { NULL, NULL, open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) };
  struct epoll_event ev = { .events = EPOLLIN };
  uint64_t link_limit;
  size_t i, n_links = json_array_size (links), n_cap = 0, n_want = 0;
  int r = 0;

  s->snaplen = json_integer_value (json_object_get (cap, "snaplen"));
  if (s->snaplen == 0)
    s->snaplen = 65535;
  link_limit = json_integer_value (json_object_get (cap, "link_limit"));
  s->set.limit = json_integer_value (json_object_get (cap, "lab_limit"));
  if (link_limit == 0)
    link_limit = 64ULL << 20;
  if (s->set.limit == 0)
    s->set.limit = 1ULL << 30;
  s->caps = loom_xcalloc (n_links + 1, sizeof *s->caps);
  s->dirty = loom_xcalloc (n_links + 1, sizeof *s->dirty);
  json_array_foreach (links, i, l)
    n_want += json_is_true (json_object_get (l, "capture"));
  if (n_want == 0)
    return 0;
  if (nc.self < 0)
    return loom_error_make (err, errno, "open own namespace");
  /* The ring grows with the lab (half a MiB per captured link, a power of two from
   * LOOM_BPFCAP_RING_MIN to 16 MiB): a small lab does not pin 16 MiB, but even one
   * link can carry TCP's 64 KiB super-frames at several GB/s, which fill a 1 MiB
   * ring in half a millisecond — less than the supervisor waits for a CPU on a busy
   * machine. */
  {
    size_t ring = LOOM_BPFCAP_RING_MIN;
    while (ring < LOOM_BPFCAP_RING_DEFAULT && ring < n_want * (512u << 10))
      ring <<= 1;
    if (loom_bpfcap_open (&s->bpf, n_links, LOOM_IFINDEX_LINKS, s->snaplen, ring, err) < 0)
      {
        close (nc.self);
        return -1;
      }
  }

  json_array_foreach (links, i, l)
  {
    json_t *a = json_object_get (l, "a"), *z = json_object_get (l, "z");
    const char *an = json_string_value (json_object_get (a, "node"));
    const char *ai = json_string_value (json_object_get (a, "interface"));
    const char *zn = json_string_value (json_object_get (z, "node"));
    const char *zi = json_string_value (json_object_get (z, "interface"));
    const char *name = json_string_value (json_object_get (l, "capture_name"));
    const char *ns;
    struct nl_sock *sk;
    struct cap *c;

    if (!json_is_true (json_object_get (l, "capture")) || !an || !ai || !zn || !zi || !name)
      continue;
    ns = node_netns (state, an);
    if (ns == NULL)
      {
        r = loom_error_make (err, 0, "link %s:%s: no namespace in the state", an, ai);
        break;
      }
    /* Indexed like the lab's links: the capture programs name a link by its index. */
    c = &s->caps[i];
    c->on = true;
    c->endpoint = loom_xasprintf ("%s:%s", an, ai);
    c->peer = loom_xasprintf ("%s:%s", zn, zi);
    c->ring.dir = loom_xasprintf ("%s/%s", root, name);
    c->ring.name = loom_xstrdup (name);
    c->ring.if_name = loom_xstrdup (c->endpoint);
    c->ring.comment = loom_xasprintf ("link %s -- %s", c->endpoint, c->peer);
    c->ring.snaplen = s->snaplen;
    c->ring.limit = link_limit;
    /* Four files per ring: rotation frees a quarter of the ring at a time. */
    c->ring.file_size = link_limit / 4;
    if (c->ring.file_size < 2ULL * (s->snaplen + 4096))
      c->ring.file_size = 2ULL * (s->snaplen + 4096);
    n_cap++;
    s->n_caps = i + 1;
    LOOM_PUSH (s->set.rings, s->set.n, &c->ring);
    if (loom_ring_open (&c->ring, &s->set, err) < 0)
      {
        r = loom_error_wrap (err, "capture %s", c->endpoint);
        break;
      }
    sk = ns_socket (&nc, ns, err);
    if (sk == NULL
        || loom_bpfcap_attach (&s->bpf, sk, iface_ifindex (state, an, ai), err) < 0)
      {
        r = loom_error_wrap (err, "capture %s", c->endpoint);
        break;
      }
  }
  if (nc.sk)
    loom_nl_close (nc.sk);
  free (nc.name);
  close (nc.self);
  if (r < 0)
    return -1;
  ev.data.u64 = EV_TAG (EV_CAPTURE, 0);
  if (epoll_ctl (s->epfd, EPOLL_CTL_ADD, loom_bpfcap_fd (&s->bpf), &ev) < 0)
    return loom_error_make (err, errno, "epoll");
  /* Frames of a quiet moment wake nobody (see bpfcap.h): collect them every few tens
   * of milliseconds, so files are never far behind the wire. */
  s->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (s->timer_fd >= 0)
    {
      struct itimerspec its = {
        .it_interval = { 0, LOOM_BPFCAP_FLUSH_MS * 1000000L },
        .it_value = { 0, LOOM_BPFCAP_FLUSH_MS * 1000000L },
      };
      timerfd_settime (s->timer_fd, 0, &its, NULL);
      ev.data.u64 = EV_TAG (EV_TIMER, 0);
      epoll_ctl (s->epfd, EPOLL_CTL_ADD, s->timer_fd, &ev);
    }
  return 0;
}

static int
on_frame (uint32_t link_id, const struct loom_frame *fr, void *ctx)
{
  struct loom_sup *s = ctx;
  struct cap *c = &s->caps[link_id];
  loom_error_t err = NULL;

  if (link_id >= s->n_caps || !c->on)
    return 0;
  if (loom_ring_write (&c->ring, &s->set, fr, &err) < 0)
    {
      loom_autofree char *t = loom_error_text (err);
      logf_ ("%s: %s", c->endpoint, t);
      loom_error_release (&err);
    }
  if (!c->dirty)
    {
      c->dirty = true;
      s->dirty[s->n_dirty++] = c;
    }
  return 0;
}

/* Writes what the frames read from the ring queued (the files get the bytes straight
 * from the ring), then gives their ring room back: never before, or the programs
 * could overwrite a frame before it is in its file. */
static void
flush_dirty (struct loom_sup *s)
{
  size_t i;
  for (i = 0; i < s->n_dirty; i++)
    {
      struct cap *c = s->dirty[i];
      loom_error_t err = NULL;

      if (loom_ring_flush (&c->ring, &err) < 0)
        {
          loom_autofree char *t = loom_error_text (err);
          logf_ ("%s: %s", c->endpoint, t);
          loom_error_release (&err);
        }
      c->dirty = false;
    }
  s->n_dirty = 0;
  if (s->n_caps)
    loom_bpfcap_release (&s->bpf);
}

/* Takes what the ring holds, a bounded batch at a time so the API socket is not
 * starved under a flood (level-triggered epoll brings us back). Each batch is written
 * and released before the next, so the programs get room back early. */
static void
drain_capture (struct loom_sup *s)
{
  int rounds = 0, n;
  do
    {
      n = loom_bpfcap_read (&s->bpf, on_frame, s, 1024);
      flush_dirty (s);
    }
  while (n == 1024 && ++rounds < 16);
}

static json_t *
cmd_status (struct loom_sup *s)
{
  uint64_t packets = 0, bytes = 0, drops = 0;
  size_t i, n_links = 0;
  json_t *out;

  for (i = 0; i < s->n_caps; i++)
    {
      if (!s->caps[i].on)
        continue;
      n_links++;
      packets += s->caps[i].ring.packets;
      bytes += s->caps[i].ring.bytes;
      drops += loom_bpfcap_drops (&s->bpf, i);
    }
  out = json_pack ("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ok", 1, "lab", s->lab,
                   "pid", (json_int_t) getpid (), "started", (json_int_t) s->started, "uptime",
                   (json_int_t) (time (NULL) - s->started), "links", (json_int_t) n_links,
                   "packets", (json_int_t) packets, "bytes", (json_int_t) bytes, "drops",
                   (json_int_t) drops, "capture_bytes", (json_int_t) s->set.total);
  for (i = 0; services[i]; i++)
    if (services[i]->status && s->services_started)
      services[i]->status (s, s->priv[i], out);
  return out;
}

/* Writes out everything the sockets hold: frames the kernel delivered before the
 * request are in the files when the answer comes (a sync point for readers). */
static void
drain_all (struct loom_sup *s)
{
  if (s->n_caps)
    while (loom_bpfcap_read (&s->bpf, on_frame, s, 1024) > 0)
      flush_dirty (s);
  flush_dirty (s);
}

static json_t *
cmd_captures (struct loom_sup *s)
{
  json_t *links = json_array ();
  size_t i, j;

  drain_all (s);
  for (i = 0; i < s->n_caps; i++)
    {
      struct cap *c = &s->caps[i];
      json_t *files;

      if (!c->on)
        continue;
      files = json_array ();
      for (j = 0; j < c->ring.n_files; j++)
        {
          loom_autofree char *p = loom_xasprintf ("%s/%s-%06u.pcapng", c->ring.dir, c->ring.name,
                                                  c->ring.files[j].seq);
          json_array_append_new (files, json_pack ("{s:s, s:I}", "path", p, "size",
                                                   (json_int_t) c->ring.files[j].size));
        }
      json_array_append_new (
          links, json_pack ("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I}", "name",
                            c->ring.name, "endpoint", c->endpoint, "peer", c->peer, "dir",
                            c->ring.dir, "files", files, "size", (json_int_t) c->ring.total,
                            "limit", (json_int_t) c->ring.limit, "packets",
                            (json_int_t) c->ring.packets, "bytes", (json_int_t) c->ring.bytes,
                            "drops", (json_int_t) loom_bpfcap_drops (&s->bpf, i)));
    }
  return json_pack ("{s:b, s:o, s:I, s:I, s:i}", "ok", 1, "links", links, "total",
                    (json_int_t) s->set.total, "limit", (json_int_t) s->set.limit, "snaplen",
                    (int) s->snaplen);
}

static int start_routers (struct loom_sup *s, loom_error_t *err);
static json_t *cmd_impair (struct loom_sup *s, json_t *req);
static json_t *cmd_impair_show (struct loom_sup *s);

/* ---- the service API (core/service.h) ------------------------------------------ */

void
loom_sup_log (const char *fmt, ...)
{
  va_list ap;
  char buf[2048];

  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  logf_ ("%s", buf);
}

int
loom_sup_watch (struct loom_sup *s, int fd, uint32_t events, loom_sup_fd_fn fn, void *ctx,
                loom_error_t *err)
{
  struct epoll_event ev = { .events = events };
  size_t i;

  for (i = 0; i < s->n_watches; i++)
    if (s->watches[i].fd == fd)
      break;
  if (i == s->n_watches)
    for (i = 0; i < s->n_watches; i++)
      if (s->watches[i].fd < 0)
        break;
  if (i == s->n_watches)
    {
      struct watch w = { .fd = -1 };
      LOOM_PUSH (s->watches, s->n_watches, w);
    }
  ev.data.u64 = EV_TAG (EV_WATCH, i);
  /* An fd closed without unwatch left the epoll set by itself; its number may be back
   * as a new file: add it again. */
  if (epoll_ctl (s->epfd, s->watches[i].fd == fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0
      && !(errno == ENOENT && epoll_ctl (s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
      && !(errno == EEXIST && epoll_ctl (s->epfd, EPOLL_CTL_MOD, fd, &ev) == 0))
    return loom_error_make (err, errno, "epoll_ctl");
  s->watches[i].fd = fd;
  s->watches[i].fn = fn;
  s->watches[i].ctx = ctx;
  return 0;
}

void
loom_sup_unwatch (struct loom_sup *s, int fd)
{
  size_t i;

  for (i = 0; i < s->n_watches; i++)
    if (s->watches[i].fd == fd)
      {
        epoll_ctl (s->epfd, EPOLL_CTL_DEL, fd, NULL);
        s->watches[i].fd = -1;
        s->watches[i].fn = NULL;
      }
}

void
loom_sup_child (struct loom_sup *s, pid_t pid, loom_sup_exit_fn fn, void *ctx)
{
  struct child c = { pid, fn, ctx };
  LOOM_PUSH (s->children, s->n_children, c);
}

json_t *
loom_sup_state (struct loom_sup *s)
{
  return s->state;
}

const char *
loom_sup_lab (struct loom_sup *s)
{
  return s->lab;
}

const char *
loom_sup_statedir (struct loom_sup *s)
{
  return s->statedir;
}

const char *
loom_sup_labdir (struct loom_sup *s)
{
  const char *d = json_string_value (json_object_get (s->state, "labdir"));
  return d ? d : ".";
}

int
loom_sup_journal (struct loom_sup *s, const char *type, const char *arg, loom_error_t *err)
{
  loom_autofree char *path = loom_xasprintf ("%s/journal", s->statedir);
  loom_autofree char *line = loom_xasprintf ("%s %s\n", type, arg);
  loom_autoclose int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
  size_t len = strlen (line);

  if (fd < 0)
    return loom_error_make (err, errno, "open %s", path);
  if (write (fd, line, len) != (ssize_t) len || fdatasync (fd) < 0)
    return loom_error_make (err, errno, "write %s", path);
  return 0;
}

/* Starts every service (once): at "start-nodes" during a deploy, or at setup on a
 * running lab. */
static int
start_services (struct loom_sup *s, loom_error_t *err)
{
  size_t i;

  if (s->services_started)
    return 0;
  s->services_started = true;
  for (i = 0; services[i]; i++)
    if (services[i]->start && services[i]->start (s, &s->priv[i], err) < 0)
      return loom_error_wrap (err, "%s", services[i]->name);
  return 0;
}

static void
stop_services (struct loom_sup *s)
{
  size_t i;

  for (i = 0; services[i]; i++)
    ;
  while (i-- > 0)
    if (services[i]->stop && s->services_started)
      services[i]->stop (s, s->priv[i]);
  s->services_started = false;
}

static json_t *
error_response (loom_error_t *err)
{
  loom_autofree char *t = loom_error_text (*err);
  loom_error_release (err);
  return json_pack ("{s:b, s:s}", "ok", 0, "error", t);
}

/* Stops or starts the services' part of a node ({"cmd": "node-stop"|"node-start",
 * "node": ...}). */
static json_t *
cmd_node_set (struct loom_sup *s, json_t *req, bool start)
{
  const char *node = json_string_value (json_object_get (req, "node"));
  loom_error_t err = NULL;
  size_t i;

  if (node == NULL)
    return json_pack ("{s:b, s:s}", "ok", 0, "error", "expected \"node\"");
  for (i = 0; services[i]; i++)
    if (services[i]->node_set && services[i]->node_set (s, s->priv[i], node, start, &err) < 0)
      return error_response (&err);
  return json_pack ("{s:b}", "ok", 1);
}

static json_t *
handle (struct loom_sup *s, const char *line, bool privileged)
{
  json_error_t jerr;
  json_t *req = json_loads (line, 0, &jerr), *resp;
  const char *cmd = json_string_value (json_object_get (req, "cmd"));

  if (cmd == NULL)
    resp = json_pack ("{s:b, s:s}", "ok", 0, "error", "expected {\"cmd\": ...}");
  /* Anyone on the machine may look (inspect works without root); only root changes. */
  else if (!privileged && strcmp (cmd, "status") != 0 && strcmp (cmd, "captures") != 0
           && strcmp (cmd, "impair-show") != 0)
    resp = json_pack ("{s:b, s:s}", "ok", 0, "error", "only root may do that");
  else if (strcmp (cmd, "status") == 0)
    resp = cmd_status (s);
  else if (strcmp (cmd, "captures") == 0)
    resp = cmd_captures (s);
  else if (strcmp (cmd, "impair-apply") == 0)
    resp = cmd_impair (s, req);
  else if (strcmp (cmd, "impair-show") == 0)
    resp = cmd_impair_show (s);
  else if (strcmp (cmd, "start-routers") == 0)
    {
      loom_error_t err = NULL;
      if (start_routers (s, &err) < 0)
        {
          loom_autofree char *t = loom_error_text (err);
          loom_error_release (&err);
          resp = json_pack ("{s:b, s:s}", "ok", 0, "error", t);
        }
      else
        resp = json_pack ("{s:b}", "ok", 1);
    }
  else if (strcmp (cmd, "stop-router") == 0 || strcmp (cmd, "start-router") == 0)
    {
      const char *node = json_string_value (json_object_get (req, "node"));
      struct loom_frr_node *fn = NULL;
      size_t i;
      for (i = 0; node && i < s->n_routers; i++)
        if (strcmp (s->routers[i].node, node) == 0)
          fn = &s->routers[i];
      if (fn == NULL)
        resp = json_pack ("{s:b, s:s}", "ok", 0, "error", "no such router");
      else if (cmd[2] == 'o') /* stop */
        {
          loom_frr_stop (fn);
          logf_ ("router %s: FRR stopped", fn->node);
          resp = json_pack ("{s:b}", "ok", 1);
        }
      else
        {
          loom_error_t err = NULL;
          loom_frr_stop (fn); /* whatever is left of an earlier run */
          if (loom_frr_start (fn, &err) < 0)
            {
              loom_autofree char *t = loom_error_text (err);
              loom_error_release (&err);
              resp = json_pack ("{s:b, s:s}", "ok", 0, "error", t);
            }
          else
            {
              logf_ ("router %s: FRR started again", fn->node);
              resp = json_pack ("{s:b}", "ok", 1);
            }
        }
    }
  else if (strcmp (cmd, "stop") == 0)
    {
      s->stop = true;
      resp = json_pack ("{s:b}", "ok", 1);
    }
  else if (strcmp (cmd, "start-nodes") == 0)
    {
      loom_error_t err = NULL;
      resp = start_services (s, &err) < 0 ? error_response (&err) : json_pack ("{s:b}", "ok", 1);
    }
  else if (strcmp (cmd, "node-stop") == 0 || strcmp (cmd, "node-start") == 0)
    resp = cmd_node_set (s, req, cmd[5] == 's' && cmd[6] == 't' && cmd[7] == 'a');
  else
    {
      size_t i;
      resp = NULL;
      for (i = 0; services[i] && resp == NULL; i++)
        if (services[i]->handle)
          resp = services[i]->handle (s, s->priv[i], cmd, req, privileged);
      if (resp == NULL)
        resp = json_pack ("{s:b, s:s+}", "ok", 0, "error", "unknown command ", cmd);
    }
  json_decref (req);
  return resp;
}

static void
client_close (struct loom_sup *s, int idx)
{
  epoll_ctl (s->epfd, EPOLL_CTL_DEL, s->clients[idx]->fd, NULL);
  close (s->clients[idx]->fd);
  free (s->clients[idx]);
  s->clients[idx] = NULL;
}

static void
client_read (struct loom_sup *s, int idx)
{
  struct client *c = s->clients[idx];
  ssize_t r = read (c->fd, c->buf + c->len, sizeof c->buf - c->len - 1);
  char *nl;

  if (r <= 0)
    {
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      client_close (s, idx);
      return;
    }
  c->len += r;
  c->buf[c->len] = '\0';
  while ((nl = strchr (c->buf, '\n')))
    {
      json_t *resp;
      char *text;
      *nl = '\0';
      resp = handle (s, c->buf, c->uid == 0);
      text = json_dumps (resp, JSON_COMPACT);
      json_decref (resp);
      if (text)
        {
          size_t len = strlen (text);
          text[len] = '\n';
          /* Responses are small; a client that cannot take one is dropped. */
          if (send (c->fd, text, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t) len + 1)
            {
              free (text);
              client_close (s, idx);
              return;
            }
          free (text);
        }
      memmove (c->buf, nl + 1, c->len - (nl + 1 - c->buf) + 1);
      c->len -= nl + 1 - c->buf;
    }
  if (c->len >= sizeof c->buf - 1)
    client_close (s, idx);
}

static void
client_accept (struct loom_sup *s)
{
  int fd = accept4 (s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;
  struct epoll_event ev = { .events = EPOLLIN };

  if (fd < 0)
    return;
  for (i = 0; i < MAX_CLIENTS && s->clients[i]; i++)
    ;
  if (i == MAX_CLIENTS)
    {
      close (fd);
      return;
    }
  s->clients[i] = loom_xcalloc (1, sizeof (struct client));
  s->clients[i]->fd = fd;
  {
    struct ucred cred;
    socklen_t len = sizeof cred;
    s->clients[i]->uid = getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.uid
                                                                                    : (uid_t) -1;
  }
  ev.data.u64 = EV_TAG (EV_CLIENT, i);
  epoll_ctl (s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Applies what state.json says one interface's egress suffers. */
static int
apply_impair (struct loom_sup *s, json_t *node, json_t *iface, loom_error_t *err)
{
  const char *text = json_string_value (json_object_get (iface, "impair"));
  const char *ifname = json_string_value (json_object_get (iface, "name"));
  const char *ns = json_string_value (json_object_get (node, "netns"));
  int ifindex = (int) json_integer_value (json_object_get (iface, "ifindex"));
  struct loom_impair p = { 0 };
  char *args[16], *save = NULL, *tok;
  loom_autofree char *copy = loom_xstrdup (text ? text : "");
  const char *why, *bad;
  size_t n = 0;

  for (tok = strtok_r (copy, " ", &save); tok && n < 16; tok = strtok_r (NULL, " ", &save))
    args[n++] = tok;
  if (loom_impair_parse (&p, (const char *const *) args, n, &why, &bad) < 0)
    return loom_error_make (err, EINVAL, "impairment '%s': expected %s", bad, why);
  if (s->imp == NULL)
    {
      struct epoll_event ev = { .events = EPOLLIN };
      if (loom_impair_is_none (&p))
        return 0;
      s->imp = loom_impairer_new (2 * json_array_size (json_object_get (s->state, "links")),
                                  LOOM_IFINDEX_LINKS, err);
      if (s->imp == NULL)
        return -1;
      ev.data.u64 = EV_TAG (EV_IMPAIR, 0);
      epoll_ctl (s->epfd, EPOLL_CTL_ADD, loom_impairer_ring_fd (s->imp), &ev);
      epoll_ctl (s->epfd, EPOLL_CTL_ADD, loom_impairer_timer_fd (s->imp), &ev);
    }
  if (loom_impairer_set (s->imp, ns, ifname, ifindex, &p, err) < 0)
    return -1;
  logf_ ("%s:%s: impairment %s", json_string_value (json_object_get (node, "name")), ifname,
         text && *text ? text : "removed");
  return 0;
}

/* Every impairment the state lists (at start). */
static int
apply_impairs (struct loom_sup *s, loom_error_t *err)
{
  json_t *n, *f;
  size_t i, j;

  json_array_foreach (json_object_get (s->state, "nodes"), i, n)
    json_array_foreach (json_object_get (n, "interfaces"), j, f)
      if (json_object_get (f, "impair") && apply_impair (s, n, f, err) < 0)
        return -1;
  return 0;
}

static json_t *
cmd_impair (struct loom_sup *s, json_t *req)
{
  const char *node = json_string_value (json_object_get (req, "node"));
  const char *ifname = json_string_value (json_object_get (req, "interface"));
  loom_autofree char *path = loom_xasprintf ("%s/state.json", s->statedir);
  json_t *fresh = json_load_file (path, 0, NULL), *n, *f;
  loom_error_t err = NULL;
  size_t i, j;

  if (fresh == NULL)
    return json_pack ("{s:b, s:s}", "ok", 0, "error", "cannot read the lab's state");
  /* The CLI wrote the new setting into state.json; take it from there, and keep the
   * fresh state so a later request sees it too. */
  json_decref (s->state);
  s->state = fresh;
  json_array_foreach (json_object_get (fresh, "nodes"), i, n)
  {
    if (!node || strcmp (json_string_value (json_object_get (n, "name")), node) != 0)
      continue;
    json_array_foreach (json_object_get (n, "interfaces"), j, f)
    {
      if (!ifname || strcmp (json_string_value (json_object_get (f, "name")), ifname) != 0)
        continue;
      if (apply_impair (s, n, f, &err) < 0)
        {
          loom_autofree char *t = loom_error_text (err);
          loom_error_release (&err);
          return json_pack ("{s:b, s:s}", "ok", 0, "error", t);
        }
      return json_pack ("{s:b}", "ok", 1);
    }
  }
  return json_pack ("{s:b, s:s}", "ok", 0, "error", "no such interface");
}

static json_t *
cmd_impair_show (struct loom_sup *s)
{
  json_t *list = json_array (), *n, *f;
  size_t i, j;

  json_array_foreach (json_object_get (s->state, "nodes"), i, n)
    json_array_foreach (json_object_get (n, "interfaces"), j, f)
    {
      struct loom_impair_stats st = { 0 };
      const char *text = json_string_value (json_object_get (f, "impair"));
      bool on = s->imp
                && loom_impairer_stats (s->imp, (int) json_integer_value (
                                                    json_object_get (f, "ifindex")),
                                        &st);
      if (!text || !*text)
        continue;
      json_array_append_new (
          list, json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node",
                           json_string_value (json_object_get (n, "name")), "interface",
                           json_string_value (json_object_get (f, "name")), "impair", text, "path",
                           on ? loom_impairer_path (s->imp, (int) json_integer_value (
                                                                json_object_get (f, "ifindex")))
                              : "not applied (is the supervisor running?)",
                           "frames", (json_int_t) st.frames, "sent", (json_int_t) st.sent, "lost",
                           (json_int_t) st.lost, "duplicated", (json_int_t) st.duplicated,
                           "corrupted", (json_int_t) st.corrupted, "reordered",
                           (json_int_t) st.reordered, "dropped", (json_int_t) st.dropped));
    }
  return json_pack ("{s:b, s:o}", "ok", 1, "impairments", list);
}

/* Starts the FRR daemons of every router that has a configuration. */
static int
start_routers (struct loom_sup *s, loom_error_t *err)
{
  const char *labdir = json_string_value (json_object_get (s->state, "labdir"));
  json_t *n, *d;
  size_t i, k;

  if (s->routers_started)
    return 0;
  s->routers_started = true;
  json_array_foreach (json_object_get (s->state, "nodes"), i, n)
  {
    json_t *frr = json_object_get (n, "frr");
    struct loom_frr_node *fn;

    if (frr == NULL)
      continue;
    s->routers = loom_xrealloc (s->routers, sizeof *s->routers * (s->n_routers + 1));
    fn = &s->routers[s->n_routers];
    memset (fn, 0, sizeof *fn);
    /* Copies: s->state is replaced when the CLI changes the lab (impair-apply). */
    fn->node = loom_xstrdup (json_string_value (json_object_get (n, "name")));
    fn->ns = loom_xstrdup (json_string_value (json_object_get (n, "netns")));
    fn->logdir = loom_xasprintf ("%s/logs", labdir ? labdir : ".");
    json_array_foreach (json_object_get (frr, "daemons"), k, d)
      if (fn->n_daemons < LOOM_FRR_MAX_DAEMONS)
        fn->daemons[fn->n_daemons++] = loom_xstrdup (json_string_value (d));
    s->n_routers++;
    if (loom_frr_start (fn, err) < 0)
      {
        s->n_routers--;
        return loom_error_wrap (err, "router %s", fn->node);
      }
    logf_ ("router %s: FRR started (%zu daemons)", fn->node, fn->n_daemons);
  }
  return 0;
}

/* A child exited: say which; an FRR daemon that dies is not restarted by itself (the
 * log says why; `netloom supervisor LAB stop/start` or a node restart brings it back). */
static void
reap_children (struct loom_sup *s)
{
  int status;
  pid_t pid;
  size_t i, k;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    {
    for (i = 0; i < s->n_children; i++)
      if (s->children[i].pid == pid)
        {
          struct child c = s->children[i];
          s->children[i] = s->children[--s->n_children];
          c.fn (s, c.ctx, pid, status);
          break;
        }
    for (i = 0; i < s->n_routers; i++)
      for (k = 0; k < s->routers[i].n_daemons; k++)
        if (s->routers[i].pids[k] == pid)
          {
            s->routers[i].pids[k] = 0;
            logf_ ("router %s: %s exited (status %d)", s->routers[i].node,
                   s->routers[i].daemons[k], status);
          }
    }
}

static int
setup (struct loom_sup *s, loom_error_t *err)
{
  loom_autofree char *path = loom_xasprintf ("%s/state.json", s->statedir);
  json_t *state;
  json_error_t jerr;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct epoll_event ev = { .events = EPOLLIN };
  sigset_t mask;
  int r;

  state = json_load_file (path, 0, &jerr);
  if (state == NULL)
    return loom_error_make (err, 0, "read %s: %s", path, jerr.text);
  s->epfd = epoll_create1 (EPOLL_CLOEXEC);
  s->state = state;
  r = open_captures (s, state, err);
  if (r < 0)
    return -1;
  if (apply_impairs (s, err) < 0)
    return -1;
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGHUP);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  signal (SIGPIPE, SIG_IGN);
  s->sig_fd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  ev.data.u64 = EV_TAG (EV_SIGNAL, 0);
  epoll_ctl (s->epfd, EPOLL_CTL_ADD, s->sig_fd, &ev);

  /* Gone state directory = the lab was destroyed without us: stop. */
  s->ino_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (s->ino_fd >= 0 && inotify_add_watch (s->ino_fd, s->statedir, IN_DELETE_SELF | IN_MOVE_SELF) >= 0)
    {
      ev.data.u64 = EV_TAG (EV_INOTIFY, 0);
      epoll_ctl (s->epfd, EPOLL_CTL_ADD, s->ino_fd, &ev);
    }

  s->sockpath = loom_xasprintf ("%s/supervisor.sock", s->statedir);
  if (strlen (s->sockpath) >= sizeof addr.sun_path)
    return loom_error_make (err, ENAMETOOLONG, "socket path %s", s->sockpath);
  strcpy (addr.sun_path, s->sockpath);
  unlink (s->sockpath);
  s->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->listen_fd < 0 || bind (s->listen_fd, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (s->listen_fd, 16) < 0)
    return loom_error_make (err, errno, "listen on %s", s->sockpath);
  /* Readable by all (status and captures); handle() refuses changes from non-root. */
  chmod (s->sockpath, 0666);
  ev.data.u64 = EV_TAG (EV_LISTEN, 0);
  epoll_ctl (s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev);

  /* During a deploy the routers and services start once the nodes' addresses are there
   * (deploy asks: "start-nodes", "start-routers"), so each picks its router id from
   * them; a supervisor started again on a running lab starts them right away. */
  if (!json_is_string (json_object_get (state, "status"))
      || strcmp (json_string_value (json_object_get (state, "status")), "deploying") != 0)
    if (start_services (s, err) < 0 || start_routers (s, err) < 0)
      return -1;
  return 0;
}

static void
teardown (struct loom_sup *s)
{
  size_t i;
  stop_services (s);
  for (i = 0; i < s->n_routers; i++)
    loom_frr_stop (&s->routers[i]);
  drain_all (s);
  loom_impairer_free (s->imp);
  s->imp = NULL;
  for (i = 0; i < s->n_caps; i++)
    if (s->caps[i].on)
      loom_ring_close (&s->caps[i].ring);
  if (s->n_caps)
    loom_bpfcap_close (&s->bpf);
  for (i = 0; i < MAX_CLIENTS; i++)
    if (s->clients[i])
      client_close (s, i);
  if (s->sockpath)
    unlink (s->sockpath);
}

int
loom_supervisor_run (const char *lab, int ready_fd)
{
  struct loom_sup s = {
    .lab = (char *) lab, .listen_fd = -1, .sig_fd = -1, .ino_fd = -1, .timer_fd = -1
  };
  struct epoll_event evs[MAX_EVENTS];
  loom_error_t err = NULL;
  int i, n;

  s.started = time (NULL);
  s.statedir = loom_state_dir (lab);
  if (setup (&s, &err) < 0)
    {
      loom_autofree char *t = loom_error_text (err);
      logf_ ("cannot start: %s", t);
      if (ready_fd >= 0)
        dprintf (ready_fd, "error: %s\n", t);
      teardown (&s);
      return 1;
    }
  logf_ ("lab %s: capturing %zu links (pid %d)", lab, s.n_caps, (int) getpid ());
  if (ready_fd >= 0)
    {
      (void) !write (ready_fd, "ok\n", 3);
      close (ready_fd);
    }

  while (!s.stop)
    {
      n = epoll_wait (s.epfd, evs, MAX_EVENTS, -1);
      if (n < 0 && errno != EINTR)
        break;
      for (i = 0; i < n && !s.stop; i++)
        {
          uint32_t type = evs[i].data.u64 >> 32, idx = (uint32_t) evs[i].data.u64;
          switch (type)
            {
            case EV_CAPTURE:
              drain_capture (&s);
              break;
            case EV_LISTEN:
              client_accept (&s);
              break;
            case EV_CLIENT:
              if (s.clients[idx])
                client_read (&s, idx);
              break;
            case EV_SIGNAL:
              {
                struct signalfd_siginfo si;
                if (read (s.sig_fd, &si, sizeof si) != sizeof si)
                  break;
                if (si.ssi_signo == SIGCHLD)
                  reap_children (&s);
                else
                  {
                    logf_ ("signal %d: stopping", (int) si.ssi_signo);
                    s.stop = true;
                  }
                break;
              }
            case EV_IMPAIR:
              if (s.imp)
                loom_impairer_run (s.imp);
              break;
            case EV_TIMER:
              {
                uint64_t ticks;
                (void) !read (s.timer_fd, &ticks, sizeof ticks);
                if (s.n_caps && loom_bpfcap_pending (&s.bpf))
                  drain_capture (&s);
                break;
              }
            case EV_WATCH:
              if (idx < s.n_watches && s.watches[idx].fn)
                s.watches[idx].fn (&s, s.watches[idx].ctx, s.watches[idx].fd, evs[i].events);
              break;
            case EV_INOTIFY:
              logf_ ("the lab's state directory is gone: stopping");
              s.stop = true;
              break;
            }
        }
    }
  teardown (&s);
  logf_ ("stopped");
  return 0;
}

/* ---- spawning and talking to it ------------------------------------------------- */

/* Formats a decimal number without malloc (async-signal-safe). */
static size_t
fmt_u (char *out, unsigned long v)
{
  char tmp[24];
  size_t n = 0, i;
  do
    tmp[n++] = '0' + v % 10;
  while ((v /= 10));
  for (i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  return n;
}

pid_t
loom_supervisor_spawn (const char *lab, const char *exe, int journal_fd, const char *log_path,
                       loom_error_t *err)
{
  char self[PATH_MAX];
  int pipefd[2], logfd, nullfd;
  pid_t child, pid = -1;
  char line[256];
  ssize_t r;
  size_t got = 0;
  const char *run_dir = loom_run_dir ();

  if (exe == NULL)
    exe = getenv ("NETLOOM_EXE");
  if (exe == NULL)
    {
      ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
      if (n < 0)
        return loom_error_make (err, errno, "find the netloom binary");
      self[n] = '\0';
      exe = self;
    }
  logfd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0)
    return loom_error_make (err, errno, "open %s", log_path);
  nullfd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    {
      close (logfd);
      close (nullfd);
      return loom_error_make (err, errno, "pipe");
    }
  child = fork ();
  if (child < 0)
    {
      close (logfd);
      close (nullfd);
      close (pipefd[0]);
      close (pipefd[1]);
      return loom_error_make (err, errno, "fork");
    }
  if (child == 0)
    {
      /* Detach: a session of its own, and a grandchild so that it is nobody's child
       * (nobody has to reap it, and it outlives us). Async-signal-safe calls only. */
      char *argv[] = { "netloom", "supervise", "--run-dir", (char *) run_dir, "--ready-fd", "3",
                       (char *) lab, NULL };
      char jl[64] = "proc ";
      size_t jn;

      setsid ();
      if (fork () != 0)
        _exit (0);
      /* Record ourselves before anything else can go wrong. */
      jn = 5 + fmt_u (jl + 5, (unsigned long) getpid ());
      jl[jn++] = '\n';
      if (write (journal_fd, jl, jn) != (ssize_t) jn)
        _exit (126);
      dup2 (nullfd, 0);
      dup2 (logfd, 1);
      dup2 (logfd, 2);
      dup2 (pipefd[1], 3);
      syscall (SYS_close_range, 4, ~0U, 0);
      execv (exe, argv);
      (void) !write (3, "error: cannot run the netloom binary\n", 37);
      _exit (127);
    }
  close (pipefd[1]);
  close (logfd);
  close (nullfd);
  waitpid (child, NULL, 0);
  /* Wait for the verdict: "ok" once the supervisor is ready, else its error. */
  while (got < sizeof line - 1 && (r = read (pipefd[0], line + got, sizeof line - 1 - got)) != 0)
    {
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      got += r;
      if (memchr (line, '\n', got))
        break;
    }
  close (pipefd[0]);
  line[got] = '\0';
  if (strncmp (line, "ok\n", 3) != 0)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      return loom_error_make (err, 0, "start the lab supervisor: %s (see %s)",
                              got ? line : "it exited without a word", log_path);
    }
  /* The pid is in the journal; read it back for the caller. */
  {
    json_t *st = NULL;
    loom_error_t e = NULL;
    json_t *req = json_pack ("{s:s}", "cmd", "status");
    st = loom_supervisor_call (lab, req, &e);
    json_decref (req);
    if (st)
      pid = (pid_t) json_integer_value (json_object_get (st, "pid"));
    json_decref (st);
    loom_error_release (&e);
  }
  return pid > 0 ? pid : 0;
}

json_t *
loom_supervisor_call (const char *lab, json_t *request, loom_error_t *err)
{
  return loom_supervisor_call_timeout (lab, request, 10000, err);
}

json_t *
loom_supervisor_call_timeout (const char *lab, json_t *request, int timeout_ms, loom_error_t *err)
{
  loom_autofree char *dir = loom_state_dir (lab);
  loom_autofree char *path = loom_xasprintf ("%s/supervisor.sock", dir);
  loom_autofree char *text = json_dumps (request, JSON_COMPACT);
  loom_autoclose int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char buf[65536 * 4];
  size_t got = 0;
  json_t *resp;
  json_error_t jerr;

  if (fd < 0)
    return loom_error_make (err, errno, "socket"), NULL;
  if (strlen (path) >= sizeof addr.sun_path)
    return loom_error_make (err, ENAMETOOLONG, "%s", path), NULL;
  strcpy (addr.sun_path, path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return loom_error_make (err, errno, "the supervisor of lab '%s' is not running", lab), NULL;
  text = loom_xrealloc (text, strlen (text) + 2);
  strcat (text, "\n");
  if (send (fd, text, strlen (text), MSG_NOSIGNAL) < 0)
    return loom_error_make (err, errno, "talk to the supervisor of lab '%s'", lab), NULL;
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      ssize_t r;
      /* Bounded: a wedged supervisor must not hang the CLI. */
      int pr = poll (&p, 1, timeout_ms);
      if (pr <= 0)
        return loom_error_make (err, pr == 0 ? ETIMEDOUT : errno,
                                "the supervisor of lab '%s' does not answer", lab),
               NULL;
      r = read (fd, buf + got, sizeof buf - 1 - got);
      if (r <= 0)
        return loom_error_make (err, r < 0 ? errno : 0,
                                "the supervisor of lab '%s' closed the connection", lab),
               NULL;
      got += r;
      if (memchr (buf, '\n', got) || got >= sizeof buf - 1)
        break;
    }
  buf[got] = '\0';
  resp = json_loads (buf, JSON_DISABLE_EOF_CHECK, &jerr);
  if (resp == NULL)
    loom_error_make (err, 0, "bad answer from the supervisor of lab '%s'", lab);
  return resp;
}

/* True when pid runs `netloom supervise ... --run-dir <ours> ... <lab>`. */
static bool
is_our_supervisor (pid_t pid, const char *lab)
{
  char path[64];
  loom_autofree char *cmd = NULL;
  size_t len, i, argc = 0;
  const char *argv[16];

  snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
  if (loom_read_file (path, &cmd, &len, NULL) < 0 || len == 0)
    return false;
  for (i = 0; i < len && argc < 16; i += strlen (cmd + i) + 1)
    argv[argc++] = cmd + i;
  if (argc < 7 || strcmp (argv[1], "supervise") != 0 || strcmp (argv[argc - 1], lab) != 0)
    return false;
  for (i = 2; i + 1 < argc; i++)
    if (strcmp (argv[i], "--run-dir") == 0)
      return strcmp (argv[i + 1], loom_run_dir ()) == 0;
  return false;
}

static bool
wait_exit (int pidfd, int ms)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  return poll (&p, 1, ms) > 0;
}

int
loom_supervisor_kill (const char *lab, pid_t pid, loom_error_t *err)
{
  int pidfd;

  if (pid <= 0 || !is_our_supervisor (pid, lab))
    return 0; /* gone, or the pid now belongs to someone else */
  pidfd = syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0 && errno == ENOSYS)
    {
      /* No pidfds (an old kernel, or valgrind): no way to wait for it, so no grace. */
      kill (pid, SIGKILL);
      return 0;
    }
  if (pidfd < 0)
    return errno == ESRCH ? 0 : loom_error_make (err, errno, "pidfd_open %d", (int) pid);
  if (kill (pid, SIGTERM) < 0 && errno != ESRCH)
    {
      close (pidfd);
      return loom_error_make (err, errno, "stop supervisor %d", (int) pid);
    }
  /* It flushes its captures and exits; give it time, then no more. */
  if (!wait_exit (pidfd, 5000))
    {
      kill (pid, SIGKILL);
      wait_exit (pidfd, 5000);
    }
  close (pidfd);
  return 0;
}
