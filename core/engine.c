/* The deploy/destroy engine. A deploy is four phases, each run by parallel workers with
 * a barrier between them:
 *   1. namespaces  — one per node, created by a worker thread (unshare), configured in
 *                    place (IPv6 policy, loopback, forwarding, bridges);
 *   2. links       — one veth request per link, both ends created inside their
 *                    namespaces, named, up and enslaved;
 *   3. configure   — per node: sysctls, addresses, routes, VLANs; then waits until
 *                    the kernel reports its link ends operationally up;
 *   4. exec        — per node: the lab file's commands, in order.
 * Each namespace is journaled before it exists, so rollback and destroy remove exactly
 * what this lab made: deleting a namespace deletes every link end inside it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/container.h"
#include "core/fault.h"
#include "core/frr.h"
#include "core/journal.h"
#include "core/lab.h"
#include "core/log.h"
#include "core/netns.h"
#include "core/nl.h"
#include "core/parallel.h"
#include "core/spawn.h"
#include "core/state.h"
#include "core/supervisor.h"
#include "core/util.h"

/* How long deploy waits for the kernel to report a lab's links operationally up. */
#define LINKS_READY_TIMEOUT 5.0

/* The end of a link that the creating request could not bring up (see phase_links). */
struct peer_end
{
  struct loom_node_rt *rt;
  int ifindex;
  int master;
};

struct deploy
{
  const struct loom_lab *lab;
  const struct loom_deploy_opts *opts;
  struct loom_node_rt *rt;
  struct peer_end *peers; /* per link */
  struct loom_journal journal;
  char *statedir;
  char *labdir;
  char *logdir;
  char *file_abs;
  int workers;
  bool logdir_made;
  pthread_mutex_t lock;
};

static size_t
node_index (const struct loom_lab *lab, const struct loom_node *node)
{
  size_t i;
  for (i = 0; i < lab->n_nodes; i++)
    if (lab->nodes[i] == node)
      return i;
  abort ();
}

static size_t
iface_index (const struct loom_node *node, const struct loom_iface *iface)
{
  size_t i;
  for (i = 0; i < node->n_ifaces; i++)
    if (node->ifaces[i] == iface)
      return i;
  abort ();
}

static uint64_t
fnv1a (const char *s, uint64_t h)
{
  for (; *s; s++)
    h = (h ^ (uint8_t) *s) * 1099511628211ULL;
  return h;
}

/* MACs the file does not give are derived from lab, node and interface names: stable
 * across redeploys (captures and ARP caches stay readable), locally administered, and
 * unique within the lab. */
static void
assign_macs (struct deploy *d)
{
  const struct loom_lab *lab = d->lab;
  size_t i, j, n = 0, k;
  uint8_t(**all)[6] = NULL;

  for (i = 0; i < lab->n_nodes; i++)
    for (j = 0; j < lab->nodes[i]->n_ifaces; j++)
      {
        const struct loom_iface *iface = lab->nodes[i]->ifaces[j];
        uint8_t *mac = d->rt[i].mac[j];
        if (iface->has_mac)
          memcpy (mac, iface->mac, 6);
        else
          {
            uint64_t h = fnv1a (lab->name, 1469598103934665603ULL);
            h = fnv1a ("/", h);
            h = fnv1a (lab->nodes[i]->name, h);
            h = fnv1a ("/", h);
            h = fnv1a (iface->name, h);
            /* Finalise (splitmix64) so names that differ in one letter differ in
             * every byte. */
            h ^= h >> 30;
            h *= 0xbf58476d1ce4e5b9ULL;
            h ^= h >> 27;
            h *= 0x94d049bb133111ebULL;
            h ^= h >> 31;
            for (;;)
              {
                bool dup = false;
                /* aa: locally administered, unicast, and a first byte packet
                 * decoders do not name a vendor for (02:xx reads as MS-NLB). */
                mac[0] = 0xaa;
                for (k = 1; k < 6; k++)
                  mac[k] = h >> (8 * (k - 1));
                for (k = 0; k < n && !dup; k++)
                  dup = memcmp (*all[k], mac, 6) == 0;
                if (!dup)
                  break;
                h = h * 6364136223846793005ULL + 1442695040888963407ULL;
              }
          }
        LOOM_PUSH (all, n, &d->rt[i].mac[j]);
      }
  free (all);
}

static void
rt_free (struct deploy *d)
{
  size_t i;
  if (d->rt == NULL)
    return;
  for (i = 0; i < d->lab->n_nodes; i++)
    {
      if (d->rt[i].nsfd >= 0)
        close (d->rt[i].nsfd);
      if (d->rt[i].sk)
        loom_nl_close (d->rt[i].sk);
      pthread_mutex_destroy (&d->rt[i].lock);
      free (d->rt[i].netns);
      free (d->rt[i].ifindex);
      free (d->rt[i].mac);
    }
  free (d->rt);
  d->rt = NULL;
}

