/* Changing a running lab: a link's cable pulled and put back, a node stopped and
 * started again. Both work on the lab's state (state.json), inside the nodes'
 * namespaces, and record what they did there, so inspect shows it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/log.h"
#include "core/netns.h"
#include "core/nl.h"
#include "core/state.h"
#include "core/supervisor.h"
#include "core/util.h"

static json_t *
find_node (json_t *state, const char *name)
{
  size_t i;
  json_t *n;
  json_array_foreach (json_object_get (state, "nodes"), i, n)
  {
    const char *nn = json_string_value (json_object_get (n, "name"));
    if (nn && strcmp (nn, name) == 0)
      return n;
  }
  return NULL;
}

static json_t *
find_iface (json_t *node, const char *ifname)
{
  size_t i;
  json_t *f;
  json_array_foreach (json_object_get (node, "interfaces"), i, f)
  {
    const char *fn = json_string_value (json_object_get (f, "name"));
    if (fn && strcmp (fn, ifname) == 0)
      return f;
  }
  return NULL;
}

/* Loads state.json for writing: takes the lab's lock (returned in *lockfd). */
static json_t *
state_open (const char *lab, int *lockfd, loom_error_t *err)
{
  loom_autofree char *dir = loom_state_dir (lab);
  loom_autofree char *lock = loom_xasprintf ("%s/lock", dir);
  loom_autofree char *path = loom_xasprintf ("%s/state.json", dir);
  json_t *state;

  if (geteuid () != 0)
    return loom_error_make (err, EPERM, "changing a lab needs root"), NULL;
  *lockfd = open (lock, O_RDWR | O_CLOEXEC);
  if (*lockfd < 0)
    return loom_error_make (err, 0, "no lab named '%s' is deployed", lab), NULL;
  if (flock (*lockfd, LOCK_EX) < 0)
    return loom_error_make (err, errno, "lock lab '%s'", lab), NULL;
  state = json_load_file (path, 0, NULL);
  if (state == NULL)
    loom_error_make (err, 0, "lab '%s' has no readable state", lab);
  return state;
}

static int
state_save (const char *lab, json_t *state, loom_error_t *err)
{
  loom_autofree char *path = loom_xasprintf ("%s/state.json", loom_state_dir (lab));
  return loom_json_write (path, state, err);
}

/* Waits until the kernel has acted on the carrier of a node's link ends that were just
 * set up (see loom_nl_wait_oper_up): a command that returns has a working link. With
 * timeout 0 it only makes the kernel act now. Returns the index of an end still not up
 * (its peer is down, or the kernel is late), or 0. */
static int
settle_ends (const char *ns, const int *ifindex, size_t n, double timeout)
{
  loom_autoclose int fd = loom_netns_open (ns, NULL);
  loom_error_t err = NULL;
  int down = 0;

  if (fd >= 0 && n > 0 && loom_nl_wait_oper_up (fd, ifindex, n, timeout, &down, &err) < 0)
    {
      loom_autofree char *text = loom_error_text (err);
      loom_log (LOOM_LOG_WARNING, "%s: %s", ns, text);
      loom_error_release (&err);
    }
  return down;
}

/* The node's routes from the lab file, again: those through an interface set down went
 * with it. */
static int
node_routes (json_t *n, struct nl_sock *sk, loom_error_t *err)
{
  json_t *r;
  size_t i;

  json_array_foreach (json_object_get (n, "routes"), i, r)
  {
    struct loom_route route;
    const char *why;
    int oif = 0;
    loom_error_t e = NULL;

    if (loom_route_parse (json_string_value (r), &route, &why) < 0)
      continue;
    if (route.dev)
      {
        json_t *f = find_iface (n, route.dev);
        oif = f ? (int) json_integer_value (json_object_get (f, "ifindex")) : 0;
      }
    /* Routes through a downed interface went with it; others may still be there. */
    if (loom_nl_route_add (sk, &route, oif, &e) < 0 && !strstr (e->msg, "exists"))
      {
        loom_error_move (err, &e);
        loom_route_clear (&route);
        return -1;
      }
    loom_error_release (&e);
    loom_route_clear (&route);
  }
  return 0;
}

