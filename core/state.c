/* Lab state on disk: the state directory under the run root, state.json, listing labs,
 * and finding a lab by name or by the file it was deployed from. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "core/frr.h"
#include "core/image.h"
#include "core/lab.h"
#include "core/netns.h"
#include "core/node.h"
#include "core/state.h"
#include "core/supervisor.h"
#include "core/util.h"
#include "core/vm.h"

#define LOOM_NAT_NETWORK_DEFAULT "10.0.2.0/24"

const char *
loom_run_dir (void)
{
  const char *d = getenv ("NETLOOM_RUN_DIR");
  return d && *d ? d : LOOM_RUN_DIR_DEFAULT;
}

char *
loom_state_dir (const char *lab)
{
  return loom_xasprintf ("%s/%s", loom_run_dir (), lab);
}

char *
loom_node_netns_name (const struct loom_lab *lab, const struct loom_node *node)
{
  if (lab->prefix == NULL || lab->prefix[0] == '\0')
    return loom_xasprintf ("%s-%s", lab->name, node->name);
  return loom_xasprintf ("%s-%s-%s", lab->prefix, lab->name, node->name);
}

size_t
loom_lab_check_supported (const struct loom_lab *lab, struct loom_diags *diags)
{
  size_t i, j, n = 0;

  for (i = 0; i < lab->n_nodes; i++)
    {
      const struct loom_node *node = lab->nodes[i];
      const struct loom_device_ops *ops = loom_device_lookup (node->kind);

      if (ops == NULL || ops->needs)
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->kind_mark,
                          "node '%s': kind %s needs %s, which this version of netloom does "
                          "not have yet",
                          node->name, node->kind_written ? node->kind_written
                                                          : loom_kind_name (node->kind),
                          ops ? ops->needs : "an unknown device");
          n++;
        }
      /* A container's image must be in the store before anything is created. */
      if (node->kind == LOOM_KIND_CONTAINER && ops && !ops->needs && node->rootfs == NULL)
        {
          loom_error_t e = NULL;
          struct loom_image *img = NULL;
          if (node->image == NULL)
            loom_diags_add (diags, LOOM_DIAG_ERROR, &node->mark,
                            "node '%s': a container needs an image (image: busybox) or a "
                            "root file system directory (rootfs: DIR)",
                            node->name);
          else if ((img = loom_image_resolve (node->image, &e)) == NULL)
            {
              loom_autofree char *t = loom_error_text (e);
              loom_diags_add (diags, LOOM_DIAG_ERROR,
                              node->image_mark.line ? &node->image_mark : &node->mark,
                              "node '%s': %s", node->name, t);
            }
          n += img == NULL;
          loom_image_free (img);
          loom_error_release (&e);
        }
      if (node->frr && !loom_frr_available ())
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->frr->mark,
                          "node '%s' runs FRR, which is not installed (apt-get install frr)",
                          node->name);
          n++;
        }
      if (node->kind == LOOM_KIND_VM && node->n_sysctls)
        {
          loom_diags_add (diags, LOOM_DIAG_ERROR, &node->sysctls[0].mark,
                          "node '%s': sysctls of a VM are the guest's business (set them in "
                          "the guest)",
                          node->name);
          n++;
        }
      /* Only the network sysctls are per namespace; anything else would change the
       * host for everyone. */
      for (j = 0; j < node->n_sysctls; j++)
        if (strncmp (node->sysctls[j].key, "net.", 4) != 0)
          {
            loom_diags_add (diags, LOOM_DIAG_ERROR, &node->sysctls[j].mark,
                            "node '%s': sysctl '%s' is not per node: only net.* sysctls "
                            "can be set on a node",
                            node->name, node->sysctls[j].key);
            n++;
          }
    }
  n += loom_vm_check (lab, diags);
  return n;
}

static json_t *
kv_object (const struct loom_kv *kv, size_t n)
{
  json_t *o = json_object ();
  size_t i;
  for (i = 0; i < n; i++)
    json_object_set_new (o, kv[i].key, json_string (kv[i].value));
  return o;
}