static void
rt_init (struct deploy *d)
{
  const struct loom_lab *lab = d->lab;
  size_t i, j;

  d->rt = loom_xcalloc (lab->n_nodes, sizeof *d->rt);
  for (i = 0; i < lab->n_nodes; i++)
    {
      struct loom_node_rt *rt = &d->rt[i];
      const struct loom_node *node = lab->nodes[i];

      rt->lab = lab;
      rt->node = node;
      rt->ops = loom_device_lookup (node->kind);
      rt->netns = loom_node_netns_name (lab, node);
      rt->nsfd = -1;
      pthread_mutex_init (&rt->lock, NULL);
      /* IPv6 costs: every new interface's multicast reaches every other one on a
       * bridge, which makes big labs slow. Only nodes of labs that use it get it. */
      rt->ipv6 = lab->uses_ipv6 && node->kind != LOOM_KIND_SWITCH && node->kind != LOOM_KIND_HUB;
      rt->ifindex = loom_xcalloc (node->n_ifaces, sizeof *rt->ifindex);
      rt->mac = loom_xcalloc (node->n_ifaces, sizeof *rt->mac);
      for (j = 0; j < node->n_ifaces; j++)
        rt->ifindex[j] = 1; /* lo; link ends are numbered below */
    }
  for (i = 0; i < lab->n_links; i++)
    {
      const struct loom_link *link = lab->links[i];
      size_t na = node_index (lab, link->a->node), nb = node_index (lab, link->b->node);
      d->rt[na].ifindex[iface_index (link->a->node, link->a)] = LOOM_IFINDEX_LINKS + (int) i;
      d->rt[nb].ifindex[iface_index (link->b->node, link->b)]
          = LOOM_IFINDEX_LINKS + (int) (lab->n_links + i);
    }
  assign_macs (d);
}

/* Phase 1: one namespace per node. */
static int
phase_netns (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct deploy *d = ctx;
  struct loom_node_rt *rt = &d->rt[i];
  int r = -1;

  /* Claim the name first, journal it as ours only once the claim holds: a name that
   * exists already is someone else's and must survive our rollback. */
  if (loom_journal_add (&d->journal, "claim", rt->netns, err) < 0)
    return -1;
  if (loom_fault_check ("claim namespace name", err) < 0)
    return loom_error_wrap (err, "node %s", rt->node->name);
  if (loom_netns_claim (rt->netns, err) < 0)
    {
      if (*err && (*err)->status == EEXIST)
        {
          loom_error_release (err);
          return loom_error_make (err, 0,
                                  "node %s: namespace %s already exists and belongs to "
                                  "something else (another lab, or `ip netns add`)",
                                  rt->node->name, rt->netns);
        }
      return loom_error_wrap (err, "node %s", rt->node->name);
    }
  if (loom_journal_add (&d->journal, "netns", rt->netns, err) < 0)
    return -1;
  if (loom_fault_check ("create namespace", err) < 0)
    return loom_error_wrap (err, "node %s", rt->node->name);
  rt->nsfd = loom_netns_create (rt->netns, err);
  if (rt->nsfd < 0)
    return loom_error_wrap (err, "node %s", rt->node->name);

  /* From here on this thread is inside the node's namespace. */
  /* keep_addr_on_down: a node stopped and started again (or a cable pulled and put
   * back) keeps its IPv6 addresses, as IPv4 ones are kept. */
  if (rt->ipv6)
    r = loom_sysctl_set ("net.ipv6.conf.all.accept_dad", "0", err) < 0
                || loom_sysctl_set ("net.ipv6.conf.default.accept_dad", "0", err) < 0
                || loom_sysctl_set ("net.ipv6.conf.all.keep_addr_on_down", "1", err) < 0
                || loom_sysctl_set ("net.ipv6.conf.default.keep_addr_on_down", "1", err) < 0
            ? -1
            : 0;
  else
    r = loom_sysctl_set ("net.ipv6.conf.all.disable_ipv6", "1", err) < 0
                || loom_sysctl_set ("net.ipv6.conf.default.disable_ipv6", "1", err) < 0
            ? -1
            : 0;
  /* The socket stays bound to this namespace: later phases configure the node
   * through it from any thread. */
  if (r == 0)
    r = (rt->sk = loom_nl_open (err)) ? 0 : -1;
  if (r == 0)
    r = loom_nl_link_set_up (rt->sk, 1, true, err);
  if (r == 0 && rt->ops->ns_init)
    r = rt->ops->ns_init (rt, rt->sk, err);
  if (loom_netns_enter (loom_netns_host_fd (), r == 0 ? err : NULL) < 0)
    r = -1;
  if (r < 0)
    return loom_error_wrap (err, "node %s", rt->node->name);
  return 0;
}

static struct loom_node_rt *
fill_end (struct deploy *d, const struct loom_iface *iface, int link_mtu,
          struct loom_veth_end *e)
{
  size_t n = node_index (d->lab, iface->node);
  size_t k = iface_index (iface->node, iface);
  struct loom_node_rt *rt = &d->rt[n];

  e->name = iface->name;
  e->nsfd = rt->nsfd;
  e->ifindex = rt->ifindex[k];
  e->mtu = iface->mtu ? iface->mtu : link_mtu;
  e->mac = rt->mac[k];
  e->master = rt->master;
  return rt;
}