static int
set_iface (json_t *state, const char *node, const char *ifname, bool up, loom_error_t *err)
{
  json_t *n = find_node (state, node);
  json_t *f = n ? find_iface (n, ifname) : NULL;
  struct nl_sock *sk;
  int r;

  if (f == NULL)
    return loom_error_make (err, 0, "no interface %s:%s", node, ifname);
  sk = loom_nl_open_in (json_string_value (json_object_get (n, "netns")), err);
  if (sk == NULL)
    return loom_error_wrap (err, "node %s", node);
  r = loom_nl_link_set_up (sk, (int) json_integer_value (json_object_get (f, "ifindex")), up, err);
  /* A cable put back brings back the routes that went when it was pulled. */
  if (r == 0 && up && !json_is_true (json_object_get (n, "stopped")))
    r = node_routes (n, sk, err);
  loom_nl_close (sk);
  return r;
}

/* A link end whose peer just came up: it reports up too, unless its node is stopped or
 * it is set down (a pulled cable). */
static void
settle_link_end (json_t *state, const char *node, const char *ifname)
{
  json_t *n = find_node (state, node);
  json_t *f = n ? find_iface (n, ifname) : NULL;
  int ifindex = (int) json_integer_value (json_object_get (f, "ifindex"));

  if (f && !json_is_true (json_object_get (n, "stopped"))
      && settle_ends (json_string_value (json_object_get (n, "netns")), &ifindex, 1, 2.0))
    loom_log (LOOM_LOG_WARNING, "%s:%s is not up yet after 2 s", node, ifname);
}

int
loom_lab_link_set (const char *lab, const char *endpoint, bool up, loom_error_t *err)
{
  loom_autoclose int lockfd = -1;
  loom_autofree char *ep = loom_xstrdup (endpoint);
  json_t *state = state_open (lab, &lockfd, err), *l;
  char *colon = strchr (ep, ':');
  size_t i;
  int r = -1;

  if (state == NULL)
    return -1;
  if (colon == NULL)
    {
      json_decref (state);
      return loom_error_make (err, EINVAL, "'%s' is not NODE:IF", endpoint);
    }
  *colon = '\0';
  json_array_foreach (json_object_get (state, "links"), i, l)
  {
    json_t *a = json_object_get (l, "a"), *z = json_object_get (l, "z");
    const char *an = json_string_value (json_object_get (a, "node"));
    const char *ai = json_string_value (json_object_get (a, "interface"));
    const char *zn = json_string_value (json_object_get (z, "node"));
    const char *zi = json_string_value (json_object_get (z, "interface"));

    if (!((strcmp (an, ep) == 0 && strcmp (ai, colon + 1) == 0)
          || (strcmp (zn, ep) == 0 && strcmp (zi, colon + 1) == 0)))
      continue;
    /* A pulled cable: both ends go down, so both sides see the carrier go. */
    r = set_iface (state, an, ai, up, err);
    if (r == 0)
      r = set_iface (state, zn, zi, up, err);
    if (r == 0 && up)
      {
        settle_link_end (state, an, ai);
        settle_link_end (state, zn, zi);
      }
    if (r == 0)
      {
        json_object_set_new (l, "state", json_string (up ? "up" : "down"));
        r = state_save (lab, state, err);
      }
    json_decref (state);
    return r;
  }
  json_decref (state);
  return loom_error_make (err, 0, "lab '%s' has no link at %s", lab, endpoint);
}

/* Ends every process whose network namespace is the node's (what a user started in it
 * with exec or shell): SIGTERM, then SIGKILL for the ones still there. */