static json_t *
strv_json (char *const *v, size_t n)
{
  json_t *a = json_array ();
  size_t i;
  for (i = 0; i < n; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

/* What the supervisor's container runtime needs to start a container node
 * (core/container.c). cmd and entrypoint are null when the file does not give them. */
static json_t *
container_json (const struct loom_node *node)
{
  json_t *c = json_object (), *binds = json_array (), *vols = json_array ();
  size_t i;

  json_object_set_new (c, "image",
                       node->rootfs || !node->image ? json_null () : json_string (node->image));
  json_object_set_new (c, "rootfs", node->rootfs ? json_string (node->rootfs) : json_null ());
  json_object_set_new (c, "cmd", node->has_cmd ? strv_json (node->cmd, node->n_cmd) : json_null ());
  json_object_set_new (c, "entrypoint",
                       node->has_entrypoint ? strv_json (node->entrypoint, node->n_entrypoint)
                                            : json_null ());
  json_object_set_new (c, "workdir", node->workdir ? json_string (node->workdir) : json_null ());
  json_object_set_new (c, "user", node->user ? json_string (node->user) : json_null ());
  json_object_set_new (c, "hostname", json_string (node->hostname ? node->hostname : node->name));
  for (i = 0; i < node->n_binds; i++)
    json_array_append_new (binds, json_pack ("{s:s, s:s, s:b}", "src", node->binds[i].src, "dst",
                                             node->binds[i].dst, "ro", node->binds[i].ro));
  json_object_set_new (c, "binds", binds);
  for (i = 0; i < node->n_volumes; i++)
    json_array_append_new (vols, json_pack ("{s:s, s:s, s:b}", "name", node->volumes[i].name, "dst",
                                            node->volumes[i].dst, "ro", node->volumes[i].ro));
  json_object_set_new (c, "volumes", vols);
  json_object_set_new (c, "cpu", json_real (node->cpu));
  json_object_set_new (c, "memory", json_integer ((json_int_t) node->memory));
  return c;
}

static void
format_mac (const uint8_t mac[6], char out[18])
{
  snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
            mac[5]);
}

static json_t *
endpoint_json (const struct loom_iface *iface)
{
  return json_pack ("{s:s, s:s}", "node", iface->node->name, "interface", iface->name);
}

/* The links as state.json lists them, with each link's capture directory name:
 * "<node>-<if>" of its first endpoint, with the link's index added on the rare clash
 * ("a-b"+"c" and "a"+"b-c"). */
static json_t *
links_json (const struct loom_lab *lab)
{
  json_t *links = json_array ();
  size_t i, k;

  for (i = 0; i < lab->n_links; i++)
    {
      const struct loom_link *link = lab->links[i];
      json_t *l = json_object ();
      json_object_set_new (l, "a", endpoint_json (link->a));
      json_object_set_new (l, "z", endpoint_json (link->b));
      if (link->mtu)
        json_object_set_new (l, "mtu", json_integer (link->mtu));
      json_object_set_new (l, "capture", json_boolean (link->capture));
      {
        char *name = loom_xasprintf ("%s-%s", link->a->node->name, link->a->name);
        for (k = 0; k < i; k++)
          if (strcmp (json_string_value (json_object_get (json_array_get (links, k),
                                                          "capture_name")),
                      name)
              == 0)
            {
              char *n2 = loom_xasprintf ("%s-%zu", name, i);
              free (name);
              name = n2;
              break;
            }
        json_object_set_new (l, "capture_name", json_string (name));
        free (name);
      }
      json_array_append_new (links, l);
    }
  return links;
}

/* Published ports and nat-node forwards as state.json lists them (the supervisor's
 * port proxy and slirp read them there; inspect shows them). */
static json_t *
ports_json (const struct loom_port *ports, size_t n)
{
  json_t *list = json_array ();
  size_t i;

  for (i = 0; i < n; i++)
    {
      const struct loom_port *p = &ports[i];
      json_t *o
          = json_pack ("{s:s, s:i, s:i, s:s}", "host", p->host_addr[0] ? p->host_addr : "127.0.0.1",
                       "host_port", (int) p->host_port, "port", (int) p->node_port, "proto",
                       p->proto == IPPROTO_UDP ? "udp" : "tcp");
      if (p->node_addr[0])
        json_object_set_new (o, "addr", json_string (p->node_addr));
      if (p->text)
        json_object_set_new (o, "text", json_string (p->text));
      json_array_append_new (list, o);
    }
  return list;
}

/* A nat node's network: slirp's addresses in it follow QEMU's user networking (gateway
 * .2, DNS .3, DHCP from .15). */
static json_t *
nat_json (const struct loom_node *node)
{
  const char *net = node->nat_network ? node->nat_network : LOOM_NAT_NETWORK_DEFAULT;
  struct loom_addr a;
  const char *why;
  json_t *o = json_pack ("{s:s}", "network", net);

  if (loom_addr_parse (net, true, &a, &why) == 0 && a.family == AF_INET)
    {
      static const struct
      {
        const char *key;
        uint32_t host;
      } at[] = { { "gateway", 2 }, { "dns", 3 }, { "dhcp_start", 15 } };
      size_t k;
      uint32_t base;
      memcpy (&base, a.bytes, 4);
      for (k = 0; k < sizeof at / sizeof at[0]; k++)
        {
          struct in_addr x = { htonl (ntohl (base) + at[k].host) };
          char buf[INET_ADDRSTRLEN];
          inet_ntop (AF_INET, &x, buf, sizeof buf);
          json_object_set_new (o, at[k].key, json_string (buf));
        }
    }
  json_object_set_new (o, "hostfwd", ports_json (node->hostfwd, node->n_hostfwd));
  return o;
}

json_t *
loom_state_build (const struct loom_lab *lab, const struct loom_node_rt *rt,
                  const char *file_abs, const char *labdir, const char *status)
{
  json_t *root = json_object (), *nodes = json_array (), *links = json_array ();
  char created[64];
  time_t now = time (NULL);
  struct tm tm;
  size_t i, j, k;

  gmtime_r (&now, &tm);
  strftime (created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_object_set_new (root, "name", json_string (lab->name));
  json_object_set_new (root, "type", json_string ("netloom"));
  json_object_set_new (root, "prefix", json_string (lab->prefix ? lab->prefix : ""));
  json_object_set_new (root, "file", json_string (file_abs));
  json_object_set_new (root, "labdir", json_string (labdir));
  json_object_set_new (root, "status", json_string (status));
  json_object_set_new (root, "created", json_string (created));
  json_object_set_new (root, "capture",
                       json_pack ("{s:b, s:i, s:I, s:I}", "enabled", lab->capture.enabled,
                                  "snaplen", (int) lab->capture.snaplen, "link_limit",
                                  (json_int_t) lab->capture.link_limit, "lab_limit",
                                  (json_int_t) lab->capture.lab_limit));

  for (i = 0; i < lab->n_nodes; i++)
    {
      const struct loom_node *node = lab->nodes[i];
      json_t *n = json_object (), *ifaces = json_array (), *exec = json_array ();

      json_object_set_new (n, "name", json_string (node->name));
      json_object_set_new (n, "kind", json_string (loom_kind_name (node->kind)));
      json_object_set_new (n, "netns", json_string (rt[i].netns));
      json_object_set_new (n, "group", node->group ? json_string (node->group) : json_null ());
      json_object_set_new (n, "image", node->image ? json_string (node->image) : json_null ());
      json_object_set_new (n, "labels", kv_object (node->labels, node->n_labels));
      json_object_set_new (n, "env", kv_object (node->env, node->n_env));
      for (j = 0; j < node->n_exec; j++)
        json_array_append_new (exec, json_string (node->exec[j]));
      json_object_set_new (n, "exec", exec);
      {
        /* Kept so that `netloom node start` can put them back. */
        json_t *routes = json_array ();
        for (j = 0; j < node->n_routes; j++)
          json_array_append_new (routes, json_string (node->routes[j].text));
        json_object_set_new (n, "routes", routes);
      }
      if (node->frr)
        {
          /* What the supervisor starts, and what `exec` binds so that plain vtysh
           * talks to this node's daemons. */
          loom_autofree char *conf = loom_frr_render (node);
          const char *names[LOOM_FRR_MAX_DAEMONS];
          size_t nd = loom_frr_daemons (conf, names), k2;
          json_t *daemons = json_array ();
          char *run = loom_xasprintf ("%s/%s", LOOM_FRR_RUN_ROOT, rt[i].netns);
          char *etc = loom_xasprintf ("%s/%s", LOOM_FRR_CONF_ROOT, rt[i].netns);
          for (k2 = 0; k2 < nd; k2++)
            json_array_append_new (daemons, json_string (names[k2]));
          json_object_set_new (n, "frr", json_pack ("{s:o, s:s, s:s}", "daemons", daemons,
                                                    "rundir", run, "confdir", etc));
          json_object_set_new (n, "binds", json_pack ("[[s,s],[s,s]]", run, LOOM_FRR_RUN_ROOT,
                                                       etc, LOOM_FRR_CONF_ROOT));
          free (run);
          free (etc);
        }
      if (node->kind == LOOM_KIND_CONTAINER)
        json_object_set_new (n, "container", container_json (node));
      if (node->n_ports)
        json_object_set_new (n, "ports", ports_json (node->ports, node->n_ports));
      if (node->kind == LOOM_KIND_NAT)
        json_object_set_new (n, "nat", nat_json (node));
      if (node->kind == LOOM_KIND_VM)
        {
          /* The addresses and routes are the guest's (its kernel command line): the
           * node's namespace holds only wire ends, so `node start` puts no routes
           * there. */
          json_object_set_new (n, "vm", loom_vm_state (&rt[i]));
          json_object_set_new (n, "routes", json_array ());
        }
      if (node->has_position)
        json_object_set_new (n, "position", json_pack ("{s:f, s:f}", "x", node->x, "y", node->y));
      for (j = 0; j < node->n_ifaces; j++)
        {
          const struct loom_iface *iface = node->ifaces[j];
          json_t *jf = json_object (), *v4 = json_array (), *v6 = json_array ();
          char mac[18];

          json_object_set_new (jf, "name", json_string (iface->name));
          json_object_set_new (jf, "ifindex", json_integer (rt[i].ifindex[j]));
          if (iface->link)
            {
              const struct loom_iface *peer
                  = iface->link->a == iface ? iface->link->b : iface->link->a;
              loom_autofree char *p = loom_xasprintf ("%s:%s", peer->node->name, peer->name);
              format_mac (rt[i].mac[j], mac);
              json_object_set_new (jf, "mac", json_string (mac));
              json_object_set_new (jf, "peer", json_string (p));
            }
          else
            json_object_set_new (jf, "peer", json_null ());
          json_object_set_new (jf, "mtu", json_integer (iface->mtu ? iface->mtu
                                                        : iface->link && iface->link->mtu
                                                            ? iface->link->mtu
                                                            : 1500));
          for (k = 0; k < iface->n_addrs; k++)
            json_array_append_new (iface->addrs[k].family == AF_INET ? v4 : v6,
                                   json_string (iface->addrs[k].text));
          json_object_set_new (jf, "ipv4", v4);
          json_object_set_new (jf, "ipv6", v6);
          if (!loom_impair_is_none (&iface->impair))
            {
              char text[256];
              loom_impair_format (&iface->impair, text, sizeof text);
              json_object_set_new (jf, "impair", json_string (text));
            }
          if (iface->vlan)
            json_object_set_new (jf, "vlan", json_integer (iface->vlan));
          if (iface->n_trunk)
            {
              json_t *t = json_array ();
              for (k = 0; k < iface->n_trunk; k++)
                json_array_append_new (t, json_integer (iface->trunk[k]));
              json_object_set_new (jf, "trunk", t);
            }
          json_array_append_new (ifaces, jf);
        }
      json_object_set_new (n, "interfaces", ifaces);
      json_array_append_new (nodes, n);
    }
  json_object_set_new (root, "nodes", nodes);

  json_decref (links);
  links = links_json (lab);
  json_object_set_new (root, "links", links);
  return root;
}

int
loom_json_write (const char *path, json_t *obj, loom_error_t *err)
{
  loom_autofree char *tmp = loom_xasprintf ("%s.tmp", path);
  loom_autofree char *text = json_dumps (obj, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  size_t len;

  if (text == NULL)
    return loom_error_make (err, ENOMEM, "encode %s", path);
  len = strlen (text);
  text = loom_xrealloc (text, len + 2);
  text[len++] = '\n';
  text[len] = '\0';
  if (loom_write_file (tmp, text, len, err) < 0)
    return -1;
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return loom_error_make (err, e, "rename %s", path);
    }
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
loom_lab_list (char ***names, loom_error_t *err)
{
  DIR *d = opendir (loom_run_dir ());
  struct dirent *de;
  char **v = NULL;
  size_t n = 0;

  if (d == NULL)
    {
      if (errno != ENOENT)
        return loom_error_make (err, errno, "open %s", loom_run_dir ());
      *names = loom_xcalloc (1, sizeof (char *));
      return 0;
    }
  while ((de = readdir (d)))
    if (de->d_name[0] != '.' && loom_name_valid (de->d_name))
      {
        struct stat st;
        loom_autofree char *p = loom_state_dir (de->d_name);
        if (stat (p, &st) == 0 && S_ISDIR (st.st_mode))
          LOOM_PUSH (v, n, loom_xstrdup (de->d_name));
      }
  closedir (d);
  if (n > 1)
    qsort (v, n, sizeof *v, cmp_str);
  LOOM_PUSH (v, n, NULL);
  *names = v;
  return 0;
}

/* True when somebody holds the lab's lock (a deploy or destroy is running). */
static bool
lab_busy (const char *statedir)
{
  loom_autofree char *lock = loom_xasprintf ("%s/lock", statedir);
  loom_autoclose int fd = open (lock, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return false;
  if (flock (fd, LOCK_EX | LOCK_NB) == 0)
    {
      flock (fd, LOCK_UN);
      return false;
    }
  return errno == EWOULDBLOCK;
}

json_t *
loom_lab_state_load (const char *name, loom_error_t *err)
{
  loom_autofree char *dir = loom_state_dir (name);
  loom_autofree char *path = loom_xasprintf ("%s/state.json", dir);
  json_t *root, *nodes, *node;
  json_error_t jerr;
  const char *status;
  size_t i, missing = 0;
  struct stat st;

  if (!loom_name_valid (name) || stat (dir, &st) < 0)
    {
      loom_error_make (err, 0, "no lab named '%s' is deployed", name);
      return NULL;
    }
  root = json_load_file (path, 0, &jerr);
  if (root == NULL)
    {
      /* A deploy killed before it wrote any state: only destroy makes sense. */
      root = json_pack ("{s:s, s:s, s:[], s:[]}", "name", name, "status",
                        lab_busy (dir) ? "deploying" : "failed", "nodes", "links");
      return root;
    }
  nodes = json_object_get (root, "nodes");
  json_array_foreach (nodes, i, node)
  {
    const char *ns = json_string_value (json_object_get (node, "netns"));
    bool up = ns && loom_netns_exists (ns);
    json_object_set_new (node, "state", json_string (up ? "running" : "missing"));
    if (!up)
      missing++;
  }
  {
    loom_error_t e = NULL;
    json_t *req = json_pack ("{s:s}", "cmd", "status");
    json_t *sup = loom_supervisor_call (name, req, &e);
    json_decref (req);
    if (sup && json_is_true (json_object_get (sup, "ok")))
      {
        json_object_del (sup, "ok");
        json_object_set_new (sup, "state", json_string ("running"));
      }
    else
      {
        json_decref (sup);
        sup = json_pack ("{s:s}", "state", "not running");
      }
    loom_error_release (&e);
    /* Containers: the state of their process tree, as the supervisor sees it. */
    json_array_foreach (nodes, i, node)
      {
        json_t *pst = json_object_get (json_object_get (sup, "containers"),
                                       json_string_value (json_object_get (node, "name")));
        const char *ps = json_string_value (json_object_get (pst, "state"));
        if (json_object_get (node, "container") == NULL
            || strcmp (json_string_value (json_object_get (node, "state")), "running") != 0)
          continue;
        if (pst == NULL)
          json_object_set_new (node, "state", json_string ("down (no supervisor)"));
        else
          {
            json_object_set (node, "process", pst);
            if (ps && strcmp (ps, "exited") == 0)
              json_object_set_new (
                  node, "state",
                  json_sprintf ("exited %d",
                                (int) json_integer_value (json_object_get (pst, "exit_code"))));
            else if (ps)
              json_object_set_new (node, "state", json_string (ps));
          }
      }
    json_object_set_new (root, "supervisor", sup);
  }
  status = json_string_value (json_object_get (root, "status"));
  if (status && strcmp (status, "deploying") == 0)
    status = lab_busy (dir) ? "deploying" : "failed";
  else if (missing)
    status = "degraded";
  else
    status = "running";
  json_object_set_new (root, "status", json_string (status));
  return root;
}

char *
loom_lab_resolve (const char *arg, loom_error_t *err)
{
  char real[PATH_MAX];
  struct stat st;
  char **names = NULL;
  char *found = NULL;
  size_t i;

  if (loom_name_valid (arg) && strchr (arg, '/') == NULL)
    {
      loom_autofree char *dir = loom_state_dir (arg);
      if (stat (dir, &st) == 0)
        return loom_xstrdup (arg);
    }
  if (stat (arg, &st) == 0 && S_ISREG (st.st_mode) && realpath (arg, real))
    {
      if (loom_lab_list (&names, err) < 0)
        return NULL;
      for (i = 0; names[i] && !found; i++)
        {
          loom_autofree char *p = loom_xasprintf ("%s/%s/state.json", loom_run_dir (), names[i]);
          json_t *root = json_load_file (p, 0, NULL);
          const char *file = json_string_value (json_object_get (root, "file"));
          if (file && strcmp (file, real) == 0)
            found = loom_xstrdup (names[i]);
          json_decref (root);
        }
      for (i = 0; names[i]; i++)
        free (names[i]);
      free (names);
      if (found)
        return found;
      /* Not deployed from this path: fall back to the name written in the file. */
      {
        struct loom_diags diags = { 0 };
        struct loom_lab *lab = loom_topology_load (arg, &diags);
        loom_diags_clear (&diags);
        if (lab)
          {
            loom_autofree char *dir = loom_state_dir (lab->name);
            if (stat (dir, &st) == 0)
              found = loom_xstrdup (lab->name);
            else
              loom_error_make (err, 0, "lab '%s' (from %s) is not deployed", lab->name, arg);
            loom_lab_free (lab);
            return found;
          }
      }
      loom_error_make (err, 0, "no deployed lab was deployed from %s", arg);
      return NULL;
    }
  loom_error_make (err, 0, "no lab named '%s' is deployed", arg);
  return NULL;
}

json_t *
loom_lab_state_from_file (const char *lab_file, loom_error_t *err)
{
  struct loom_diags diags = { 0 };
  struct loom_lab *lab = loom_topology_load (lab_file, &diags);
  json_t *root;
  char *labdir;

  if (lab == NULL)
    {
      loom_autofree char *first = diags.n ? loom_diag_format (&diags.items[0]) : NULL;
      loom_error_make (err, 0, "cannot read lab file %s%s%s", lab_file, first ? ": " : "",
                       first ? first : "");
      loom_diags_clear (&diags);
      return NULL;
    }
  loom_diags_clear (&diags);
  labdir = loom_xasprintf ("%s/netloom-%s", lab->dir, lab->name);
  root = json_pack ("{s:s, s:s, s:{s:i}, s:o}", "name", lab->name, "labdir", labdir, "capture",
                    "snaplen", (int) lab->capture.snaplen, "links", links_json (lab));
  free (labdir);
  loom_lab_free (lab);
  return root;
}