/* Phase 2: one veth pair per link. */
static int
phase_links (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct deploy *d = ctx;
  const struct loom_link *link = d->lab->links[i];
  struct loom_veth_end a, b;
  struct loom_node_rt *rt_a, *rt_b;
  struct nl_sock *sk = loom_worker_host_sock (w, err);
  int r;

  if (sk == NULL)
    return -1;
  rt_a = fill_end (d, link->a, link->mtu, &a);
  rt_b = fill_end (d, link->b, link->mtu, &b);
  /* The kernel cannot bring a veth's peer up in the request that creates it (the peer
   * is opened before the pair is joined), so the request's own device should be the
   * end whose node has the most links (a switch port); the peer is set up after. */
  if (rt_b->master && !rt_a->master)
    {
      struct loom_veth_end te = a;
      struct loom_node_rt *tr = rt_a;
      a = b;
      b = te;
      rt_a = rt_b;
      rt_b = tr;
    }
  r = loom_nl_veth_create (sk, &a, &b, err);
  if (r < 0)
    return loom_error_wrap (err, "link %s:%s -- %s:%s", link->a->node->name, link->a->name,
                            link->b->node->name, link->b->name);
  /* With one end down no frame can cross yet: the supervisor starts its captures
   * before phase_peers_up lets the first one through. */
  d->peers[i] = (struct peer_end){ rt_b, b.ifindex, b.master };
  return 0;
}

/* Phase 2b: the second end of every link comes up (and joins its bridge). */
static int
phase_peers_up (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct deploy *d = ctx;
  struct peer_end *p = &d->peers[i];
  const struct loom_link *link = d->lab->links[i];
  int r;

  pthread_mutex_lock (&p->rt->lock);
  r = loom_nl_link_setup (p->rt->sk, p->ifindex, p->master, true, err);
  pthread_mutex_unlock (&p->rt->lock);
  if (r < 0)
    return loom_error_wrap (err, "link %s:%s -- %s:%s", link->a->node->name, link->a->name,
                            link->b->node->name, link->b->name);
  return 0;
}

/* Phase 3: sysctls, addresses, routes, VLANs inside each node. */
static int
phase_configure (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct deploy *d = ctx;
  struct loom_node_rt *rt = &d->rt[i];
  const struct loom_node *node = rt->node;
  size_t j;
  int r = 0;

  if (node->n_sysctls == 0 && rt->ops->configure == NULL)
    return 0;
  /* sysctls go through /proc/sys/net, which follows the thread's namespace. */
  if (node->n_sysctls)
    {
      if (loom_netns_enter (rt->nsfd, err) < 0)
        return loom_error_wrap (err, "node %s", node->name);
      for (j = 0; j < node->n_sysctls && r == 0; j++)
        r = loom_sysctl_set (node->sysctls[j].key, node->sysctls[j].value, err);
      if (loom_netns_enter (loom_netns_host_fd (), r == 0 ? err : NULL) < 0)
        r = -1;
    }
  if (r == 0 && rt->ops->configure)
    r = rt->ops->configure (rt, rt->sk, err);
  if (r < 0)
    return loom_error_wrap (err, "node %s", node->name);
  return 0;
}

/* Phase 3b: the node's link ends are operationally up. Setting a link up returns before
 * the kernel acts on its carrier (a work queue does that, later, one batch at a time), and
 * until it has, the end drops what it is given and a bridge does not forward through its
 * port — the first frames after a large deploy would be lost. Waits on the kernel's own
 * link events; a node whose ends are still down after the timeout gets a warning. */
static int
phase_ready (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct deploy *d = ctx;
  struct loom_node_rt *rt = &d->rt[i];
  const struct loom_node *node = rt->node;
  loom_autofree int *ends = loom_xcalloc (node->n_ifaces + 1, sizeof *ends);
  size_t j, n = 0;
  int down = 0;

  for (j = 0; j < node->n_ifaces; j++)
    if (node->ifaces[j]->link)
      ends[n++] = rt->ifindex[j];
  if (n == 0)
    return 0;
  if (loom_nl_wait_oper_up (rt->nsfd, ends, n, LINKS_READY_TIMEOUT, &down, err) < 0)
    return loom_error_wrap (err, "node %s: waiting for its links", node->name);
  for (j = 0; down && j < node->n_ifaces; j++)
    if (node->ifaces[j]->link && rt->ifindex[j] == down)
      loom_log (LOOM_LOG_WARNING, "node %s: %s is not up yet after %.0f s", node->name,
                node->ifaces[j]->name, LINKS_READY_TIMEOUT);
  return 0;
}

static int
make_logdir (struct deploy *d, loom_error_t *err)
{
  int r = 0;
  pthread_mutex_lock (&d->lock);
  if (!d->logdir_made)
    {
      struct stat st;
      if (stat (d->logdir, &st) < 0)
        r = loom_journal_add (&d->journal, "dir", d->logdir, err) < 0
                    || loom_mkdir_p (d->logdir, 0755, err) < 0
                ? -1
                : 0;
      d->logdir_made = r == 0;
    }
  pthread_mutex_unlock (&d->lock);
  return r;
}