static void
kill_node_processes (const char *ns)
{
  loom_autofree char *path = loom_xasprintf ("%s/%s", LOOM_NETNS_DIR, ns);
  struct stat want;
  int round;

  if (stat (path, &want) < 0)
    return;
  for (round = 0; round < 2; round++)
    {
      DIR *d = opendir ("/proc");
      struct dirent *de;
      int sent = 0;

      while (d && (de = readdir (d)))
        {
          char p[300];
          struct stat st;
          if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
          snprintf (p, sizeof p, "/proc/%s/ns/net", de->d_name);
          if (stat (p, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev)
            {
              int pidfd = syscall (SYS_pidfd_open, atoi (de->d_name), 0);
              kill (atoi (de->d_name), round == 0 ? SIGTERM : SIGKILL);
              sent++;
              if (pidfd >= 0)
                {
                  /* Bounded wait for it to go (pidfd: no polling of /proc). */
                  struct pollfd pf = { .fd = pidfd, .events = POLLIN };
                  poll (&pf, 1, round == 0 ? 2000 : 1000);
                  close (pidfd);
                }
            }
        }
      if (d)
        closedir (d);
      if (sent == 0)
        break;
    }
}

int
loom_lab_node_set (const char *lab, const char *node, bool start, loom_error_t *err)
{
  loom_autoclose int lockfd = -1;
  json_t *state = state_open (lab, &lockfd, err), *n, *f;
  struct nl_sock *sk = NULL;
  loom_autofree int *ends = NULL;
  const char *ns;
  size_t i, n_ends = 0;
  int r = 0;

  if (state == NULL)
    return -1;
  n = find_node (state, node);
  if (n == NULL)
    {
      json_decref (state);
      return loom_error_make (err, 0, "lab '%s' has no node '%s'", lab, node);
    }
  ns = json_string_value (json_object_get (n, "netns"));
  if (!start)
    {
      /* Routing daemons first (they withdraw cleanly), then whatever else runs. */
      if (json_object_get (n, "frr"))
        {
          json_t *req = json_pack ("{s:s, s:s}", "cmd", "stop-router", "node", node);
          json_decref (loom_supervisor_call (lab, req, NULL));
          json_decref (req);
        }
      /* Containers, VMs and the NAT node stop through the supervisor that owns them. */
      json_t *req = json_pack ("{s:s, s:s}", "cmd", "node-stop", "node", node);
      json_t *resp = loom_supervisor_call_timeout (lab, req, 60000, NULL);
      json_decref (req);
      json_decref (resp);
      kill_node_processes (ns);
    }
  sk = loom_nl_open_in (ns, err);
  if (sk == NULL)
    {
      json_decref (state);
      return loom_error_wrap (err, "node %s", node);
    }
  ends = loom_xcalloc (json_array_size (json_object_get (n, "interfaces")) + 1, sizeof *ends);
  json_array_foreach (json_object_get (n, "interfaces"), i, f)
  {
    if (json_is_null (json_object_get (f, "peer")) || r < 0)
      continue;
    ends[n_ends] = (int) json_integer_value (json_object_get (f, "ifindex"));
    r = loom_nl_link_set_up (sk, ends[n_ends++], start, err);
  }
  if (r == 0 && start)
    {
      /* Ours first (the kernel acts on them now), then the peers: their carrier came
       * back with ours, so each comes up unless its own node is stopped. */
      settle_ends (ns, ends, n_ends, 0);
      json_array_foreach (json_object_get (n, "interfaces"), i, f)
        {
          const char *peer = json_string_value (json_object_get (f, "peer"));
          const char *colon = peer ? strchr (peer, ':') : NULL;
          loom_autofree char *pnode = colon ? loom_xstrndup (peer, (size_t) (colon - peer)) : NULL;
          if (pnode)
            settle_link_end (state, pnode, colon + 1);
        }
    }
  if (r == 0 && start)
    r = node_routes (n, sk, err);
  loom_nl_close (sk);
  if (r == 0 && start)
    {
      json_t *req = json_pack ("{s:s, s:s}", "cmd", "node-start", "node", node);
      json_t *resp = loom_supervisor_call_timeout (lab, req, 300000, err);
      json_decref (req);
      if (resp == NULL)
        r = loom_error_wrap (err, "starting %s", node);
      else if (!json_is_true (json_object_get (resp, "ok")))
        r = loom_error_make (err, 0, "starting %s: %s", node,
                             json_string_value (json_object_get (resp, "error")));
      json_decref (resp);
    }
  if (r == 0 && start && json_object_get (n, "frr"))
    {
      json_t *req = json_pack ("{s:s, s:s}", "cmd", "start-router", "node", node);
      json_t *resp = loom_supervisor_call_timeout (lab, req, 60000, err);
      json_decref (req);
      if (resp == NULL)
        r = loom_error_wrap (err, "starting FRR on %s", node);
      else if (!json_is_true (json_object_get (resp, "ok")))
        r = loom_error_make (err, 0, "starting FRR on %s: %s", node,
                             json_string_value (json_object_get (resp, "error")));
      json_decref (resp);
    }
  if (r == 0)
    {
      json_object_set_new (n, "stopped", json_boolean (!start));
      r = state_save (lab, state, err);
    }
  json_decref (state);
  return r;
}

int
loom_lab_impair_set (const char *lab, const char *endpoint, const char *const *args, size_t n,
                     loom_error_t *err)
{
  loom_autoclose int lockfd = -1;
  loom_autofree char *ep = loom_xstrdup (endpoint);
  json_t *state = state_open (lab, &lockfd, err), *node, *iface, *req, *resp;
  char *colon = strchr (ep, ':');
  struct loom_impair p = { 0 };
  const char *why, *bad;
  char text[256];
  int r;

  if (state == NULL)
    return -1;
  if (colon)
    *colon = '\0';
  node = colon ? find_node (state, ep) : NULL;
  iface = node ? find_iface (node, colon + 1) : NULL;
  if (iface == NULL || json_is_null (json_object_get (iface, "peer")))
    {
      json_decref (state);
      return loom_error_make (err, 0, "lab '%s' has no link end %s", lab, endpoint);
    }
  /* set changes the given parameters and keeps the others (reset: n == 0). */
  if (n > 0)
    {
      const char *old = json_string_value (json_object_get (iface, "impair"));
      loom_autofree char *copy = loom_xstrdup (old ? old : "");
      char *olds[16], *save = NULL, *tok;
      size_t k = 0;
      for (tok = strtok_r (copy, " ", &save); tok && k < 16; tok = strtok_r (NULL, " ", &save))
        olds[k++] = tok;
      loom_impair_parse (&p, (const char *const *) olds, k, &why, &bad);
      if (loom_impair_parse (&p, args, n, &why, &bad) < 0)
        {
          json_decref (state);
          return loom_error_make (err, EINVAL, "'%s': expected %s", bad, why);
        }
      if (p.jitter_ns && !p.delay_ns)
        {
          json_decref (state);
          return loom_error_make (err, EINVAL, "jitter needs a delay");
        }
    }
  if (loom_impair_is_none (&p))
    json_object_del (iface, "impair");
  else
    {
      loom_impair_format (&p, text, sizeof text);
      json_object_set_new (iface, "impair", json_string (text));
    }
  r = state_save (lab, state, err);
  json_decref (state);
  if (r < 0)
    return -1;
  req = json_pack ("{s:s, s:s, s:s}", "cmd", "impair-apply", "node", ep, "interface", colon + 1);
  resp = loom_supervisor_call (lab, req, err);
  json_decref (req);
  if (resp == NULL)
    return loom_error_wrap (err, "saved, but not applied (it is, once the supervisor runs)");
  if (!json_is_true (json_object_get (resp, "ok")))
    r = loom_error_make (err, 0, "%s", json_string_value (json_object_get (resp, "error")));
  json_decref (resp);
  return r;
}