/* Phase 4: the lab file's exec: commands, in order, each node in parallel. */
static int
phase_exec (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct deploy *d = ctx;
  struct loom_node_rt *rt = &d->rt[i];
  const struct loom_node *node = rt->node;
  loom_autofree char *logpath = NULL;
  loom_autoclose int logfd = -1;
  char **keys, **values, **envp;
  size_t j;
  int r = 0;

  if (node->n_exec == 0)
    return 0;
  if (make_logdir (d, err) < 0)
    return -1;
  logpath = loom_xasprintf ("%s/%s.exec.log", d->logdir, node->name);
  if (loom_journal_add (&d->journal, "file", logpath, err) < 0)
    return -1;
  logfd = open (logpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (logfd < 0)
    return loom_error_make (err, errno, "open %s", logpath);

  keys = loom_xcalloc (node->n_env + 1, sizeof *keys);
  values = loom_xcalloc (node->n_env + 1, sizeof *values);
  for (j = 0; j < node->n_env; j++)
    {
      keys[j] = node->env[j].key;
      values[j] = node->env[j].value;
    }
  envp = loom_env_merge (keys, values, node->n_env);
  free (keys);
  free (values);

  for (j = 0; j < node->n_exec && r == 0; j++)
    {
      char *argv[] = { "/bin/sh", "-c", node->exec[j], NULL };
      struct loom_spawn s = {
        .nsfd = rt->nsfd,
        .argv = argv,
        .envp = envp,
        .stdin_fd = -1,
        .stdout_fd = logfd,
        .stderr_fd = logfd,
      };
      off_t start;
      pid_t pid;
      int status;

      if (loom_fault_check ("exec", err) < 0)
        {
          r = -1;
          break;
        }
      dprintf (logfd, "$ %s\n", node->exec[j]);
      start = lseek (logfd, 0, SEEK_CUR);
      s.stdin_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (node->kind == LOOM_KIND_CONTAINER)
        {
          /* Inside every namespace of the container, with its own /bin/sh. */
          struct loom_container_exec x
              = { .argv = argv, .stdin_fd = s.stdin_fd, .stdout_fd = logfd, .stderr_fd = logfd };
          pid = loom_container_spawn (d->statedir, node->name, &x, err);
        }
      else
        pid = loom_spawn_in_ns (&s, err);
      close (s.stdin_fd);
      if (pid < 0)
        {
          r = -1;
          break;
        }
      status = loom_wait_status (pid);
      {
        /* Echo the command's output into the log the user sees, as containerlab does. */
        off_t end = lseek (logfd, 0, SEEK_CUR);
        size_t len = end > start ? (size_t) (end - start) : 0;
        loom_autofree char *out = loom_xmalloc (len > 4096 ? 4097 : len + 1);
        ssize_t got = pread (logfd, out, len > 4096 ? 4096 : len, start);
        out[got > 0 ? got : 0] = '\0';
        if (got < 0)
          out[0] = '\0';
        loom_log (status == 0 ? LOOM_LOG_INFO : LOOM_LOG_WARNING, "%s: exec '%s' exited %d%s%s",
                  node->name, node->exec[j], status, out[0] ? "\n" : "", out);
      }
    }
  loom_strv_free (envp);
  if (r < 0)
    return loom_error_wrap (err, "node %s", node->name);
  return 0;
}

/* Routers that run FRR get /etc/frr/<ns>/ with their frr.conf; the supervisor starts
 * their daemons (which make /var/run/frr/<ns>/). Both directories are this lab's. */
static int
write_frr_configs (struct deploy *d, loom_error_t *err)
{
  size_t i;

  for (i = 0; i < d->lab->n_nodes; i++)
    {
      const struct loom_node *node = d->lab->nodes[i];
      loom_autofree char *conf = NULL;
      loom_autofree char *etc = NULL;
      loom_autofree char *run = NULL;

      if (node->frr == NULL)
        continue;
      conf = loom_frr_render (node);
      etc = loom_xasprintf ("%s/%s", LOOM_FRR_CONF_ROOT, d->rt[i].netns);
      run = loom_xasprintf ("%s/%s", LOOM_FRR_RUN_ROOT, d->rt[i].netns);
      if (loom_journal_add (&d->journal, "tree", etc, err) < 0
          || loom_journal_add (&d->journal, "tree", run, err) < 0
          || loom_fault_check ("write frr.conf", err) < 0
          || loom_frr_write_config (d->rt[i].netns, conf ? conf : "", err) < 0)
        return loom_error_wrap (err, "node %s", node->name);
    }
  return 0;
}

/* The supervisor takes over what must keep running (captures). Its log goes with the
 * lab's other logs; its own pid it journals itself. */
static int
start_supervisor (struct deploy *d, loom_error_t *err)
{
  loom_autofree char *captures = loom_xasprintf ("%s/captures", d->labdir);
  loom_autofree char *log = NULL;

  if (make_logdir (d, err) < 0)
    return -1;
  log = loom_xasprintf ("%s/supervisor.log", d->logdir);
  if (loom_journal_add (&d->journal, "file", log, err) < 0)
    return -1;
  /* The captures of the lab's previous run make way for this one's. They are the
   * lab's record: destroy keeps them (until --cleanup), a failed deploy does not. */
  if (loom_rm_rf (captures, err) < 0)
    return -1;
  if (loom_journal_add (&d->journal, "data", captures, err) < 0)
    return -1;
  if (write_frr_configs (d, err) < 0)
    return -1;
  if (loom_fault_check ("start supervisor", err) < 0)
    return -1;
  if (loom_supervisor_spawn (d->lab->name, d->opts ? d->opts->exe : NULL, d->journal.fd, log, err)
      < 0)
    return loom_error_wrap (err, "starting the lab supervisor");
  return 0;
}

/* The supervisor's services (containers, VMs, the NAT node, published ports) start
 * once the nodes' addresses are in place. */
static int
start_nodes (struct deploy *d, loom_error_t *err)
{
  json_t *req, *resp;

  if (loom_fault_check ("start nodes", err) < 0)
    return -1;
  req = json_pack ("{s:s}", "cmd", "start-nodes");
  resp = loom_supervisor_call_timeout (d->lab->name, req, 300000, err);
  json_decref (req);
  if (resp == NULL)
    return loom_error_wrap (err, "starting nodes");
  if (!json_is_true (json_object_get (resp, "ok")))
    {
      loom_error_make (err, 0, "%s", json_string_value (json_object_get (resp, "error")));
      json_decref (resp);
      return -1;
    }
  json_decref (resp);
  return 0;
}

/* Routers with FRR start once their addresses are in place (the supervisor owns the
 * daemons). */
static int
start_routers (struct deploy *d, loom_error_t *err)
{
  json_t *req, *resp;
  size_t i, n = 0;

  for (i = 0; i < d->lab->n_nodes; i++)
    n += d->lab->nodes[i]->frr != NULL;
  if (n == 0)
    return 0;
  if (loom_fault_check ("start routers", err) < 0)
    return -1;
  req = json_pack ("{s:s}", "cmd", "start-routers");
  resp = loom_supervisor_call_timeout (d->lab->name, req, 60000 + 5000 * (int) n, err);
  json_decref (req);
  if (resp == NULL)
    return loom_error_wrap (err, "starting FRR");
  if (!json_is_true (json_object_get (resp, "ok")))
    {
      loom_error_make (err, 0, "starting FRR: %s",
                       json_string_value (json_object_get (resp, "error")));
      json_decref (resp);
      return -1;
    }
  json_decref (resp);
  return 0;
}

static void
raise_fd_limit (size_t need)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need + 64)
    return;
  rl.rlim_cur = rl.rlim_max < need + 256 ? rl.rlim_max : need + 256;
  setrlimit (RLIMIT_NOFILE, &rl);
}

static int
write_state (struct deploy *d, const char *status, loom_error_t *err)
{
  loom_autofree char *path = loom_xasprintf ("%s/state.json", d->statedir);
  json_t *root = loom_state_build (d->lab, d->rt, d->file_abs, d->labdir, status);
  int r = loom_json_write (path, root, err);
  json_decref (root);
  return r;
}

static int
deploy_steps (struct deploy *d, loom_error_t *err)
{
  const struct loom_lab *lab = d->lab;
  loom_autofree char *topo = NULL;
  loom_autofree char *journal_path = loom_xasprintf ("%s/journal", d->statedir);
  struct stat st;
  double t;

  if (loom_journal_open (&d->journal, journal_path, err) < 0)
    return -1;
  if (write_state (d, "deploying", err) < 0)
    return -1;
  if (loom_netns_rundir_prepare (err) < 0)
    return -1;
  if (stat (d->labdir, &st) < 0)
    {
      if (loom_journal_add (&d->journal, "dir", d->labdir, err) < 0
          || loom_mkdir_p (d->labdir, 0755, err) < 0)
        return -1;
    }
  t = loom_now ();
  if (loom_parallel (lab->n_nodes, d->workers, phase_netns, d, err) < 0)
    return loom_error_wrap (err, "creating namespaces");
  loom_log (LOOM_LOG_DEBUG, "namespaces: %zu in %.3f s", lab->n_nodes, loom_now () - t);
  t = loom_now ();
  d->peers = loom_xcalloc (lab->n_links + 1, sizeof *d->peers);
  if (loom_parallel (lab->n_links, d->workers, phase_links, d, err) < 0)
    return loom_error_wrap (err, "creating links");
  loom_log (LOOM_LOG_DEBUG, "links: %zu in %.3f s", lab->n_links, loom_now () - t);
  t = loom_now ();
  if (start_supervisor (d, err) < 0)
    return -1;
  loom_log (LOOM_LOG_DEBUG, "supervisor: %.3f s", loom_now () - t);
  t = loom_now ();
  if (loom_parallel (lab->n_links, d->workers, phase_peers_up, d, err) < 0)
    return loom_error_wrap (err, "bringing links up");
  loom_log (LOOM_LOG_DEBUG, "links up: %.3f s", loom_now () - t);
  t = loom_now ();
  if (loom_parallel (lab->n_nodes, d->workers, phase_configure, d, err) < 0)
    return loom_error_wrap (err, "configuring nodes");
  loom_log (LOOM_LOG_DEBUG, "configure: %.3f s", loom_now () - t);
  t = loom_now ();
  if (loom_parallel (lab->n_nodes, d->workers, phase_ready, d, err) < 0)
    return loom_error_wrap (err, "waiting for links");
  loom_log (LOOM_LOG_DEBUG, "links ready: %.3f s", loom_now () - t);
  t = loom_now ();
  if (start_nodes (d, err) < 0)
    return -1;
  loom_log (LOOM_LOG_DEBUG, "start nodes: %.3f s", loom_now () - t);
  if (start_routers (d, err) < 0)
    return -1;
  t = loom_now ();
  if (loom_parallel (lab->n_nodes, d->workers, phase_exec, d, err) < 0)
    return loom_error_wrap (err, "running exec commands");
  loom_log (LOOM_LOG_DEBUG, "exec: %.3f s", loom_now () - t);

  topo = loom_xasprintf ("%s/topology-data.json", d->labdir);
  if (loom_journal_add (&d->journal, "file", topo, err) < 0
      || loom_fault_check ("write topology-data.json", err) < 0)
    return -1;
  {
    json_t *root = loom_state_build (lab, d->rt, d->file_abs, d->labdir, "running");
    int r = loom_json_write (topo, root, err);
    json_decref (root);
    if (r < 0)
      return -1;
  }
  return write_state (d, "running", err);
}

static int
lock_lab (const char *statedir, bool create, int *fd_out, loom_error_t *err)
{
  loom_autofree char *lock = loom_xasprintf ("%s/lock", statedir);
  int fd = loom_lock_file (lock, create, err);

  if (fd < 0)
    return -1;
  *fd_out = fd;
  return 0;
}

int
loom_lab_deploy (const struct loom_lab *lab, const struct loom_deploy_opts *opts,
                 loom_error_t *err)
{
  struct deploy d = {
    .lab = lab, .opts = opts, .journal = { .fd = -1 }, .lock = PTHREAD_MUTEX_INITIALIZER
  };
  struct loom_diags diags = { 0 };
  loom_autoclose int lockfd = -1;
  char real[PATH_MAX];
  int r;

  if (geteuid () != 0)
    return loom_error_make (err, EPERM, "deploying a lab needs root");
  if (loom_lab_check_supported (lab, &diags) > 0)
    {
      loom_autofree char *first = loom_diag_format (&diags.items[0]);
      loom_error_make (err, 0, "%s", first);
      loom_diags_clear (&diags);
      return -1;
    }
  loom_diags_clear (&diags);

  loom_fault_reset ();
  d.workers = opts && opts->workers > 0 ? opts->workers : loom_parallel_default_workers ();
  d.statedir = loom_state_dir (lab->name);
  d.labdir = loom_xasprintf ("%s/netloom-%s", lab->dir, lab->name);
  d.logdir = loom_xasprintf ("%s/logs", d.labdir);
  d.file_abs = loom_xstrdup (realpath (lab->file, real) ? real : lab->file);

  if (loom_mkdir_p (loom_run_dir (), 0755, err) < 0)
    goto out;
  if (mkdir (d.statedir, 0755) < 0)
    {
      if (errno == EEXIST)
        {
          loom_error_t e = NULL;
          json_t *state = loom_lab_state_load (lab->name, &e);
          const char *status = json_string_value (json_object_get (state, "status"));
          const char *file = json_string_value (json_object_get (state, "file"));
          if (status && (strcmp (status, "failed") == 0))
            loom_error_make (err, EEXIST,
                             "lab '%s' was left behind by an interrupted deploy; run "
                             "'netloom destroy %s' first",
                             lab->name, lab->name);
          else
            loom_error_make (err, 0,
                             "lab '%s' is already deployed (from %s); destroy it first, or "
                             "deploy with --reconfigure",
                             lab->name, file ? file : "?");
          json_decref (state);
          loom_error_release (&e);
        }
      else
        loom_error_make (err, errno, "create %s", d.statedir);
      goto out;
    }
  if (lock_lab (d.statedir, true, &lockfd, err) < 0)
    {
      loom_rm_rf (d.statedir, NULL);
      goto out;
    }
  raise_fd_limit (lab->n_nodes * 2 + 64);
  rt_init (&d);

  r = deploy_steps (&d, err);
  rt_free (&d);
  free (d.peers);
  loom_journal_close (&d.journal);
  if (r < 0)
    {
      /* Roll back: everything the journal lists, then the state directory. */
      loom_error_t e = NULL;
      loom_autofree char *jpath = loom_xasprintf ("%s/journal", d.statedir);
      if (loom_journal_undo (jpath, lab->name, false, d.workers, &e) < 0)
        {
          loom_autofree char *t = loom_error_text (e);
          loom_log (LOOM_LOG_ERROR, "rollback incomplete: %s (state kept in %s)", t, d.statedir);
          loom_error_release (&e);
        }
      else
        loom_rm_rf (d.statedir, NULL);
      loom_error_wrap (err, "deploying lab '%s' (rolled back)", lab->name);
      goto out;
    }
  free (d.statedir);
  free (d.labdir);
  free (d.logdir);
  free (d.file_abs);
  return 0;

out:
  free (d.statedir);
  free (d.labdir);
  free (d.logdir);
  free (d.file_abs);
  return -1;
}

int
loom_lab_destroy (const char *name, unsigned flags, loom_error_t *err)
{
  loom_autofree char *statedir = NULL;
  loom_autofree char *jpath = NULL;
  loom_autofree char *labdir = NULL;
  loom_autoclose int lockfd = -1;
  struct stat st;

  if (!loom_name_valid (name))
    return loom_error_make (err, EINVAL, "'%s' is not a valid lab name", name);
  if (geteuid () != 0)
    return loom_error_make (err, EPERM, "destroying a lab needs root");
  statedir = loom_state_dir (name);
  if (stat (statedir, &st) < 0)
    return loom_error_make (err, 0, "no lab named '%s' is deployed", name);
  /* Waits for a deploy in progress (a killed one has released the lock). */
  if (lock_lab (statedir, true, &lockfd, err) < 0)
    return -1;
  {
    loom_autofree char *p = loom_xasprintf ("%s/state.json", statedir);
    json_t *root = json_load_file (p, 0, NULL);
    const char *dir = json_string_value (json_object_get (root, "labdir"));
    labdir = dir ? loom_xstrdup (dir) : NULL;
    json_decref (root);
  }
  jpath = loom_xasprintf ("%s/journal", statedir);
  if (loom_journal_undo (jpath, name, !(flags & LOOM_DESTROY_CLEANUP), 0, err) < 0)
    return loom_error_wrap (err, "destroying lab '%s' (state kept in %s)", name, statedir);
  if ((flags & LOOM_DESTROY_CLEANUP) && labdir)
    {
      /* Only ever the directory netloom names for this lab. */
      loom_autofree char *want = loom_xasprintf ("netloom-%s", name);
      const char *base = strrchr (labdir, '/');
      if (base && strcmp (base + 1, want) == 0 && loom_rm_rf (labdir, err) < 0)
        return -1;
    }
  if (loom_rm_rf (statedir, err) < 0)
    return -1;
  return 0;
}

pid_t
loom_node_spawn (const char *lab, const char *node, char *const argv[], loom_error_t *err)
{
  json_t *root = loom_lab_state_load (lab, err), *n = NULL, *it, *env;
  const char *ns = NULL, *key;
  json_t *val;
  loom_autoclose int nsfd = -1;
  char **keys = NULL, **values = NULL, **envp;
  size_t i, n_env = 0;
  pid_t pid;

  if (root == NULL)
    return -1;
  json_array_foreach (json_object_get (root, "nodes"), i, it)
  {
    const char *name = json_string_value (json_object_get (it, "name"));
    if (name && strcmp (name, node) == 0)
      {
        n = it;
        break;
      }
  }
  if (n == NULL)
    {
      json_decref (root);
      return loom_error_make (err, 0, "lab '%s' has no node '%s'", lab, node);
    }
  if (json_object_get (n, "container"))
    {
      /* Every namespace of the container, its env, working directory and user. */
      loom_autofree char *statedir = loom_state_dir (lab);
      /* The container's env, plus what says where the user is and what their
       * terminal is (a shell's prompt needs them). */
      static const char *const pass[] = { "TERM", "PS1", "NETLOOM_LAB", "NETLOOM_NODE" };
      char *extra[5] = { NULL };
      size_t k, ne = 0;
      struct loom_container_exec x
          = { .argv = argv, .extra_env = extra, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
      for (k = 0; k < sizeof pass / sizeof pass[0]; k++)
        if (getenv (pass[k]))
          extra[ne++] = loom_xasprintf ("%s=%s", pass[k], getenv (pass[k]));
      json_decref (root);
      pid = loom_container_spawn (statedir, node, &x, err);
      for (k = 0; k < ne; k++)
        free (extra[k]);
      return pid;
    }
  ns = json_string_value (json_object_get (n, "netns"));
  nsfd = ns ? loom_netns_open (ns, err) : -1;
  if (nsfd < 0)
    {
      json_decref (root);
      if (ns == NULL)
        loom_error_make (err, 0, "node '%s' has no namespace", node);
      return loom_error_wrap (err, "node '%s' is not running", node);
    }
  env = json_object_get (n, "env");
  json_object_foreach (env, key, val)
  {
    LOOM_PUSH (keys, n_env, (char *) key);
    n_env--;
    LOOM_PUSH (values, n_env, (char *) json_string_value (val));
  }
  envp = loom_env_merge (keys, values, n_env);
  free (keys);
  free (values);
  {
    json_t *binds = json_object_get (n, "binds"), *b;
    char **bv = loom_xcalloc (2 * json_array_size (binds) + 2, sizeof *bv);
    size_t nb = 0;
    struct loom_spawn s = {
      .nsfd = nsfd,
      .argv = argv,
      .envp = envp,
      .stdin_fd = -1,
      .stdout_fd = -1,
      .stderr_fd = -1,
      .binds = bv,
    };
    json_array_foreach (binds, i, b)
    {
      bv[nb++] = (char *) json_string_value (json_array_get (b, 0));
      bv[nb++] = (char *) json_string_value (json_array_get (b, 1));
    }
    pid = loom_spawn_in_ns (&s, err);
    free (bv);
  }
  loom_strv_free (envp);
  json_decref (root);
  return pid;
}

/* The pid the journal has for the lab's supervisor (the newest), or 0. */
static pid_t
journal_supervisor_pid (const char *statedir)
{
  loom_autofree char *path = loom_xasprintf ("%s/journal", statedir);
  loom_autofree char *data = NULL;
  char *line, *save = NULL;
  pid_t pid = 0;

  if (loom_read_file (path, &data, NULL, NULL) < 0)
    return 0;
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "proc ", 5) == 0)
      pid = (pid_t) atol (line + 5);
  return pid;
}

int
loom_lab_supervisor_stop (const char *name, loom_error_t *err)
{
  loom_autofree char *statedir = NULL;
  struct stat st;

  if (!loom_name_valid (name))
    return loom_error_make (err, EINVAL, "'%s' is not a valid lab name", name);
  statedir = loom_state_dir (name);
  if (stat (statedir, &st) < 0)
    return loom_error_make (err, 0, "no lab named '%s' is deployed", name);
  return loom_supervisor_kill (name, journal_supervisor_pid (statedir), err);
}

pid_t
loom_lab_supervisor_start (const char *name, const char *exe, loom_error_t *err)
{
  loom_autofree char *statedir = NULL;
  loom_autofree char *jpath = NULL;
  loom_autofree char *labdir = NULL;
  loom_autoclose int lockfd = -1;
  struct loom_journal j = { .fd = -1 };
  json_t *state, *req, *resp;
  loom_error_t e = NULL;
  pid_t pid;

  if (geteuid () != 0)
    return loom_error_make (err, EPERM, "starting a supervisor needs root");
  state = loom_lab_state_load (name, err);
  if (state == NULL)
    return -1;
  labdir = loom_xstrdup (json_string_value (json_object_get (state, "labdir")));
  json_decref (state);
  statedir = loom_state_dir (name);
  if (lock_lab (statedir, false, &lockfd, err) < 0)
    return -1;
  req = json_pack ("{s:s}", "cmd", "status");
  resp = loom_supervisor_call (name, req, &e);
  json_decref (req);
  loom_error_release (&e);
  if (resp)
    {
      json_decref (resp);
      return loom_error_make (err, EEXIST, "the supervisor of lab '%s' is already running", name);
    }
  /* A supervisor that hangs without answering is replaced, not joined. */
  loom_supervisor_kill (name, journal_supervisor_pid (statedir), NULL);
  jpath = loom_xasprintf ("%s/journal", statedir);
  if (loom_journal_open (&j, jpath, err) < 0)
    return -1;
  {
    loom_autofree char *logdir = loom_xasprintf ("%s/logs", labdir ? labdir : statedir);
    loom_autofree char *log = loom_xasprintf ("%s/supervisor.log", logdir);
    struct stat st;
    if (stat (logdir, &st) < 0
        && (loom_journal_add (&j, "dir", logdir, err) < 0 || loom_mkdir_p (logdir, 0755, err) < 0))
      {
        loom_journal_close (&j);
        return -1;
      }
    if (loom_journal_add (&j, "file", log, err) < 0)
      {
        loom_journal_close (&j);
        return -1;
      }
    pid = loom_supervisor_spawn (name, exe, j.fd, log, err);
  }
  loom_journal_close (&j);
  return pid;
}

int
loom_lab_cleanup_file (const char *lab_file, char **removed, loom_error_t *err)
{
  struct loom_diags diags = { 0 };
  struct loom_lab *lab = loom_topology_load (lab_file, &diags);
  loom_autofree char *dir = NULL;
  loom_autofree char *statedir = NULL;
  struct stat st;
  int r = 0;

  *removed = NULL;
  if (lab == NULL)
    {
      loom_autofree char *first = diags.n ? loom_diag_format (&diags.items[0]) : NULL;
      loom_error_make (err, 0, "cannot read lab file %s%s%s", lab_file, first ? ": " : "",
                       first ? first : "");
      loom_diags_clear (&diags);
      return -1;
    }
  loom_diags_clear (&diags);
  statedir = loom_state_dir (lab->name);
  dir = loom_xasprintf ("%s/netloom-%s", lab->dir, lab->name);
  if (stat (statedir, &st) == 0)
    r = loom_error_make (err, 0, "lab '%s' is deployed: destroy it", lab->name);
  else if (stat (dir, &st) == 0)
    {
      r = loom_rm_rf (dir, err);
      if (r == 0)
        *removed = loom_steal (&dir);
    }
  loom_lab_free (lab);
  return r;
}
