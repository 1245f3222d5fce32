/* The lab-file parser: reads a lab file (a superset of containerlab's .clab.yml) with
 * libyaml's document API, so every value keeps its line and column, and turns it into
 * the model of model.h. It works in three passes: read every settings block (defaults,
 * kinds, groups, nodes) into a `struct level`, checking each value where it is written;
 * build the nodes and the links; then resolve each node's settings through its chain
 * node -> group -> kinds.<kind> -> defaults and check what only makes sense once the
 * node's kind and interfaces are known. Every problem becomes a diagnostic and the walk
 * goes on, so one run reports all of a file's errors. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <yaml.h>

#include "core/util.h"
#include "topology/model.h"
#include "topology/nodeopts.h"

/* How specific a settings block is; a node's chain is ordered by it. R_LINK is a link's
 * endpoint, which is as specific as the node's own interfaces entry. */
enum rank
{
  R_LINK,
  R_NODE,
  R_GROUP,
  R_KIND,
  R_DEFAULTS,
};

enum field
{
  F_KIND,
  F_GROUP,
  F_IMAGE,
  F_EXEC,
  F_ENV,
  F_LABELS,
  F_SYSCTLS,
  F_ROUTES,
  F_VLAN_FILTERING,
  F_STP,
  F_POSITION,
  F_INTERFACES,
  F_CAPTURE,
  F_FRR_CONFIG,
  F_OSPF,
  F_BGP,
  F_RIP,
  F_ROOTFS,
  F_CMD,
  F_ENTRYPOINT,
  F_ENV_FILES,
  F_WORKDIR,
  F_USER,
  F_HOSTNAME,
  F_BINDS,
  F_VOLUMES,
  F_CPU,
  F_MEMORY,
  F_PORTS,
  F_KERNEL,
  F_INITRD,
  F_APPEND,
  F_CPUS,
  F_ACCEL,
  F_HOSTFWD,
  F_NETWORK,
  F__COUNT
};

enum ifield
{
  I_IPV4,
  I_IPV6,
  I_MAC,
  I_MTU,
  I_VLAN,
  I_TRUNK,
  I_IMPAIR, /* merges key by key (resolve_impair), not whole like the fields above */
  I__COUNT
};

#define AT_DEFAULTS (1u << R_DEFAULTS)
#define AT_KINDS (1u << R_KIND)
#define AT_GROUPS (1u << R_GROUP)
#define AT_NODES (1u << R_NODE)
#define AT_ALL (AT_DEFAULTS | AT_KINDS | AT_GROUPS | AT_NODES)

static const struct
{
  const char *key;
  enum field field;
  unsigned where;
} node_keys[] = {
  { "kind", F_KIND, AT_DEFAULTS | AT_GROUPS | AT_NODES },
  { "group", F_GROUP, AT_NODES },
  { "image", F_IMAGE, AT_ALL },
  { "exec", F_EXEC, AT_ALL },
  { "env", F_ENV, AT_ALL },
  { "labels", F_LABELS, AT_ALL },
  { "sysctls", F_SYSCTLS, AT_ALL },
  { "routes", F_ROUTES, AT_ALL },
  { "vlan-filtering", F_VLAN_FILTERING, AT_ALL },
  { "stp", F_STP, AT_ALL },
  { "position", F_POSITION, AT_NODES },
  { "interfaces", F_INTERFACES, AT_ALL },
  { "capture", F_CAPTURE, AT_ALL },
  { "frr-config", F_FRR_CONFIG, AT_ALL },
  { "ospf", F_OSPF, AT_ALL },
  { "bgp", F_BGP, AT_ALL },
  { "rip", F_RIP, AT_ALL },
  { "rootfs", F_ROOTFS, AT_ALL },
  { "cmd", F_CMD, AT_ALL },
  { "entrypoint", F_ENTRYPOINT, AT_ALL },
  { "env-files", F_ENV_FILES, AT_ALL },
  { "workdir", F_WORKDIR, AT_ALL },
  { "user", F_USER, AT_ALL },
  { "hostname", F_HOSTNAME, AT_ALL },
  { "binds", F_BINDS, AT_ALL },
  { "volumes", F_VOLUMES, AT_ALL },
  { "cpu", F_CPU, AT_ALL },
  { "memory", F_MEMORY, AT_ALL },
  { "ports", F_PORTS, AT_ALL },
  { "kernel", F_KERNEL, AT_ALL },
  { "initrd", F_INITRD, AT_ALL },
  { "append", F_APPEND, AT_ALL },
  { "cpus", F_CPUS, AT_ALL },
  { "accel", F_ACCEL, AT_ALL },
  { "hostfwd", F_HOSTFWD, AT_ALL },
  { "network", F_NETWORK, AT_ALL },
};

#define KB(k) (1u << LOOM_KIND_##k)
/* Settings that only some kinds have (the bridge and router ones are in fits_kind()). */
static const struct
{
  const char *key;
  unsigned kinds;
} kind_keys[] = {
  { "image", KB (CONTAINER) | KB (VM) },
  { "rootfs", KB (CONTAINER) },
  { "cmd", KB (CONTAINER) },
  { "entrypoint", KB (CONTAINER) },
  { "workdir", KB (CONTAINER) },
  { "user", KB (CONTAINER) },
  { "hostname", KB (CONTAINER) },
  { "binds", KB (CONTAINER) },
  { "volumes", KB (CONTAINER) },
  { "cpu", KB (CONTAINER) },
  { "memory", KB (CONTAINER) | KB (VM) },
  { "ports", KB (HOST) | KB (ROUTER) | KB (CONTAINER) | KB (VM) },
  { "kernel", KB (VM) },
  { "initrd", KB (VM) },
  { "append", KB (VM) },
  { "cpus", KB (VM) },
  { "accel", KB (VM) },
  { "hostfwd", KB (NAT) },
  { "network", KB (NAT) },
};
#define N_NODE_KEYS (sizeof (node_keys) / sizeof (node_keys[0]))

static const char *const if_keys[I__COUNT]
    = { "ipv4", "ipv6", "mac", "mtu", "vlan", "trunk", "impair" };

/* The keys of an `impair` mapping, as loom_impair_set() knows them. */
static const char *const impair_keys[]
    = { "delay", "jitter", "loss", "duplicate", "corrupt", "reorder", "rate" };
#define N_IMPAIR (sizeof (impair_keys) / sizeof (impair_keys[0]))

/* containerlab node settings netloom accepts but does not implement yet: a lab written
 * for containerlab still loads, with one warning per key. */
static const char *const clab_node_keys[] = {
  "startup-config", "startup-delay", "enforce-startup-config", "suppress-startup-config",
  "license",        "mgmt-ipv4",     "mgmt-ipv6",              "healthcheck",
  "dns",            "stages",        "network-mode",           "publish",
  "cpu-set",        "sandbox",       "runtime",                "type",
  "extras",         "wait-for",      "config",                 "aliases",
  "certificate",    "shm-size",      "devices",                "cap-add",
  "restart-policy", "auto-remove",   "components",             "image-pull-policy",
};

/* A string borrowed from the YAML document, with where it was written. */
struct sval
{
  const char *s;
  struct loom_mark mark;
};

struct skv
{
  const char *key;
  const char *value;
  struct loom_mark mark;
};

/* One `impair` mapping: each key's text as written (checked, borrowed from the document;
 * NULL when the key is not there), so that the places an end's impairment comes from can
 * be merged key by key. */
struct impset
{
  const char *text[N_IMPAIR];
  struct loom_mark kmark[N_IMPAIR], vmark[N_IMPAIR];
};

/* Interface settings from one place: an `interfaces` entry or a link endpoint. */
struct ifset
{
  const char *name;
  struct loom_mark mark;
  bool has[I__COUNT];
  struct loom_mark fmark[I__COUNT];
  struct loom_addr *addrs[2]; /* [0] ipv4, [1] ipv6 */
  size_t n_addrs[2];
  uint8_t mac[6];
  int mtu, vlan;
  int *trunk;
  size_t n_trunk;
  struct impset impair;
};

/* The structured FRR forms as one block writes them. Each field is taken by a node from
 * the most specific block that sets it, so kinds.router can set the OSPF area and each
 * node its own router-id. */
struct ospf_set
{
  bool has_area, has_rid, has_ifaces, has_passive;
  char area[16]; /* "0" .. "4294967295" or a dotted quad */
  const char *rid;
  struct sval *ifaces, *passive;
  size_t n_ifaces, n_passive;
};

struct bgp_set
{
  bool has_asn, has_rid, has_neighbors, has_networks;
  bool asn_written; /* even when invalid (and reported): the node does not lack one */
  uint32_t asn;
  const char *rid;
  struct loom_bgp_neighbor *neighbors;
  size_t n_neighbors;
  struct loom_addr *networks;
  size_t n_networks;
};

struct rip_set
{
  bool has_networks;
  struct sval *networks; /* IPv4 prefixes (with a '/') and interface names (without) */
  size_t n_networks;
};

/* One settings block: defaults, kinds.<k>, groups.<g> or nodes.<n>. */
struct level
{
  enum rank rank;
  const char *name;
  char *where; /* "nodes.h1", for messages */
  struct loom_mark mark;
  bool has[F__COUNT];
  bool bad[F__COUNT]; /* written but invalid (already reported) */
  struct loom_mark fmark[F__COUNT];
  int kind;
  const char *kind_text;
  const char *group;
  const char *image;
  struct sval *exec;
  size_t n_exec;
  struct skv *kv[3]; /* env, labels, sysctls */
  size_t n_kv[3];
  struct loom_route *routes;
  size_t n_routes;
  bool vlan_filtering, stp, capture;
  double x, y;
  struct ifset *ifs;
  size_t n_ifs;
  char *frr_config;      /* owned: the inline text or the file's content */
  char *frr_config_path; /* owned: the file it was read from; NULL for inline text */
  struct ospf_set ospf;
  struct bgp_set bgp;
  struct rip_set rip;
  /* containers, VMs, nat, ports; paths are absolute and owned, other strings borrowed */
  char *rootfs;
  char **argv[2]; /* cmd, entrypoint */
  size_t n_argv[2];
  struct loom_kv *envf; /* the env files' variables, in order (owned) */
  size_t n_envf;
  const char *workdir, *user, *hostname, *append, *accel;
  struct loom_bind *binds;
  size_t n_binds;
  struct loom_volume *volumes;
  size_t n_volumes;
  double cpu;
  uint64_t memory;
  struct loom_port *ports[2]; /* ports, hostfwd */
  size_t n_ports[2];
  char *kernel, *initrd;
  int cpus;
  struct loom_addr network;
};

/* Parse-time companion of each model node. */
struct nctx
{
  struct level *lv;
  struct level *chain[4];
  size_t n_chain;
  bool kind_ok; /* false when the kind is unknown: kind-dependent checks are skipped */
};

/* Parse-time companion of each interface a link endpoint created. */
struct ifctx
{
  struct loom_iface *iface;
  size_t node;
  struct ifset ep;
  struct impset link_impair; /* the link's own `impair`, for both of its ends */
  struct loom_mark lone_jitter; /* where a jitter without a delay came from; line 0: none */
};

struct pstate
{
  yaml_document_t *doc;
  struct loom_diags *diags;
  struct loom_lab *lab;
  const yaml_node_pair_t **dups; /* later copies of a repeated key, sorted; ignored */
  size_t n_dups;
  const char **warned; /* containerlab keys already warned about */
  size_t n_warned;
  yaml_node_t *nodes_map;

  struct level defaults;
  struct level kinds[LOOM_KIND__COUNT];
  bool has_kind_level[LOOM_KIND__COUNT];
  struct level *groups;
  size_t n_groups;
  struct level *nodes;
  size_t n_nodes;

  struct nctx *nctx; /* parallel to lab->nodes */
  struct ifctx *ifc;
  size_t n_ifc;
  /* "node:ifname" of the good endpoints of links that failed: their interfaces entries
   * are not "on no link", the link is just broken (and already reported). */
  char **half_linked;
  size_t n_half_linked;

  /* node name -> index in lab->nodes, or -1 for a name that was invalid */
  const char **hkeys;
  int *hvals;
  size_t hcap, hcount;
};

/* Diagnostics and small YAML helpers */

static struct loom_mark
mk (struct pstate *ps, const yaml_node_t *n)
{
  struct loom_mark m = { ps->lab->file, 0, 0 };
  if (n)
    {
      m.line = (int) n->start_mark.line + 1;
      m.col = (int) n->start_mark.column + 1;
    }
  return m;
}

static void __attribute__ ((format (printf, 4, 5)))
diag_at (struct pstate *ps, enum loom_severity sev, const struct loom_mark *m, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  loom_diags_add (ps->diags, sev, m, "%s", msg);
  free (msg);
}

#define ERR_M(ps, m, ...) diag_at ((ps), LOOM_DIAG_ERROR, (m), __VA_ARGS__)
#define ERR(ps, n, ...)                                                                       \
  do                                                                                          \
    {                                                                                         \
      struct loom_mark _m = mk ((ps), (n));                                                   \
      diag_at ((ps), LOOM_DIAG_ERROR, &_m, __VA_ARGS__);                                      \
    }                                                                                         \
  while (0)

static yaml_node_t *
ynode (struct pstate *ps, int index)
{
  return yaml_document_get_node (ps->doc, index);
}

static const char *
scalar (const yaml_node_t *n)
{
  return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

static bool
is_null (const yaml_node_t *n)
{
  const char *s;

  if (n == NULL)
    return true;
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return false;
  s = scalar (n);
  return *s == '\0' || strcmp (s, "~") == 0 || strcmp (s, "null") == 0
         || strcmp (s, "Null") == 0 || strcmp (s, "NULL") == 0;
}

/* What a value is, for "expected X, found Y"; points into @buf or a literal. */
static const char *
found (const yaml_node_t *n, char *buf, size_t size)
{
  const char *s;

  if (is_null (n))
    return "nothing";
  if (n->type == YAML_MAPPING_NODE)
    return "a mapping";
  if (n->type == YAML_SEQUENCE_NODE)
    return "a list";
  if ((s = scalar (n)) == NULL)
    return "an unknown node";
  if (strlen (s) > 40)
    snprintf (buf, size, "'%.37s...'", s);
  else
    snprintf (buf, size, "'%s'", s);
  /* A block scalar's newlines would break the one-line diagnostic. */
  for (char *p = buf; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return buf;
}

#define FOUND(n) found ((n), (char[64]){ 0 }, 64)

/* A scalar's text, or NULL (reported) when @n is not a usable string. */
static const char *
get_string (struct pstate *ps, yaml_node_t *n, const char *key)
{
  const char *s = scalar (n);

  if (s == NULL || is_null (n))
    {
      ERR (ps, n, "expected a string for '%s', found %s", key, FOUND (n));
      return NULL;
    }
  if (strlen (s) != n->data.scalar.length)
    {
      ERR (ps, n, "expected a string for '%s' without NUL characters", key);
      return NULL;
    }
  return s;
}

static bool
get_int (struct pstate *ps, yaml_node_t *n, const char *key, long lo, long hi,
         const char *expected, int *out)
{
  const char *s = scalar (n);
  char *end;
  long v;

  if (s && !is_null (n) && (isdigit ((unsigned char) s[0]) || s[0] == '-' || s[0] == '+'))
    {
      errno = 0;
      v = strtol (s, &end, 10);
      if (errno == 0 && *end == '\0' && v >= lo && v <= hi)
        {
          *out = (int) v;
          return true;
        }
    }
  ERR (ps, n, "expected %s for '%s', found %s", expected, key, FOUND (n));
  return false;
}

/* A boolean as YAML 1.1 writes it; false (nothing reported) for anything else. */
static bool
scalar_bool (const yaml_node_t *n, bool *out)
{
  static const char *const yes[] = { "true", "yes", "on" };
  static const char *const no[] = { "false", "no", "off" };
  const char *s = scalar (n);
  size_t i;

  for (i = 0; s && i < 3; i++)
    {
      if (strcasecmp (s, yes[i]) == 0)
        return *out = true, true;
      if (strcasecmp (s, no[i]) == 0)
        return *out = false, true;
    }
  return false;
}

static bool
get_bool (struct pstate *ps, yaml_node_t *n, const char *key, bool *out)
{
  if (scalar_bool (n, out))
    return true;
  ERR (ps, n, "expected true or false for '%s', found %s", key, FOUND (n));
  return false;
}

static bool
get_number (struct pstate *ps, yaml_node_t *n, const char *key, double *out)
{
  const char *s = scalar (n);
  char *end;
  double v;

  if (s && !is_null (n))
    {
      v = strtod (s, &end);
      if (end != s && *end == '\0' && isfinite (v))
        {
          *out = v;
          return true;
        }
    }
  ERR (ps, n, "expected a number for '%s', found %s", key, FOUND (n));
  return false;
}

static int
pair_ptr_cmp (const void *a, const void *b)
{
  const yaml_node_pair_t *x = *(const yaml_node_pair_t *const *) a;
  const yaml_node_pair_t *y = *(const yaml_node_pair_t *const *) b;
  return x < y ? -1 : x > y;
}

static bool
is_dup (struct pstate *ps, const yaml_node_pair_t *p)
{
  return ps->n_dups
         && bsearch (&p, ps->dups, ps->n_dups, sizeof (*ps->dups), pair_ptr_cmp) != NULL;
}

/* The pairs of a mapping as the walk sees them: string keys only, the first of repeated
 * keys only (repeats are reported once, by check_keys), and YAML merge keys ("<<: *x")
 * expanded, explicit keys winning. */
struct pair
{
  const char *key;
  yaml_node_t *knode, *vnode;
};

static bool
pairs_have (const struct pair *p, size_t n, const char *key)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (p[i].key, key) == 0)
      return true;
  return false;
}

static void
collect_pairs (struct pstate *ps, yaml_node_t *map, struct pair **out, size_t *n, int depth)
{
  yaml_node_pair_t *p;
  struct pair pr;

  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = ynode (ps, p->key);
      if (scalar (k) == NULL || is_dup (ps, p) || strcmp (scalar (k), "<<") == 0)
        continue;
      if (depth > 0 && pairs_have (*out, *n, scalar (k)))
        continue;
      pr.key = scalar (k);
      pr.knode = k;
      pr.vnode = ynode (ps, p->value);
      LOOM_PUSH (*out, *n, pr);
    }
  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = ynode (ps, p->key), *v = ynode (ps, p->value);
      if (scalar (k) == NULL || is_dup (ps, p) || strcmp (scalar (k), "<<") != 0)
        continue;
      if (depth >= 8)
        {
          ERR (ps, k, "merge keys ('<<') nest too deeply (or refer to themselves)");
          continue;
        }
      if (v && v->type == YAML_MAPPING_NODE)
        collect_pairs (ps, v, out, n, depth + 1);
      else if (v && v->type == YAML_SEQUENCE_NODE)
        {
          yaml_node_item_t *it;
          for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
            {
              yaml_node_t *e = ynode (ps, *it);
              if (e && e->type == YAML_MAPPING_NODE)
                collect_pairs (ps, e, out, n, depth + 1);
              else
                ERR (ps, e, "expected a mapping to merge with '<<', found %s", FOUND (e));
            }
        }
      else
        ERR (ps, v, "expected a mapping or a list of mappings to merge with '<<', found %s",
             FOUND (v));
    }
}

static size_t
map_pairs (struct pstate *ps, yaml_node_t *map, struct pair **out)
{
  size_t n = 0;

  *out = NULL;
  if (map && map->type == YAML_MAPPING_NODE)
    collect_pairs (ps, map, out, &n, 0);
  return n;
}

static size_t
seq_len (const yaml_node_t *n)
{
  return n->data.sequence.items.top - n->data.sequence.items.start;
}

static yaml_node_t *
seq_at (struct pstate *ps, const yaml_node_t *n, size_t i)
{
  return ynode (ps, n->data.sequence.items.start[i]);
}

/* Duplicate keys: libyaml keeps them, so one pass over every mapping in the document
 * reports each repeat (once, even when the mapping is reached through aliases). */
struct keyref
{
  const char *key;
  size_t len;
  yaml_node_pair_t *pair;
  yaml_node_t *knode;
};

static int
keyref_cmp (const void *a, const void *b)
{
  const struct keyref *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp (x->key, y->key, n);

  if (c)
    return c;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return x->pair < y->pair ? -1 : x->pair > y->pair;
}

static void
check_keys (struct pstate *ps)
{
  yaml_node_t *n;

  for (n = ps->doc->nodes.start; n < ps->doc->nodes.top; n++)
    {
      yaml_node_pair_t *p;
      struct keyref *refs = NULL;
      size_t nrefs = 0, i, first = 0;

      if (n->type != YAML_MAPPING_NODE)
        continue;
      for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
        {
          yaml_node_t *k = ynode (ps, p->key);
          struct keyref r;
          if (scalar (k) == NULL)
            {
              ERR (ps, k, "expected a plain string as a key, found %s", FOUND (k));
              continue;
            }
          r.key = scalar (k);
          r.len = k->data.scalar.length;
          r.pair = p;
          r.knode = k;
          LOOM_PUSH (refs, nrefs, r);
        }
      if (nrefs > 1)
        qsort (refs, nrefs, sizeof (*refs), keyref_cmp);
      for (i = 1; i < nrefs; i++)
        {
          if (refs[i].len != refs[first].len || memcmp (refs[i].key, refs[first].key, refs[i].len))
            {
              first = i;
              continue;
            }
          if (n == ps->nodes_map)
            ERR (ps, refs[i].knode, "node '%s' is defined twice (first at line %d)", refs[i].key,
                 (int) refs[first].knode->start_mark.line + 1);
          else
            ERR (ps, refs[i].knode, "duplicate key '%s' (first at line %d, column %d)",
                 refs[i].key, (int) refs[first].knode->start_mark.line + 1,
                 (int) refs[first].knode->start_mark.column + 1);
          LOOM_PUSH (ps->dups, ps->n_dups, refs[i].pair);
        }
      free (refs);
    }
  if (ps->n_dups > 1)
    qsort (ps->dups, ps->n_dups, sizeof (*ps->dups), pair_ptr_cmp);
}

/* Messages that list names */

/* Edits (insert, delete, change, swap two neighbours) from @a to @b. */
static size_t
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b), i, j;
  size_t d[33][33];

  if (la > 32 || lb > 32)
    return (size_t) -1;
  for (i = 0; i <= la; i++)
    d[i][0] = i;
  for (j = 0; j <= lb; j++)
    d[0][j] = j;
  for (i = 1; i <= la; i++)
    for (j = 1; j <= lb; j++)
      {
        size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
        if (d[i - 1][j] + 1 < best)
          best = d[i - 1][j] + 1;
        if (d[i][j - 1] + 1 < best)
          best = d[i][j - 1] + 1;
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
            && d[i - 2][j - 2] + 1 < best)
          best = d[i - 2][j - 2] + 1;
        d[i][j] = best;
      }
  return d[la][lb];
}

/* "a, b, c" (at most @max names, then "..."); owned by the caller. */
static char *
join_names (const char *const *names, size_t n, size_t max)
{
  char *s = loom_xstrdup ("");
  size_t i;

  for (i = 0; i < n && i < max; i++)
    {
      char *t = loom_xasprintf ("%s%s%s", s, i ? ", " : "", names[i]);
      free (s);
      s = t;
    }
  if (n > max)
    {
      char *t = loom_xasprintf ("%s, ...", s);
      free (s);
      s = t;
    }
  return s;
}

static const char *
closest (const char *word, const char *const *names, size_t n)
{
  const char *best = NULL;
  size_t bestd = strlen (word) <= 4 ? 2 : 3, i;

  /* Close enough to be a typo: one edit in a short word, two in a longer one. */
  for (i = 0; i < n; i++)
    {
      size_t d = edit_distance (word, names[i]);
      if (d < bestd)
        best = names[i], bestd = d;
    }
  return best;
}

/* @note (may be NULL) ends the message, after the list of expected keys. */
static void
unknown_key_note (struct pstate *ps, yaml_node_t *k, const char *where,
                  const char *const *expected, size_t n, const char *note)
{
  loom_autofree char *list = join_names (expected, n, 48);
  const char *guess = closest (scalar (k), expected, n);
  loom_autofree char *hint = guess ? loom_xasprintf (" (did you mean '%s'?)", guess) : NULL;

  ERR (ps, k, "unknown key '%s' in %s%s; expected one of: %s%s%s", scalar (k), where,
       hint ? hint : "", list, note ? "; " : "", note ? note : "");
}

static void
unknown_key (struct pstate *ps, yaml_node_t *k, const char *where, const char *const *expected,
             size_t n)
{
  unknown_key_note (ps, k, where, expected, n, NULL);
}

/* The index of @key in impair_keys, or N_IMPAIR. */
static size_t
impair_index (const char *key)
{
  size_t i;

  for (i = 0; i < N_IMPAIR; i++)
    if (strcmp (key, impair_keys[i]) == 0)
      break;
  return i;
}

/* Where a link, an endpoint or an interface has an `impair` key, `delay: 50ms` written
 * next to it is the likely mistake. */
static void
unknown_link_key (struct pstate *ps, yaml_node_t *k, const char *where,
                  const char *const *expected, size_t n)
{
  unknown_key_note (ps, k, where, expected, n,
                    impair_index (scalar (k)) < N_IMPAIR
                      ? "impairments go under 'impair', as in impair: {delay: 50ms, loss: 1%}"
                      : NULL);
}

/* One warning per containerlab key per file, at its first use. */
static void
warn_unsupported (struct pstate *ps, yaml_node_t *k)
{
  const char *key = scalar (k);
  struct loom_mark m = mk (ps, k);
  size_t i;

  for (i = 0; i < ps->n_warned; i++)
    if (strcmp (ps->warned[i], key) == 0)
      return;
  LOOM_PUSH (ps->warned, ps->n_warned, key);
  diag_at (ps, LOOM_DIAG_WARNING, &m,
           "'%s' is a containerlab setting netloom does not implement yet; ignored", key);
}

static bool
is_clab_node_key (const char *key)
{
  size_t i;

  for (i = 0; i < sizeof (clab_node_keys) / sizeof (clab_node_keys[0]); i++)
    if (strcmp (key, clab_node_keys[i]) == 0)
      return true;
  return false;
}

static bool
is_bridge_kind (int kind)
{
  return kind == LOOM_KIND_SWITCH || kind == LOOM_KIND_HUB;
}

/* FRR runs on routers only. */
static bool
is_router_only (const char *key)
{
  return strcmp (key, "frr-config") == 0 || strcmp (key, "ospf") == 0 || strcmp (key, "bgp") == 0
         || strcmp (key, "rip") == 0;
}

/* The kinds @mask names, as "host, router and vm"; owned by the caller. */
static char *
kinds_text (unsigned mask)
{
  const char *names[LOOM_KIND__COUNT];
  size_t n = 0, i;
  char *s = loom_xstrdup ("");

  for (i = 0; i < LOOM_KIND__COUNT; i++)
    if (mask & (1u << i))
      names[n++] = loom_kind_name ((enum loom_kind) i);
  for (i = 0; i < n; i++)
    {
      char *t = loom_xasprintf ("%s%s%s", s, i == 0 ? "" : i + 1 == n ? " and " : ", ", names[i]);
      free (s);
      s = t;
    }
  return s;
}

/* Settings that only fit some kinds: vlan-filtering, stp, vlan and trunk belong to
 * bridges; addresses and routes to everything else but nat nodes; frr-config, ospf, bgp
 * and rip to routers; the container, VM, nat and port settings to the kinds kind_keys[]
 * lists. Returns false when @key does not fit @kind, reporting it when @report (@who
 * says which node or block it is about). */
static bool
kind_allows (struct pstate *ps, int kind, const char *key, const struct loom_mark *m,
             const char *who, bool report)
{
  bool bridge_only = strcmp (key, "vlan-filtering") == 0 || strcmp (key, "stp") == 0
                     || strcmp (key, "vlan") == 0 || strcmp (key, "trunk") == 0;
  bool not_bridge
      = strcmp (key, "routes") == 0 || strcmp (key, "ipv4") == 0 || strcmp (key, "ipv6") == 0;
  size_t i;

  if (is_router_only (key) && kind != LOOM_KIND_ROUTER)
    {
      if (report)
        ERR_M (ps, m, "'%s' is only for router nodes (FRR runs on routers); %s", key, who);
      return false;
    }

  if (bridge_only && !is_bridge_kind (kind))
    {
      if (report)
        ERR_M (ps, m, "'%s' is only for switch and hub nodes; %s", key, who);
      return false;
    }
  if (not_bridge && is_bridge_kind (kind))
    {
      if (report)
        ERR_M (ps, m,
               "'%s' is not allowed on a switch or hub: its ports are bridged and it has no "
               "addresses of its own; %s",
               key, who);
      return false;
    }
  if (not_bridge && kind == LOOM_KIND_NAT)
    {
      if (report)
        ERR_M (ps, m,
               "'%s' is not allowed on a nat node: its address comes from its 'network' "
               "(10.0.2.0/24 by default); %s",
               key, who);
      return false;
    }
  for (i = 0; i < sizeof (kind_keys) / sizeof (kind_keys[0]); i++)
    if (strcmp (key, kind_keys[i].key) == 0 && !(kind_keys[i].kinds & (1u << kind)))
      {
        if (report)
          {
            loom_autofree char *kinds = kinds_text (kind_keys[i].kinds);
            ERR_M (ps, m, "'%s' is only for %s nodes; %s", key, kinds, who);
          }
        return false;
      }
  return true;
}

static bool
fits_kind (struct pstate *ps, int kind, const char *key, const struct loom_mark *m, const char *who)
{
  return kind_allows (ps, kind, key, m, who, true);
}

/* Values */

static bool
get_kind (struct pstate *ps, yaml_node_t *n, int *kind, const char **text)
{
  const char *s = scalar (n);
  int k;

  if (s == NULL || is_null (n))
    {
      ERR (ps, n, "expected a kind for 'kind', found %s", FOUND (n));
      return false;
    }
  k = loom_kind_parse (s);
  if (k < 0)
    {
      ERR (ps, n,
           "unknown kind '%s'; expected one of: host, router, switch, hub, container, vm, nat "
           "(or containerlab's bridge and linux)",
           s);
      return false;
    }
  *kind = k;
  *text = s;
  return true;
}

static bool
get_str_list (struct pstate *ps, yaml_node_t *n, const char *key, struct sval **out, size_t *nout)
{
  size_t i;
  bool ok = true;

  if (n == NULL || n->type != YAML_SEQUENCE_NODE)
    {
      ERR (ps, n, "expected a list of strings for '%s', found %s", key, FOUND (n));
      return false;
    }
  for (i = 0; i < seq_len (n); i++)
    {
      yaml_node_t *e = seq_at (ps, n, i);
      struct sval v;
      if (e && e->type == YAML_MAPPING_NODE)
        {
          ERR (ps, e,
               "expected a string in '%s', found a mapping (quote text that contains ': ')", key);
          ok = false;
          continue;
        }
      if ((v.s = get_string (ps, e, key)) == NULL)
        {
          ok = false;
          continue;
        }
      v.mark = mk (ps, e);
      LOOM_PUSH (*out, *nout, v);
    }
  return ok;
}

static bool
sysctl_name_valid (const char *s)
{
  const char *p;

  if (*s == '\0' || *s == '.' || *s == '/' || strstr (s, "..") || strstr (s, "//"))
    return false;
  for (p = s; *p; p++)
    if (!(isalnum ((unsigned char) *p) || strchr ("_-./", *p)))
      return false;
  return true;
}

/* env, labels, sysctls: a mapping of names to scalars, each taken as its text. */
static bool
get_kv_map (struct pstate *ps, yaml_node_t *n, const char *key, struct skv **out, size_t *nout)
{
  struct pair *pairs = NULL;
  size_t np, i;
  bool ok = true;

  if (is_null (n))
    return true;
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping of names to values for '%s', found %s", key, FOUND (n));
      return false;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      struct skv kv;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "sysctls") == 0 && !sysctl_name_valid (pairs[i].key))
        {
          ERR (ps, pairs[i].knode, "expected a sysctl name like net.ipv4.ip_forward, found '%s'",
               pairs[i].key);
          ok = false;
          continue;
        }
      if (strcmp (key, "env") == 0 && (pairs[i].key[0] == '\0' || strchr (pairs[i].key, '=')))
        {
          ERR (ps, pairs[i].knode,
               "expected an environment variable name (not empty, no '='), found '%s'",
               pairs[i].key);
          ok = false;
          continue;
        }
      if (v == NULL || v->type != YAML_SCALAR_NODE)
        {
          ERR (ps, v, "expected a string, number or boolean for %s '%s', found %s", key,
               pairs[i].key, FOUND (v));
          ok = false;
          continue;
        }
      kv.key = pairs[i].key;
      kv.value = is_null (v) ? "" : scalar (v);
      kv.mark = mk (ps, pairs[i].knode);
      LOOM_PUSH (*out, *nout, kv);
    }
  free (pairs);
  return ok;
}

static bool
get_routes (struct pstate *ps, yaml_node_t *n, struct loom_route **out, size_t *nout)
{
  struct sval *texts = NULL;
  size_t nt = 0, i;
  bool ok = get_str_list (ps, n, "routes", &texts, &nt);

  for (i = 0; i < nt; i++)
    {
      struct loom_route r;
      const char *why = NULL;
      if (loom_route_parse (texts[i].s, &r, &why) < 0)
        {
          ERR_M (ps, &texts[i].mark, "invalid route '%s': %s", texts[i].s, why);
          ok = false;
          continue;
        }
      r.mark = texts[i].mark;
      r.dst.mark = r.mark;
      r.gateway.mark = r.mark;
      LOOM_PUSH (*out, *nout, r);
    }
  free (texts);
  return ok;
}

static bool
get_position (struct pstate *ps, yaml_node_t *n, double *x, double *y)
{
  struct pair *pairs = NULL;
  size_t np, i;
  bool ok = true, hx = false, hy = false;
  static const char *const keys[] = { "x", "y" };

  if (n == NULL || n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping {x: <number>, y: <number>} for 'position', found %s",
           FOUND (n));
      return false;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      if (strcmp (pairs[i].key, "x") == 0)
        ok &= hx = get_number (ps, pairs[i].vnode, "x", x);
      else if (strcmp (pairs[i].key, "y") == 0)
        ok &= hy = get_number (ps, pairs[i].vnode, "y", y);
      else
        {
          unknown_key (ps, pairs[i].knode, "position", keys, 2);
          ok = false;
        }
    }
  free (pairs);
  if (ok && (!hx || !hy))
    {
      ERR (ps, n, "expected both x and y in 'position'");
      ok = false;
    }
  return ok;
}

/* ipv4 / ipv6: one address or a list. Interfaces need a prefix length; the loopback may
 * leave it out (a host address, /32 or /128). */
static bool
get_addrs (struct pstate *ps, yaml_node_t *n, int family, bool is_lo, struct loom_addr **out,
           size_t *nout)
{
  const char *key = family == AF_INET ? "ipv4" : "ipv6";
  size_t i, count;
  bool ok = true;

  if (is_null (n))
    return true;
  if (n->type == YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected an address or a list of addresses for '%s', found a mapping", key);
      return false;
    }
  count = n->type == YAML_SEQUENCE_NODE ? seq_len (n) : 1;
  for (i = 0; i < count; i++)
    {
      yaml_node_t *e = n->type == YAML_SEQUENCE_NODE ? seq_at (ps, n, i) : n;
      struct loom_addr a;
      const char *why = NULL, *s = scalar (e);

      if (s == NULL || is_null (e))
        {
          ERR (ps, e, "expected an address string in '%s', found %s", key, FOUND (e));
          ok = false;
          continue;
        }
      if (loom_addr_parse (s, !is_lo, &a, &why) < 0)
        {
          ERR (ps, e, "invalid address '%s' in '%s': %s", s, key, why);
          ok = false;
          continue;
        }
      if (a.family != family)
        {
          ERR (ps, e, "'%s' is an %s address; expected an %s address in '%s' (put it under '%s')",
               s, a.family == AF_INET ? "IPv4" : "IPv6", family == AF_INET ? "IPv4" : "IPv6", key,
               a.family == AF_INET ? "ipv4" : "ipv6");
          ok = false;
          continue;
        }
      if (a.prefixlen < 0)
        {
          a.prefixlen = family == AF_INET ? 32 : 128;
          snprintf (a.text + strlen (a.text), sizeof (a.text) - strlen (a.text), "/%d",
                    a.prefixlen);
        }
      a.mark = mk (ps, e);
      LOOM_PUSH (*out, *nout, a);
    }
  return ok;
}

#define VLAN_EXPECTED "a VLAN id (an integer from 1 to 4094)"

static bool
get_trunk (struct pstate *ps, yaml_node_t *n, int **out, size_t *nout)
{
  size_t i, j;
  bool ok = true;

  if (n == NULL || n->type != YAML_SEQUENCE_NODE || seq_len (n) == 0)
    {
      ERR (ps, n, "expected a list of VLAN ids (integers from 1 to 4094) for 'trunk', found %s",
           FOUND (n));
      return false;
    }
  for (i = 0; i < seq_len (n); i++)
    {
      yaml_node_t *e = seq_at (ps, n, i);
      int v;
      if (!get_int (ps, e, "trunk", 1, 4094, VLAN_EXPECTED, &v))
        {
          ok = false;
          continue;
        }
      for (j = 0; j < *nout; j++)
        if ((*out)[j] == v)
          break;
      if (j < *nout)
        {
          ERR (ps, e, "VLAN %d is listed twice in 'trunk'", v);
          ok = false;
          continue;
        }
      LOOM_PUSH (*out, *nout, v);
    }
  return ok;
}

/* An `impair` mapping: each value is checked by loom_impair_set() where it is written;
 * the good ones are kept in @out. @where names the mapping in messages. */
static bool
read_impair (struct pstate *ps, yaml_node_t *n, struct impset *out, const char *where)
{
  struct pair *pairs = NULL;
  size_t np, i, k;
  bool ok = true;

  if (is_null (n))
    return true;
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n,
           "expected a mapping of impairments (delay, jitter, loss, duplicate, corrupt, reorder, "
           "rate) for 'impair', found %s",
           FOUND (n));
      return false;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      struct loom_impair scratch = { 0 };
      yaml_node_t *v = pairs[i].vnode;
      const char *s = scalar (v), *why = NULL;

      k = impair_index (pairs[i].key);
      if (k == N_IMPAIR)
        {
          unknown_key (ps, pairs[i].knode, where, impair_keys, N_IMPAIR);
          ok = false;
          continue;
        }
      if (s == NULL || is_null (v) || strlen (s) != v->data.scalar.length)
        {
          /* Asked with no value, loom_impair_set() still says what it expects. */
          loom_impair_set (&scratch, pairs[i].key, "", &why);
          ERR (ps, v, "expected %s for '%s', found %s", why, pairs[i].key, FOUND (v));
          ok = false;
          continue;
        }
      if (loom_impair_set (&scratch, pairs[i].key, s, &why) < 0)
        {
          ERR (ps, v, "bad value %s for %s: expected %s", FOUND (v), pairs[i].key, why);
          ok = false;
          continue;
        }
      out->text[k] = s;
      out->kmark[k] = mk (ps, pairs[i].knode);
      out->vmark[k] = mk (ps, v);
    }
  free (pairs);
  return ok;
}

static void
ifset_free (struct ifset *s)
{
  free (s->addrs[0]);
  free (s->addrs[1]);
  free (s->trunk);
}

/* Reads one interface setting (ipv4, ipv6, mac, mtu, vlan, trunk, impair) into @s;
 * @impair_where names its `impair` mapping in messages. Returns false when @key is not one
 * of them. */
static bool
read_if_field (struct pstate *ps, struct ifset *s, const char *key, yaml_node_t *v, bool is_lo,
               const char *impair_where)
{
  int f;
  bool ok = false;

  for (f = 0; f < I__COUNT; f++)
    if (strcmp (key, if_keys[f]) == 0)
      break;
  if (f == I__COUNT)
    return false;
  if (is_lo && (f == I_MAC || f == I_VLAN || f == I_TRUNK))
    {
      ERR (ps, v, "'%s' is not allowed on 'lo'; the loopback takes ipv4, ipv6 and mtu", key);
      return true;
    }
  if (is_lo && f == I_IMPAIR)
    {
      ERR (ps, v,
           "'impair' is not allowed on 'lo': impairments act on the frames an end of a link "
           "sends, and the loopback is on no link");
      return true;
    }
  switch (f)
    {
    case I_IPV4:
    case I_IPV6:
      {
        int i = f == I_IPV4 ? 0 : 1;
        free (s->addrs[i]);
        s->addrs[i] = NULL;
        s->n_addrs[i] = 0;
        ok = get_addrs (ps, v, i ? AF_INET6 : AF_INET, is_lo, &s->addrs[i], &s->n_addrs[i]);
        break;
      }
    case I_MAC:
      {
        const char *t = scalar (v);
        ok = t && !is_null (v) && loom_mac_parse (t, s->mac) == 0;
        if (!ok)
          ERR (ps, v,
               "expected a unicast MAC address like 02:00:00:00:00:01 for 'mac' (not all zeros, "
               "multicast bit clear), found %s",
               FOUND (v));
        break;
      }
    case I_MTU:
      ok = get_int (ps, v, "mtu", 68, 65535, "an integer from 68 to 65535", &s->mtu);
      break;
    case I_VLAN:
      ok = get_int (ps, v, "vlan", 1, 4094, VLAN_EXPECTED, &s->vlan);
      break;
    case I_TRUNK:
      free (s->trunk);
      s->trunk = NULL;
      s->n_trunk = 0;
      ok = get_trunk (ps, v, &s->trunk, &s->n_trunk);
      break;
    case I_IMPAIR:
      ok = read_impair (ps, v, &s->impair, impair_where);
      break;
    }
  if (ok)
    {
      s->has[f] = true;
      s->fmark[f] = mk (ps, v);
    }
  return true;
}

static struct ifset *
find_ifset (const struct level *lv, const char *name)
{
  size_t i;

  for (i = 0; i < lv->n_ifs; i++)
    if (strcmp (lv->ifs[i].name, name) == 0)
      return &lv->ifs[i];
  return NULL;
}

static void
read_interfaces (struct pstate *ps, struct level *lv, yaml_node_t *n)
{
  struct pair *pairs = NULL;
  size_t np, i, j;

  if (is_null (n))
    return;
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping of interface names to settings for 'interfaces', found %s",
           FOUND (n));
      lv->bad[F_INTERFACES] = true;
      return;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      struct ifset s;
      struct pair *ip = NULL;
      size_t nip;
      loom_autofree char *where = NULL, *impair_where = NULL;
      bool is_lo = strcmp (pairs[i].key, "lo") == 0;

      memset (&s, 0, sizeof (s));
      if (!loom_ifname_valid (pairs[i].key))
        {
          ERR (ps, pairs[i].knode,
               "invalid interface name '%s': expected 1 to 15 letters, digits, '_', '.' or '-'",
               pairs[i].key);
          continue;
        }
      s.name = pairs[i].key;
      s.mark = mk (ps, pairs[i].knode);
      where = loom_xasprintf ("%s.interfaces.%s", lv->where, s.name);
      impair_where = loom_xasprintf ("%s.impair", where);
      if (!is_null (pairs[i].vnode) && pairs[i].vnode->type != YAML_MAPPING_NODE)
        ERR (ps, pairs[i].vnode, "expected a mapping of interface settings for '%s', found %s",
             s.name, FOUND (pairs[i].vnode));
      nip = map_pairs (ps, pairs[i].vnode, &ip);
      for (j = 0; j < nip; j++)
        if (!read_if_field (ps, &s, ip[j].key, ip[j].vnode, is_lo, impair_where))
          unknown_link_key (ps, ip[j].knode, where, if_keys, I__COUNT);
      free (ip);
      /* A kinds.<k> block knows its kind now; nodes are checked once their kind is known. */
      if (lv->rank == R_KIND)
        {
          loom_autofree char *who = loom_xasprintf ("this is %s", lv->where);
          for (j = 0; j < I__COUNT; j++)
            if (s.has[j])
              s.has[j] = fits_kind (ps, lv->kind, if_keys[j], &s.fmark[j], who);
        }
      LOOM_PUSH (lv->ifs, lv->n_ifs, s);
    }
  free (pairs);
}

/* FRR: frr-config, ospf, bgp, rip */

/* A decimal integer from 0 to 2^32 - 1. */
static bool
parse_u32 (const char *s, uint32_t *out)
{
  uint64_t v = 0;

  if (!isdigit ((unsigned char) *s))
    return false;
  for (; *s; s++)
    {
      if (!isdigit ((unsigned char) *s))
        return false;
      v = v * 10 + (uint64_t) (*s - '0');
      if (v > UINT32_MAX)
        return false;
    }
  *out = (uint32_t) v;
  return true;
}

static bool
get_asn (struct pstate *ps, yaml_node_t *n, const char *key, uint32_t *out)
{
  const char *s = scalar (n);
  uint32_t v;

  if (s && !is_null (n) && parse_u32 (s, &v) && v >= 1)
    {
      *out = v;
      return true;
    }
  ERR (ps, n, "expected an AS number (an integer from 1 to 4294967295) for '%s', found %s", key,
       FOUND (n));
  return false;
}

/* Router IDs are IPv4 addresses, for OSPF and BGP alike (also on IPv6-only routers). */
static bool
get_router_id (struct pstate *ps, yaml_node_t *n, const char **out)
{
  const char *s = scalar (n);
  struct in_addr a;

  if (s && !is_null (n) && inet_pton (AF_INET, s, &a) == 1 && a.s_addr != 0)
    {
      *out = s;
      return true;
    }
  ERR (ps, n, "expected an IPv4 address like 1.1.1.1 (not 0.0.0.0) for 'router-id', found %s",
       FOUND (n));
  return false;
}

/* An OSPF area: an integer or a dotted quad, kept in the form written. */
static bool
get_area (struct pstate *ps, yaml_node_t *n, char out[16])
{
  const char *s = scalar (n);
  struct in_addr a;
  uint32_t v;

  if (s && !is_null (n) && parse_u32 (s, &v))
    {
      snprintf (out, 16, "%" PRIu32, v);
      return true;
    }
  if (s && !is_null (n) && inet_pton (AF_INET, s, &a) == 1)
    {
      inet_ntop (AF_INET, &a, out, 16);
      return true;
    }
  ERR (ps, n,
       "expected an OSPF area (an integer from 0 to 4294967295 or a dotted quad like 0.0.0.1) "
       "for 'area', found %s",
       FOUND (n));
  return false;
}

/* A list of interface names, each once; whether the node has them is checked once the
 * node's interfaces are known. */
static bool
get_ifname_list (struct pstate *ps, yaml_node_t *n, const char *key, struct sval **out,
                 size_t *nout)
{
  struct sval *v = NULL;
  size_t nv = 0, i, j;

  /* Usable whenever a list was written: its bad elements are reported and left out. */
  get_str_list (ps, n, key, &v, &nv);
  for (i = 0; i < nv; i++)
    {
      if (!loom_ifname_valid (v[i].s))
        {
          ERR_M (ps, &v[i].mark,
                 "invalid interface name '%s' in '%s': expected 1 to 15 letters, digits, '_', "
                 "'.' or '-'",
                 v[i].s, key);
          continue;
        }
      for (j = 0; j < *nout; j++)
        if (strcmp ((*out)[j].s, v[i].s) == 0)
          break;
      if (j < *nout)
        {
          ERR_M (ps, &v[i].mark, "interface '%s' is listed twice in '%s' (first at line %d)",
                 v[i].s, key, (*out)[j].mark.line);
          continue;
        }
      LOOM_PUSH (*out, *nout, v[i]);
    }
  free (v);
  return n && n->type == YAML_SEQUENCE_NODE;
}

/* Networks to announce: prefixes with the host bits clear, each once. */
static bool
get_prefixes (struct pstate *ps, yaml_node_t *n, const char *key, struct loom_addr **out,
              size_t *nout)
{
  struct sval *v = NULL;
  size_t nv = 0, i, j;

  /* Usable whenever a list was written: its bad elements are reported and left out. */
  get_str_list (ps, n, key, &v, &nv);
  for (i = 0; i < nv; i++)
    {
      struct loom_addr a;
      const char *why = NULL;

      if (loom_addr_parse (v[i].s, true, &a, &why) < 0)
        {
          ERR_M (ps, &v[i].mark, "invalid prefix '%s' in '%s': %s", v[i].s, key, why);
          continue;
        }
      if (!loom_addr_is_network (&a))
        {
          ERR_M (ps, &v[i].mark,
                 "invalid prefix '%s' in '%s': expected a network address: the bits after the "
                 "prefix length must be zero (as in 10.1.0.0/24)",
                 v[i].s, key);
          continue;
        }
      for (j = 0; j < *nout; j++)
        if (strcmp ((*out)[j].text, a.text) == 0)
          break;
      if (j < *nout)
        {
          ERR_M (ps, &v[i].mark, "prefix %s is listed twice in '%s' (first at line %d)", a.text,
                 key, (*out)[j].mark.line);
          continue;
        }
      a.mark = v[i].mark;
      LOOM_PUSH (*out, *nout, a);
    }
  free (v);
  return n && n->type == YAML_SEQUENCE_NODE;
}

static bool
get_ospf (struct pstate *ps, struct level *lv, yaml_node_t *n)
{
  static const char *const keys[] = { "area", "router-id", "interfaces", "passive" };
  struct ospf_set *o = &lv->ospf;
  struct pair *pairs = NULL;
  loom_autofree char *where = NULL;
  size_t np, i;

  if (is_null (n))
    return true; /* OSPF with every default */
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n,
           "expected a mapping of OSPF settings (area, router-id, interfaces, passive) for "
           "'ospf', found %s",
           FOUND (n));
      return false;
    }
  where = loom_xasprintf ("%s.ospf", lv->where);
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "area") == 0)
        o->has_area = get_area (ps, v, o->area);
      else if (strcmp (key, "router-id") == 0)
        o->has_rid = get_router_id (ps, v, &o->rid);
      else if (strcmp (key, "interfaces") == 0)
        o->has_ifaces = get_ifname_list (ps, v, key, &o->ifaces, &o->n_ifaces);
      else if (strcmp (key, "passive") == 0)
        o->has_passive = get_ifname_list (ps, v, key, &o->passive, &o->n_passive);
      else
        unknown_key (ps, pairs[i].knode, where, keys, sizeof (keys) / sizeof (*keys));
    }
  free (pairs);
  return true;
}

static bool
get_bgp_neighbor (struct pstate *ps, yaml_node_t *e, struct loom_bgp_neighbor *nb)
{
  static const char *const keys[] = { "address", "remote-as" };
  struct pair *pairs = NULL;
  size_t np, i;
  bool ok = true, has_addr = false, has_as = false;

  memset (nb, 0, sizeof (*nb));
  nb->mark = mk (ps, e);
  if (e == NULL || e->type != YAML_MAPPING_NODE)
    {
      ERR (ps, e,
           "expected a neighbor: a mapping with 'address' and 'remote-as' (as in {address: "
           "10.0.0.2, remote-as: 65002}), found %s",
           FOUND (e));
      return false;
    }
  np = map_pairs (ps, e, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key, *s, *why = NULL;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "address") == 0)
        {
          if ((s = get_string (ps, v, key)) == NULL)
            ok = false;
          else if (loom_addr_parse (s, false, &nb->address, &why) < 0)
            {
              ERR (ps, v, "invalid neighbor address '%s': %s", s, why);
              ok = false;
            }
          else if (nb->address.prefixlen >= 0)
            {
              ERR (ps, v,
                   "invalid neighbor address '%s': expected an address without a prefix length", s);
              ok = false;
            }
          else
            {
              nb->address.mark = mk (ps, v);
              has_addr = true;
            }
        }
      else if (strcmp (key, "remote-as") == 0)
        ok &= has_as = get_asn (ps, v, key, &nb->remote_as);
      else
        {
          unknown_key (ps, pairs[i].knode, "a BGP neighbor", keys, 2);
          ok = false;
        }
    }
  free (pairs);
  if (ok && (!has_addr || !has_as))
    {
      ERR (ps, e,
           "expected 'address' and 'remote-as' in the neighbor (as in {address: 10.0.0.2, "
           "remote-as: 65002})");
      ok = false;
    }
  return ok;
}

static bool
get_bgp_neighbors (struct pstate *ps, yaml_node_t *n, struct bgp_set *b)
{
  size_t i, j;

  if (n == NULL || n->type != YAML_SEQUENCE_NODE)
    {
      ERR (ps, n,
           "expected a list of neighbors (mappings with 'address' and 'remote-as') for "
           "'neighbors', found %s",
           FOUND (n));
      return false;
    }
  for (i = 0; i < seq_len (n); i++)
    {
      struct loom_bgp_neighbor nb;

      if (!get_bgp_neighbor (ps, seq_at (ps, n, i), &nb))
        {
          continue;
        }
      for (j = 0; j < b->n_neighbors; j++)
        if (strcmp (b->neighbors[j].address.text, nb.address.text) == 0)
          break;
      if (j < b->n_neighbors)
        {
          ERR_M (ps, &nb.address.mark, "neighbor %s is listed twice (first at line %d)",
                 nb.address.text, b->neighbors[j].address.mark.line);
          continue;
        }
      LOOM_PUSH (b->neighbors, b->n_neighbors, nb);
    }
  return true;
}

static bool
get_bgp (struct pstate *ps, struct level *lv, yaml_node_t *n)
{
  static const char *const keys[] = { "asn", "router-id", "neighbors", "networks" };
  struct bgp_set *b = &lv->bgp;
  struct pair *pairs = NULL;
  loom_autofree char *where = NULL;
  size_t np, i;

  if (n == NULL || n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n,
           "expected a mapping of BGP settings (asn, router-id, neighbors, networks) for 'bgp', "
           "found %s",
           FOUND (n));
      return false;
    }
  where = loom_xasprintf ("%s.bgp", lv->where);
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "asn") == 0)
        {
          b->asn_written = true;
          b->has_asn = get_asn (ps, v, key, &b->asn);
        }
      else if (strcmp (key, "router-id") == 0)
        b->has_rid = get_router_id (ps, v, &b->rid);
      else if (strcmp (key, "neighbors") == 0)
        b->has_neighbors = get_bgp_neighbors (ps, v, b);
      else if (strcmp (key, "networks") == 0)
        b->has_networks = get_prefixes (ps, v, key, &b->networks, &b->n_networks);
      else
        unknown_key (ps, pairs[i].knode, where, keys, sizeof (keys) / sizeof (*keys));
    }
  free (pairs);
  return true;
}

/* RIP's `network`: an IPv4 prefix, or an interface (RIP then runs on it). */
static bool
get_rip_networks (struct pstate *ps, yaml_node_t *n, struct rip_set *r)
{
  struct sval *v = NULL;
  size_t nv = 0, i, j;

  /* Usable whenever a list was written: its bad elements are reported and left out. */
  get_str_list (ps, n, "networks", &v, &nv);
  for (i = 0; i < nv; i++)
    {
      struct loom_addr a;
      const char *why = NULL, *s = v[i].s;

      if (loom_addr_parse (s, false, &a, &why) == 0 || strchr (s, '/'))
        {
          if (a.family == AF_INET6)
            {
              ERR_M (ps, &v[i].mark,
                     "'%s' is an IPv6 prefix; RIP (version 2) is IPv4 only: expected an IPv4 "
                     "prefix like 10.0.0.0/8 or an interface name in 'networks'",
                     s);
              continue;
            }
          if (loom_addr_parse (s, true, &a, &why) < 0)
            {
              ERR_M (ps, &v[i].mark, "invalid prefix '%s' in 'networks': %s", s, why);
              continue;
            }
          if (!loom_addr_is_network (&a))
            {
              ERR_M (ps, &v[i].mark,
                     "invalid prefix '%s' in 'networks': expected a network address: the bits "
                     "after the prefix length must be zero (as in 10.0.0.0/8)",
                     s);
              continue;
            }
        }
      else if (!loom_ifname_valid (s))
        {
          ERR_M (ps, &v[i].mark,
                 "expected an IPv4 prefix like 10.0.0.0/8 or an interface name in 'networks', "
                 "found '%s'",
                 s);
          continue;
        }
      for (j = 0; j < r->n_networks; j++)
        if (strcmp (r->networks[j].s, s) == 0)
          break;
      if (j < r->n_networks)
        {
          ERR_M (ps, &v[i].mark, "'%s' is listed twice in 'networks' (first at line %d)", s,
                 r->networks[j].mark.line);
          continue;
        }
      LOOM_PUSH (r->networks, r->n_networks, v[i]);
    }
  free (v);
  return n && n->type == YAML_SEQUENCE_NODE;
}

static bool
get_rip (struct pstate *ps, struct level *lv, yaml_node_t *n)
{
  static const char *const keys[] = { "networks" };
  struct pair *pairs = NULL;
  loom_autofree char *where = NULL;
  size_t np, i;

  if (n == NULL || n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n,
           "expected a mapping of RIP settings (networks: a list of IPv4 prefixes and interface "
           "names) for 'rip', found %s",
           FOUND (n));
      return false;
    }
  where = loom_xasprintf ("%s.rip", lv->where);
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      if (strcmp (pairs[i].key, "networks") == 0)
        lv->rip.has_networks = get_rip_networks (ps, pairs[i].vnode, &lv->rip);
      else
        unknown_key (ps, pairs[i].knode, where, keys, 1);
    }
  free (pairs);
  return true;
}

/* frr-config: a value with a newline is the configuration itself (a block scalar);
 * anything else is the path of an frr.conf, relative to the lab file's directory, read
 * now so a missing file is reported with the lab file's other errors. */
static bool
get_frr_config (struct pstate *ps, struct level *lv, yaml_node_t *n)
{
  const char *s = get_string (ps, n, "frr-config");
  loom_autofree char *path = NULL;
  loom_error_t err = NULL;
  char *data = NULL;
  size_t len = 0;

  if (s == NULL)
    return false;
  if (strchr (s, '\n'))
    {
      lv->frr_config = loom_xstrdup (s);
      return true;
    }
  if (*s == '\0')
    {
      ERR (ps, n,
           "expected the path of an frr.conf, or the configuration itself as a block scalar "
           "('frr-config: |'), for 'frr-config', found ''");
      return false;
    }
  path = s[0] == '/' ? loom_xstrdup (s) : loom_xasprintf ("%s/%s", ps->lab->dir, s);
  if (loom_read_file (path, &data, &len, &err) < 0)
    {
      ERR (ps, n, "cannot read frr-config file '%s': %s", path, strerror (err->status));
      loom_error_release (&err);
      return false;
    }
  if (strlen (data) != len)
    {
      ERR (ps, n, "frr-config file '%s' contains NUL bytes; expected a text file", path);
      free (data);
      return false;
    }
  lv->frr_config = data;
  lv->frr_config_path = loom_steal (&path);
  return true;
}

/* Containers, VMs, nat and published ports */

/* @s made absolute: relative paths are relative to the lab file's directory. */
static char *
lab_path (struct pstate *ps, const char *s)
{
  return s[0] == '/' ? loom_xstrdup (s) : loom_xasprintf ("%s/%s", ps->lab->dir, s);
}

/* A path to something that must exist now (a directory when @want_dir, else a file); *out
 * gets its canonical absolute form. */
static bool
get_path (struct pstate *ps, yaml_node_t *n, const char *key, bool want_dir, char **out)
{
  const char *s = get_string (ps, n, key);
  loom_autofree char *path = NULL;
  struct stat st;
  char *real;

  if (s == NULL)
    return false;
  if (*s == '\0')
    {
      ERR (ps, n, "expected a path for '%s' (relative to the lab file's directory), found ''", key);
      return false;
    }
  path = lab_path (ps, s);
  if (stat (path, &st) < 0)
    {
      ERR (ps, n, "cannot use '%s' for '%s': %s", path, key, strerror (errno));
      return false;
    }
  if (want_dir != !!S_ISDIR (st.st_mode))
    {
      ERR (ps, n, "cannot use '%s' for '%s': expected %s", path, key,
           want_dir ? "a directory" : "a file, not a directory");
      return false;
    }
  real = realpath (path, NULL);
  *out = real ? real : loom_steal (&path);
  return true;
}

static void
strv_clear (char ***v, size_t *n)
{
  size_t i;

  for (i = 0; i < *n; i++)
    free ((*v)[i]);
  free (*v);
  *v = NULL;
  *n = 0;
}

/* cmd, entrypoint: a string split as a shell would, or a list of strings (empty: none). */
static bool
get_argv (struct pstate *ps, yaml_node_t *n, const char *key, char ***out, size_t *nout)
{
  const char *s, *why = NULL;

  if (n && n->type == YAML_SEQUENCE_NODE)
    {
      struct sval *v = NULL;
      size_t nv = 0, i;
      bool ok = get_str_list (ps, n, key, &v, &nv);

      for (i = 0; ok && i < nv; i++)
        LOOM_PUSH (*out, *nout, loom_xstrdup (v[i].s));
      free (v);
      return ok;
    }
  if (n == NULL || n->type != YAML_SCALAR_NODE || is_null (n))
    {
      ERR (ps, n, "expected a command line (a string) or a list of strings for '%s', found %s", key,
           FOUND (n));
      return false;
    }
  if ((s = get_string (ps, n, key)) == NULL)
    return false;
  if (loom_argv_split (s, out, nout, &why) < 0)
    {
      ERR (ps, n, "invalid command line for '%s': expected %s (quotes as in a POSIX shell)", key,
           why);
      return false;
    }
  return true;
}

/* env-files: each file read now; its errors name the file and line. */
static bool
get_env_files (struct pstate *ps, struct level *lv, yaml_node_t *n)
{
  struct sval *v = NULL;
  size_t nv = 0, i;
  bool ok = get_str_list (ps, n, "env-files", &v, &nv);

  for (i = 0; i < nv; i++)
    {
      loom_autofree char *path = lab_path (ps, v[i].s);
      loom_autofree char *data = NULL;
      loom_error_t err = NULL;
      size_t len = 0, lineno = 0;
      char *line, *save = NULL;

      if (loom_read_file (path, &data, &len, &err) < 0)
        {
          ERR_M (ps, &v[i].mark, "cannot read env file '%s': %s", path, strerror (err->status));
          loom_error_release (&err);
          ok = false;
          continue;
        }
      if (strlen (data) != len)
        {
          ERR_M (ps, &v[i].mark, "env file '%s' contains NUL bytes; expected a text file", path);
          ok = false;
          continue;
        }
      /* strtok_r would skip empty lines and so miscount: split by hand. */
      for (line = data; line; line = save)
        {
          char *key, *value;
          const char *why = NULL;
          int r;

          save = strchr (line, '\n');
          if (save)
            *save++ = '\0';
          else if (*line == '\0')
            break;
          lineno++;
          r = loom_envfile_line (line, &key, &value, &why);
          if (r < 0)
            {
              struct loom_mark m = { path, (int) lineno, 1 };
              ERR_M (ps, &m, "expected %s in env file (listed in %s at line %d, column %d)", why,
                     ps->lab->file, v[i].mark.line, v[i].mark.col);
              ok = false;
            }
          else if (r > 0)
            {
              struct loom_kv kv = { key, value, v[i].mark };
              size_t k;
              for (k = 0; k < lv->n_envf; k++)
                if (strcmp (lv->envf[k].key, key) == 0)
                  break;
              if (k < lv->n_envf)
                {
                  /* A later definition wins, in one file or across the files. */
                  free (lv->envf[k].value);
                  lv->envf[k].value = value;
                  lv->envf[k].mark = v[i].mark;
                  free (key);
                }
              else
                LOOM_PUSH (lv->envf, lv->n_envf, kv);
            }
        }
    }
  free (v);
  return ok;
}

static bool
get_abs_path (struct pstate *ps, yaml_node_t *n, const char *key, const char **out)
{
  const char *s = get_string (ps, n, key);

  if (s == NULL)
    return false;
  if (s[0] != '/')
    {
      ERR (ps, n, "expected an absolute path (starting with '/') for '%s', found %s", key,
           FOUND (n));
      return false;
    }
  *out = s;
  return true;
}

/* A string value checked by @valid; @expected completes "expected ...". */
static bool
get_checked (struct pstate *ps, yaml_node_t *n, const char *key, bool (*valid) (const char *),
             const char *expected, const char **out)
{
  const char *s = get_string (ps, n, key);

  if (s == NULL)
    return false;
  if (!valid (s))
    {
      ERR (ps, n, "expected %s for '%s', found %s", expected, key, FOUND (n));
      return false;
    }
  *out = s;
  return true;
}

/* A list of "a:b[:opt]" strings; returns the pieces of one in @part (borrowed from @buf).
 * False (with @why set) when there are fewer than two or more than three. */
static bool
split_colons (const char *s, char *buf, size_t size, char *part[3], size_t *n)
{
  char *p;

  snprintf (buf, size, "%s", s);
  *n = 0;
  for (p = buf; p && *n < 3; (*n)++)
    {
      part[*n] = p;
      p = strchr (p, ':');
      if (p)
        *p++ = '\0';
    }
  return p == NULL && *n >= 2;
}

static bool
get_mode (const char *s, bool allow_rw, bool *ro)
{
  if (strcmp (s, "ro") == 0)
    return *ro = true, true;
  if (allow_rw && strcmp (s, "rw") == 0)
    return *ro = false, true;
  return false;
}

static bool
get_binds (struct pstate *ps, yaml_node_t *n, struct loom_bind **out, size_t *nout)
{
  struct sval *v = NULL;
  size_t nv = 0, i;
  bool ok = get_str_list (ps, n, "binds", &v, &nv);

  for (i = 0; i < nv; i++)
    {
      char buf[PATH_MAX * 2], *part[3];
      size_t np;
      struct loom_bind b = { NULL, NULL, false, v[i].mark };
      loom_autofree char *src = NULL;
      struct stat st;

      if (strlen (v[i].s) >= sizeof (buf) || !split_colons (v[i].s, buf, sizeof (buf), part, &np)
          || *part[0] == '\0' || (np == 3 && !get_mode (part[2], true, &b.ro)))
        {
          ERR_M (ps, &v[i].mark,
                 "invalid bind '%s': expected src:dst[:ro|:rw] (src a host path, relative to the "
                 "lab file's directory; dst an absolute path in the container)",
                 v[i].s);
          ok = false;
          continue;
        }
      if (part[1][0] != '/')
        {
          ERR_M (ps, &v[i].mark,
                 "invalid bind '%s': expected an absolute path in the container after the ':', "
                 "found '%s'",
                 v[i].s, part[1]);
          ok = false;
          continue;
        }
      src = lab_path (ps, part[0]);
      if (stat (src, &st) < 0)
        {
          ERR_M (ps, &v[i].mark, "invalid bind '%s': cannot use '%s': %s", v[i].s, src,
                 strerror (errno));
          ok = false;
          continue;
        }
      b.src = realpath (src, NULL);
      if (b.src == NULL)
        b.src = loom_steal (&src);
      b.dst = loom_xstrdup (part[1]);
      LOOM_PUSH (*out, *nout, b);
    }
  free (v);
  return ok;
}

static bool
get_volumes (struct pstate *ps, yaml_node_t *n, struct loom_volume **out, size_t *nout)
{
  struct sval *v = NULL;
  size_t nv = 0, i;
  bool ok = get_str_list (ps, n, "volumes", &v, &nv);

  for (i = 0; i < nv; i++)
    {
      char buf[PATH_MAX], *part[3];
      size_t np;
      struct loom_volume vol = { NULL, NULL, false, v[i].mark };

      if (strlen (v[i].s) >= sizeof (buf) || !split_colons (v[i].s, buf, sizeof (buf), part, &np)
          || (np == 3 && !get_mode (part[2], true, &vol.ro)))
        {
          ERR_M (ps, &v[i].mark,
                 "invalid volume '%s': expected name:dst[:ro] (as in web-data:/var/www)", v[i].s);
          ok = false;
          continue;
        }
      if (!loom_name_valid (part[0]))
        {
          ERR_M (ps, &v[i].mark,
                 "invalid volume '%s': expected a volume name of 1 to 32 letters, digits, '_', "
                 "'.' or '-', not starting with '-' or '.', found '%s'",
                 v[i].s, part[0]);
          ok = false;
          continue;
        }
      if (part[1][0] != '/')
        {
          ERR_M (ps, &v[i].mark,
                 "invalid volume '%s': expected an absolute path in the container after the "
                 "':', found '%s'",
                 v[i].s, part[1]);
          ok = false;
          continue;
        }
      vol.name = loom_xstrdup (part[0]);
      vol.dst = loom_xstrdup (part[1]);
      LOOM_PUSH (*out, *nout, vol);
    }
  free (v);
  return ok;
}

static bool
get_cpu (struct pstate *ps, yaml_node_t *n, double *out)
{
  const char *s = scalar (n);
  char *end;
  double v;

  if (s && !is_null (n))
    {
      v = strtod (s, &end);
      if (end != s && *end == '\0' && isfinite (v) && v > 0 && v <= 4096)
        {
          *out = v;
          return true;
        }
    }
  ERR (ps, n, "expected a number of CPUs greater than 0 (as in 0.5 or 2) for 'cpu', found %s",
       FOUND (n));
  return false;
}

static bool
get_memory (struct pstate *ps, yaml_node_t *n, uint64_t *out)
{
  const char *s = scalar (n), *why = NULL;

  if (s == NULL || is_null (n) || strlen (s) != n->data.scalar.length)
    {
      loom_memory_parse ("", out, &why);
      ERR (ps, n, "expected %s for 'memory', found %s", why, FOUND (n));
      return false;
    }
  if (loom_memory_parse (s, out, &why) < 0)
    {
      ERR (ps, n, "expected %s for 'memory', found %s", why, FOUND (n));
      return false;
    }
  return true;
}

/* ports, hostfwd; duplicates across the lab are checked once every node is known
 * (check_ports). */
static bool
get_ports (struct pstate *ps, yaml_node_t *n, const char *key, bool hostfwd, struct loom_port **out,
           size_t *nout)
{
  struct sval *v = NULL;
  size_t nv = 0, i;
  bool ok = get_str_list (ps, n, key, &v, &nv);

  for (i = 0; i < nv; i++)
    {
      struct loom_port p;
      const char *why = NULL;

      if (loom_port_parse (v[i].s, hostfwd, &p, &why) < 0)
        {
          ERR_M (ps, &v[i].mark, "invalid %s '%s': expected %s", hostfwd ? "hostfwd" : "port",
                 v[i].s, why);
          ok = false;
          continue;
        }
      p.text = loom_xstrdup (v[i].s);
      p.mark = v[i].mark;
      LOOM_PUSH (*out, *nout, p);
    }
  free (v);
  return ok;
}

static bool
accel_valid (const char *s)
{
  return strcmp (s, "auto") == 0 || strcmp (s, "kvm") == 0 || strcmp (s, "tcg") == 0;
}

static bool
any_string (const char *s)
{
  (void) s;
  return true;
}

static bool
hostname_valid (const char *s)
{
  return loom_hostname_valid (s);
}

static bool
user_valid (const char *s)
{
  return loom_user_valid (s);
}

/* nat's network: an IPv4 prefix with the host bits zero, /8 to /27 (slirp's DHCP
 * leases run from .15 to .30). */
static bool
get_network (struct pstate *ps, yaml_node_t *n, struct loom_addr *out)
{
  const char *s = get_string (ps, n, "network"), *why = NULL;

  if (s == NULL)
    return false;
  if (loom_addr_parse (s, true, out, &why) < 0 || out->family != AF_INET || out->prefixlen < 8
      || out->prefixlen > 27 || !loom_addr_is_network (out))
    {
      ERR (ps, n,
           "expected an IPv4 network with a prefix length from 8 to 27 and the host bits zero "
           "(as in 10.0.2.0/24) for 'network', found %s",
           FOUND (n));
      return false;
    }
  out->mark = mk (ps, n);
  return true;
}

static void
read_field (struct pstate *ps, struct level *lv, enum field f, const char *key, yaml_node_t *v)
{
  bool ok = false;
  int kv = f == F_ENV ? 0 : f == F_LABELS ? 1 : 2;

  switch (f)
    {
    case F_KIND:
      ok = get_kind (ps, v, &lv->kind, &lv->kind_text);
      break;
    case F_GROUP:
      ok = (lv->group = get_string (ps, v, key)) != NULL;
      break;
    case F_IMAGE:
      ok = (lv->image = get_string (ps, v, key)) != NULL;
      break;
    case F_EXEC:
      ok = get_str_list (ps, v, key, &lv->exec, &lv->n_exec);
      break;
    case F_ENV:
    case F_LABELS:
    case F_SYSCTLS:
      ok = get_kv_map (ps, v, key, &lv->kv[kv], &lv->n_kv[kv]);
      break;
    case F_ROUTES:
      ok = get_routes (ps, v, &lv->routes, &lv->n_routes);
      break;
    case F_VLAN_FILTERING:
      ok = get_bool (ps, v, key, &lv->vlan_filtering);
      break;
    case F_STP:
      ok = get_bool (ps, v, key, &lv->stp);
      break;
    case F_POSITION:
      ok = get_position (ps, v, &lv->x, &lv->y);
      break;
    case F_INTERFACES:
      read_interfaces (ps, lv, v);
      ok = !lv->bad[F_INTERFACES];
      break;
    case F_CAPTURE:
      ok = get_bool (ps, v, key, &lv->capture);
      break;
    case F_FRR_CONFIG:
      ok = get_frr_config (ps, lv, v);
      break;
    case F_OSPF:
      ok = get_ospf (ps, lv, v);
      break;
    case F_BGP:
      ok = get_bgp (ps, lv, v);
      break;
    case F_RIP:
      ok = get_rip (ps, lv, v);
      break;
    case F_ROOTFS:
      ok = get_path (ps, v, key, true, &lv->rootfs);
      break;
    case F_CMD:
    case F_ENTRYPOINT:
      ok = get_argv (ps, v, key, &lv->argv[f - F_CMD], &lv->n_argv[f - F_CMD]);
      break;
    case F_ENV_FILES:
      ok = get_env_files (ps, lv, v);
      break;
    case F_WORKDIR:
      ok = get_abs_path (ps, v, key, &lv->workdir);
      break;
    case F_USER:
      ok = get_checked (ps, v, key, user_valid,
                        "a user: name, uid, uid:gid or name:group (as in www-data or 1000:1000)",
                        &lv->user);
      break;
    case F_HOSTNAME:
      ok = get_checked (ps, v, key, hostname_valid,
                        "a host name: dot-separated labels of letters, digits and '-' (not at "
                        "either end), at most 63 characters each and 64 in all",
                        &lv->hostname);
      break;
    case F_BINDS:
      ok = get_binds (ps, v, &lv->binds, &lv->n_binds);
      break;
    case F_VOLUMES:
      ok = get_volumes (ps, v, &lv->volumes, &lv->n_volumes);
      break;
    case F_CPU:
      ok = get_cpu (ps, v, &lv->cpu);
      break;
    case F_MEMORY:
      ok = get_memory (ps, v, &lv->memory);
      break;
    case F_PORTS:
    case F_HOSTFWD:
      ok = get_ports (ps, v, key, f == F_HOSTFWD, &lv->ports[f == F_HOSTFWD],
                      &lv->n_ports[f == F_HOSTFWD]);
      break;
    case F_KERNEL:
      ok = get_path (ps, v, key, false, &lv->kernel);
      break;
    case F_INITRD:
      ok = get_path (ps, v, key, false, &lv->initrd);
      break;
    case F_APPEND:
      ok = get_checked (ps, v, key, any_string, "a string", &lv->append);
      break;
    case F_CPUS:
      ok = get_int (ps, v, key, 1, 64, "a number of CPUs from 1 to 64", &lv->cpus);
      break;
    case F_ACCEL:
      ok = get_checked (ps, v, key, accel_valid, "auto, kvm or tcg", &lv->accel);
      break;
    case F_NETWORK:
      ok = get_network (ps, v, &lv->network);
      break;
    case F__COUNT:
      break;
    }
  lv->fmark[f] = mk (ps, v);
  if (ok && lv->rank == R_KIND)
    {
      loom_autofree char *who = loom_xasprintf ("this is %s", lv->where);
      ok = fits_kind (ps, lv->kind, key, &lv->fmark[f], who);
    }
  lv->has[f] = ok;
  lv->bad[f] = !ok;
}

/* Reads one settings block; @where names it in messages ("nodes.h1"). */
static void
read_level (struct pstate *ps, struct level *lv, enum rank rank, const char *name,
            yaml_node_t *knode, yaml_node_t *n, const char *where)
{
  struct pair *pairs = NULL;
  const char *expected[N_NODE_KEYS];
  yaml_node_t *fc_key = NULL, *st_key = NULL;
  size_t np, i, j, n_expected = 0;

  lv->rank = rank;
  lv->name = name;
  lv->where = loom_xstrdup (where);
  lv->mark = mk (ps, knode ? knode : n);
  for (j = 0; j < N_NODE_KEYS; j++)
    if (node_keys[j].where & (1u << rank))
      expected[n_expected++] = node_keys[j].key;
  if (is_null (n))
    return;
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping of node settings for %s, found %s", where, FOUND (n));
      return;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key;

      for (j = 0; j < N_NODE_KEYS; j++)
        if (strcmp (key, node_keys[j].key) == 0)
          break;
      if (j < N_NODE_KEYS && (node_keys[j].where & (1u << rank)))
        {
          read_field (ps, lv, node_keys[j].field, key, pairs[i].vnode);
          if (node_keys[j].field == F_FRR_CONFIG)
            fc_key = pairs[i].knode;
          else if (is_router_only (key) && st_key == NULL)
            st_key = pairs[i].knode;
        }
      else if (j < N_NODE_KEYS && node_keys[j].field == F_KIND)
        ERR (ps, pairs[i].knode, "'kind' is not allowed in %s: the name of the entry is the kind",
             where);
      else if (j < N_NODE_KEYS)
        ERR (ps, pairs[i].knode, "'%s' is only allowed in a node (nodes.<name>), not in %s", key,
             where);
      else if (is_clab_node_key (key))
        warn_unsupported (ps, pairs[i].knode);
      else
        unknown_key (ps, pairs[i].knode, where, expected, n_expected);
    }
  free (pairs);
  if (fc_key && st_key)
    {
      /* Reported at the second of the two, the one that contradicts the first. */
      bool fc_last = fc_key->start_mark.index > st_key->start_mark.index;
      ERR (ps, fc_last ? fc_key : st_key,
           "'frr-config' and '%s' are both set in %s: use frr-config or ospf/bgp/rip, not both",
           scalar (st_key), where);
      lv->has[F_FRR_CONFIG] = false;
      lv->bad[F_FRR_CONFIG] = true;
    }
}

static void
level_free (struct level *lv)
{
  size_t i;

  free (lv->where);
  free (lv->exec);
  for (i = 0; i < 3; i++)
    free (lv->kv[i]);
  for (i = 0; i < lv->n_routes; i++)
    loom_route_clear (&lv->routes[i]);
  free (lv->routes);
  for (i = 0; i < lv->n_ifs; i++)
    ifset_free (&lv->ifs[i]);
  free (lv->ifs);
  free (lv->frr_config);
  free (lv->frr_config_path);
  free (lv->ospf.ifaces);
  free (lv->ospf.passive);
  free (lv->bgp.neighbors);
  free (lv->bgp.networks);
  free (lv->rip.networks);
  free (lv->rootfs);
  for (i = 0; i < 2; i++)
    strv_clear (&lv->argv[i], &lv->n_argv[i]);
  loom_kvs_free (lv->envf, lv->n_envf);
  loom_binds_free (lv->binds, lv->n_binds);
  loom_volumes_free (lv->volumes, lv->n_volumes);
  for (i = 0; i < 2; i++)
    loom_ports_free (lv->ports[i], lv->n_ports[i]);
  free (lv->kernel);
  free (lv->initrd);
}

/* Node names -> index in lab->nodes (-1: a name that was reported invalid). */

static size_t
hash_str (const char *s)
{
  size_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ull;
  return h;
}

static void
names_put (struct pstate *ps, const char *key, int val)
{
  size_t i;

  if ((ps->hcount + 1) * 2 > ps->hcap)
    {
      const char **ok = ps->hkeys;
      int *ov = ps->hvals;
      size_t ocap = ps->hcap, j;

      ps->hcap = ocap ? ocap * 2 : 64;
      ps->hkeys = loom_xcalloc (ps->hcap, sizeof (*ps->hkeys));
      ps->hvals = loom_xcalloc (ps->hcap, sizeof (*ps->hvals));
      for (j = 0; j < ocap; j++)
        if (ok[j])
          {
            for (i = hash_str (ok[j]) & (ps->hcap - 1); ps->hkeys[i]; i = (i + 1) & (ps->hcap - 1))
              ;
            ps->hkeys[i] = ok[j];
            ps->hvals[i] = ov[j];
          }
      free (ok);
      free (ov);
    }
  for (i = hash_str (key) & (ps->hcap - 1); ps->hkeys[i]; i = (i + 1) & (ps->hcap - 1))
    if (strcmp (ps->hkeys[i], key) == 0)
      return;
  ps->hkeys[i] = key;
  ps->hvals[i] = val;
  ps->hcount++;
}

/* Returns the node's index, -1 for an invalid name, -2 when there is no such node. */
static int
names_get (struct pstate *ps, const char *key)
{
  size_t i;

  if (ps->hcap == 0)
    return -2;
  for (i = hash_str (key) & (ps->hcap - 1); ps->hkeys[i]; i = (i + 1) & (ps->hcap - 1))
    if (strcmp (ps->hkeys[i], key) == 0)
      return ps->hvals[i];
  return -2;
}

/* topology.kinds / groups / nodes */

static void
read_kinds (struct pstate *ps, yaml_node_t *n)
{
  struct pair *pairs = NULL;
  size_t np, i;

  if (is_null (n))
    return;
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping of kind names to settings for 'kinds', found %s", FOUND (n));
      return;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      int k = loom_kind_parse (pairs[i].key);
      loom_autofree char *where = NULL;

      if (k < 0)
        {
          ERR (ps, pairs[i].knode,
               "unknown kind '%s' in 'kinds'; expected one of: host, router, switch, hub, "
               "container, vm, nat (or containerlab's bridge and linux)",
               pairs[i].key);
          continue;
        }
      if (ps->has_kind_level[k])
        {
          ERR (ps, pairs[i].knode, "kinds.%s and kinds.%s are the same kind (%s); merge them",
               ps->kinds[k].name, pairs[i].key, loom_kind_name (k));
          continue;
        }
      where = loom_xasprintf ("kinds.%s", pairs[i].key);
      ps->has_kind_level[k] = true;
      ps->kinds[k].kind = k;
      read_level (ps, &ps->kinds[k], R_KIND, pairs[i].key, pairs[i].knode, pairs[i].vnode, where);
    }
  free (pairs);
}

static void
read_named_levels (struct pstate *ps, yaml_node_t *n, const char *what, enum rank rank,
                   struct level **out, size_t *nout)
{
  struct pair *pairs = NULL;
  size_t np, i;

  if (is_null (n))
    return;
  if (n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping of names to settings for '%s', found %s", what, FOUND (n));
      return;
    }
  np = map_pairs (ps, n, &pairs);
  *out = loom_xcalloc (np, sizeof (**out));
  for (i = 0; i < np; i++)
    {
      loom_autofree char *where = loom_xasprintf ("%s.%s", what, pairs[i].key);
      read_level (ps, &(*out)[i], rank, pairs[i].key, pairs[i].knode, pairs[i].vnode, where);
    }
  *nout = np;
  free (pairs);
}

static struct level *
find_group (struct pstate *ps, const char *name)
{
  size_t i;

  for (i = 0; i < ps->n_groups; i++)
    if (strcmp (ps->groups[i].name, name) == 0)
      return &ps->groups[i];
  return NULL;
}

/* Creates the model nodes, each with its kind and settings chain. */
static void
build_nodes (struct pstate *ps)
{
  struct loom_lab *lab = ps->lab;
  size_t i;

  for (i = 0; i < ps->n_nodes; i++)
    {
      struct level *lv = &ps->nodes[i], *grp = NULL, *kind_from = NULL;
      struct loom_node *node;
      struct nctx c;
      size_t j;

      if (!loom_name_valid (lv->name))
        {
          ERR_M (ps, &lv->mark,
                 "invalid node name '%s': expected 1 to 32 letters, digits, '_', '.' or '-', not "
                 "starting with '-' or '.'",
                 lv->name);
          names_put (ps, lv->name, -1);
          continue;
        }
      memset (&c, 0, sizeof (c));
      c.lv = lv;
      c.kind_ok = !lv->bad[F_KIND];
      if (lv->has[F_GROUP])
        {
          grp = find_group (ps, lv->group);
          if (grp == NULL)
            {
              const char **names = loom_xcalloc (ps->n_groups, sizeof (*names));
              loom_autofree char *list = NULL;
              for (j = 0; j < ps->n_groups; j++)
                names[j] = ps->groups[j].name;
              list = join_names (names, ps->n_groups, 20);
              free (names);
              if (ps->n_groups)
                ERR_M (ps, &lv->fmark[F_GROUP], "group '%s' is not defined (groups: %s)",
                       lv->group, list);
              else
                ERR_M (ps, &lv->fmark[F_GROUP],
                       "group '%s' is not defined (there is no 'groups' section)", lv->group);
              if (!lv->has[F_KIND])
                c.kind_ok = false;
            }
        }
      if (grp && grp->bad[F_KIND] && !lv->has[F_KIND])
        c.kind_ok = false;
      if (lv->has[F_KIND])
        kind_from = lv;
      else if (grp && grp->has[F_KIND])
        kind_from = grp;
      else if (!grp || !grp->bad[F_KIND])
        {
          if (ps->defaults.has[F_KIND])
            kind_from = &ps->defaults;
          else if (ps->defaults.bad[F_KIND])
            c.kind_ok = false;
        }

      node = loom_xcalloc (1, sizeof (*node));
      node->name = loom_xstrdup (lv->name);
      node->mark = lv->mark;
      node->kind = kind_from ? (enum loom_kind) kind_from->kind : LOOM_KIND_HOST;
      node->kind_written = loom_xstrdup (kind_from ? kind_from->kind_text : "host");
      node->kind_mark = kind_from ? kind_from->fmark[F_KIND] : lv->mark;
      node->group = grp ? loom_xstrdup (grp->name) : NULL;
      node->capture = true;

      c.chain[c.n_chain++] = lv;
      if (grp)
        c.chain[c.n_chain++] = grp;
      if (ps->has_kind_level[node->kind])
        c.chain[c.n_chain++] = &ps->kinds[node->kind];
      c.chain[c.n_chain++] = &ps->defaults;

      names_put (ps, lv->name, (int) lab->n_nodes);
      ps->nctx = loom_xrealloc (ps->nctx, sizeof (*ps->nctx) * (lab->n_nodes + 1));
      ps->nctx[lab->n_nodes] = c;
      LOOM_PUSH (lab->nodes, lab->n_nodes, node);
    }
}

/* Links */

struct endpoint
{
  int node; /* index in lab->nodes; -1 when unusable */
  char *node_name;
  char *ifname;
  struct loom_mark mark;
  struct ifset set;
};

static void
endpoint_free (struct endpoint *ep)
{
  free (ep->node_name);
  free (ep->ifname);
  ifset_free (&ep->set);
}

static void
no_such_node (struct pstate *ps, const struct loom_mark *m, const char *name, const char *text)
{
  struct loom_lab *lab = ps->lab;
  const char **names;
  loom_autofree char *list = NULL;
  size_t i;

  if (strcmp (name, "host") == 0)
    {
      ERR_M (ps, m, "endpoint '%s': links to the host are not supported", text);
      return;
    }
  if (strcmp (name, "mgmt-net") == 0)
    {
      ERR_M (ps, m, "endpoint '%s': links to the management network are not supported", text);
      return;
    }
  if (strcmp (name, "macvlan") == 0 || strcmp (name, "ovs-bridge") == 0
      || strcmp (name, "vxlan") == 0 || strcmp (name, "dummy") == 0)
    {
      ERR_M (ps, m, "endpoint '%s': containerlab's special '%s' endpoints are not supported", text,
             name);
      return;
    }
  names = loom_xcalloc (lab->n_nodes, sizeof (*names));
  for (i = 0; i < lab->n_nodes; i++)
    names[i] = lab->nodes[i]->name;
  list = join_names (names, lab->n_nodes, 20);
  free (names);
  if (lab->n_nodes)
    ERR_M (ps, m, "node '%s' is not defined (nodes: %s)", name, list);
  else
    ERR_M (ps, m, "node '%s' is not defined (the lab has no nodes)", name);
}

/* Reads one endpoint, "node:interface" or {node: , interface: , ...}. Returns false when
 * the link cannot be built from it (already reported). */
static bool
read_endpoint (struct pstate *ps, yaml_node_t *e, struct endpoint *ep)
{
  static const char *const keys[] = { "node", "interface", "mac",  "ipv4",
                                      "ipv6", "vlan",      "trunk", "impair" };
  struct loom_mark node_mark, if_mark;
  loom_autofree char *text = NULL;
  const char *s;
  int idx;

  memset (ep, 0, sizeof (*ep));
  ep->node = -1;
  ep->mark = mk (ps, e);
  node_mark = if_mark = ep->mark;
  if (e && e->type == YAML_MAPPING_NODE)
    {
      struct pair *pairs = NULL;
      size_t np = map_pairs (ps, e, &pairs), i;
      bool ok = true;

      for (i = 0; i < np; i++)
        {
          const char *key = pairs[i].key;
          if (strcmp (key, "node") == 0 || strcmp (key, "interface") == 0)
            {
              const char *v = get_string (ps, pairs[i].vnode, key);
              if (v == NULL)
                {
                  ok = false;
                  continue;
                }
              if (key[0] == 'n')
                ep->node_name = loom_xstrdup (v), node_mark = mk (ps, pairs[i].vnode);
              else
                ep->ifname = loom_xstrdup (v), if_mark = mk (ps, pairs[i].vnode);
            }
          else if (!read_if_field (ps, &ep->set, key, pairs[i].vnode, false,
                                   "an endpoint's 'impair'"))
            unknown_link_key (ps, pairs[i].knode, "an endpoint", keys,
                              sizeof (keys) / sizeof (*keys));
        }
      free (pairs);
      if (!ok)
        return false;
      if (ep->node_name == NULL || ep->ifname == NULL)
        {
          ERR (ps, e, "expected 'node' and 'interface' in the endpoint");
          return false;
        }
      text = loom_xasprintf ("%s:%s", ep->node_name, ep->ifname);
    }
  else if ((s = scalar (e)) != NULL && !is_null (e))
    {
      const char *colon = strchr (s, ':');
      if (colon == NULL || colon == s || colon[1] == '\0')
        {
          ERR (ps, e, "expected an endpoint 'node:interface' (as in \"h1:eth1\"), found '%s'", s);
          return false;
        }
      ep->node_name = loom_xstrndup (s, colon - s);
      ep->ifname = loom_xstrdup (colon + 1);
      text = loom_xstrdup (s);
    }
  else
    {
      ERR (ps, e,
           "expected an endpoint: 'node:interface' or a mapping with node and interface, found %s",
           FOUND (e));
      return false;
    }

  idx = names_get (ps, ep->node_name);
  if (idx == -2)
    no_such_node (ps, &node_mark, ep->node_name, text);
  if (idx < 0)
    return false;
  if (!loom_ifname_valid (ep->ifname))
    {
      ERR_M (ps, &if_mark,
             "invalid interface name '%s' in endpoint '%s': expected 1 to 15 letters, digits, "
             "'_', '.' or '-'",
             ep->ifname, text);
      return false;
    }
  if (strcmp (ep->ifname, "lo") == 0)
    {
      ERR_M (ps, &if_mark, "endpoint '%s': 'lo' is the loopback and cannot be on a link", text);
      return false;
    }
  if (strcmp (ep->ifname, "br0") == 0 && ps->nctx[idx].kind_ok
      && is_bridge_kind (ps->lab->nodes[idx]->kind))
    {
      ERR_M (ps, &if_mark,
             "endpoint '%s': the name 'br0' is reserved on a %s for the bridge itself; use "
             "another port name",
             text, loom_kind_name (ps->lab->nodes[idx]->kind));
      return false;
    }
  ep->node = idx;
  return true;
}

/* A link's ipv4/ipv6 list: element i is endpoint i's. */
static void
read_link_addrs (struct pstate *ps, yaml_node_t *n, int family, struct endpoint *eps, size_t neps)
{
  const char *key = family == AF_INET ? "ipv4" : "ipv6";
  int f = family == AF_INET ? I_IPV4 : I_IPV6, which = family == AF_INET ? 0 : 1;
  size_t i;

  if (is_null (n))
    return;
  if (n->type != YAML_SEQUENCE_NODE || seq_len (n) != 2)
    {
      ERR (ps, n,
           "expected a list of two addresses for '%s', one per endpoint (\"\" for none), found %s",
           key, FOUND (n));
      return;
    }
  for (i = 0; i < 2 && i < neps; i++)
    {
      yaml_node_t *e = seq_at (ps, n, i);
      struct ifset *s = &eps[i].set;
      const char *t = scalar (e);

      if (is_null (e) || (t && *t == '\0'))
        continue;
      if (s->has[f])
        {
          ERR (ps, e, "%s of endpoint %zu is given twice: here and in the endpoint", key, i + 1);
          continue;
        }
      if (get_addrs (ps, e, family, false, &s->addrs[which], &s->n_addrs[which]))
        {
          s->has[f] = true;
          s->fmark[f] = mk (ps, e);
        }
    }
}

static void
read_link (struct pstate *ps, yaml_node_t *ln)
{
  static const char *const keys[] = { "endpoints", "type",    "ipv4",  "ipv6",
                                      "mtu",       "capture", "impair" };
  struct loom_lab *lab = ps->lab;
  struct pair *pairs = NULL;
  yaml_node_t *endpoints = NULL, *v4 = NULL, *v6 = NULL;
  struct impset impair = { 0 };
  struct endpoint eps[2];
  struct loom_link *link;
  size_t np, i, neps = 0;
  bool ok = true, type_ok = true, capture = true;
  int mtu = 0;

  if (ln == NULL || ln->type != YAML_MAPPING_NODE)
    {
      ERR (ps, ln, "expected a link: a mapping with 'endpoints', found %s", FOUND (ln));
      return;
    }
  np = map_pairs (ps, ln, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "endpoints") == 0)
        endpoints = v;
      else if (strcmp (key, "ipv4") == 0)
        v4 = v;
      else if (strcmp (key, "ipv6") == 0)
        v6 = v;
      else if (strcmp (key, "mtu") == 0)
        ok &= get_int (ps, v, "mtu", 68, 65535, "an integer from 68 to 65535", &mtu);
      else if (strcmp (key, "capture") == 0)
        ok &= get_bool (ps, v, "capture", &capture);
      else if (strcmp (key, "impair") == 0)
        ok &= read_impair (ps, v, &impair, "a link's 'impair'");
      else if (strcmp (key, "type") == 0)
        {
          /* Another type's endpoints look different: checking them would only add noise. */
          const char *t = get_string (ps, v, "type");
          if (t && strcmp (t, "veth") != 0)
            ERR (ps, v, "link type '%s' is not supported (supported: veth)", t);
          type_ok = t && strcmp (t, "veth") == 0;
        }
      else if (strcmp (key, "labels") == 0 || strcmp (key, "vars") == 0)
        warn_unsupported (ps, pairs[i].knode);
      else
        {
          unknown_link_key (ps, pairs[i].knode, "a link", keys, sizeof (keys) / sizeof (*keys));
          ok = false;
        }
    }
  free (pairs);
  if (!type_ok)
    return;
  if (endpoints == NULL)
    {
      ERR (ps, ln, "expected 'endpoints' in the link: a list of two \"node:interface\"");
      return;
    }
  if (endpoints->type != YAML_SEQUENCE_NODE || seq_len (endpoints) != 2)
    {
      if (endpoints->type == YAML_SEQUENCE_NODE)
        ERR (ps, endpoints, "expected exactly two endpoints in a link, found %zu",
             seq_len (endpoints));
      else
        ERR (ps, endpoints, "expected a list of two endpoints for 'endpoints', found %s",
             FOUND (endpoints));
      return;
    }
  for (i = 0; i < 2; i++)
    {
      ok &= read_endpoint (ps, seq_at (ps, endpoints, i), &eps[i]);
      neps++;
    }
  read_link_addrs (ps, v4, AF_INET, eps, neps);
  read_link_addrs (ps, v6, AF_INET6, eps, neps);

  if (ok && eps[0].node == eps[1].node && strcmp (eps[0].ifname, eps[1].ifname) == 0)
    {
      ERR_M (ps, &eps[1].mark, "a link cannot connect %s:%s to itself",
             lab->nodes[eps[0].node]->name, eps[0].ifname);
      ok = false;
    }
  for (i = 0; ok && i < 2; i++)
    {
      struct loom_iface *used = loom_node_find_iface (lab->nodes[eps[i].node], eps[i].ifname);
      if (used)
        {
          ERR_M (ps, &eps[i].mark, "interface %s:%s is already on the link at line %d",
                 lab->nodes[eps[i].node]->name, eps[i].ifname, used->link->mark.line);
          ok = false;
        }
    }
  if (!ok)
    {
      for (i = 0; i < neps; i++)
        {
          if (eps[i].node >= 0)
            {
              char *t = loom_xasprintf ("%s:%s", lab->nodes[eps[i].node]->name, eps[i].ifname);
              LOOM_PUSH (ps->half_linked, ps->n_half_linked, t);
            }
          endpoint_free (&eps[i]);
        }
      return;
    }

  link = loom_xcalloc (1, sizeof (*link));
  link->mtu = mtu;
  link->capture = capture; /* the link's own say; resolve_capture() adds the rest */
  link->mark = mk (ps, ln);
  for (i = 0; i < 2; i++)
    {
      struct loom_node *node = lab->nodes[eps[i].node];
      struct loom_iface *iface = loom_xcalloc (1, sizeof (*iface));
      struct ifctx c;

      iface->name = loom_steal (&eps[i].ifname);
      iface->node = node;
      iface->link = link;
      iface->mark = eps[i].mark;
      LOOM_PUSH (node->ifaces, node->n_ifaces, iface);
      if (i == 0)
        link->a = iface;
      else
        link->b = iface;
      c.iface = iface;
      c.node = (size_t) eps[i].node;
      c.ep = eps[i].set;
      c.ep.name = iface->name;
      c.link_impair = impair;
      memset (&c.lone_jitter, 0, sizeof (c.lone_jitter));
      memset (&eps[i].set, 0, sizeof (eps[i].set));
      LOOM_PUSH (ps->ifc, ps->n_ifc, c);
      endpoint_free (&eps[i]);
    }
  LOOM_PUSH (lab->links, lab->n_links, link);
}

static void
read_links (struct pstate *ps, yaml_node_t *n)
{
  size_t i;

  if (is_null (n))
    return;
  if (n->type != YAML_SEQUENCE_NODE)
    {
      ERR (ps, n, "expected a list of links for 'links', found %s", FOUND (n));
      return;
    }
  for (i = 0; i < seq_len (n); i++)
    read_link (ps, seq_at (ps, n, i));
}

/* Resolution: each node's settings through its chain */

static struct level *
pick (struct nctx *c, enum field f)
{
  size_t i;

  for (i = 0; i < c->n_chain; i++)
    if (c->chain[i]->has[f])
      return c->chain[i];
  return NULL;
}

/* Whether a value from @lv applies to @node. Written on the node itself, a value that does
 * not fit the node's kind is an error; from kinds.<k> it was reported when read; from
 * defaults or a group it is simply not for this node (a group may mix kinds). */
static bool
applies (struct pstate *ps, struct nctx *c, struct loom_node *node, enum rank rank,
         const char *key, const struct loom_mark *m)
{
  loom_autofree char *who = NULL;

  if (!c->kind_ok)
    return false;
  who = loom_xasprintf ("%s is a %s", node->name, loom_kind_name (node->kind));
  return kind_allows (ps, node->kind, key, m, who, rank <= R_NODE);
}

static void
merge_kvs (struct nctx *c, int which, struct loom_kv **out, size_t *nout)
{
  size_t i, j, k;

  for (i = c->n_chain; i-- > 0;)
    {
      struct level *lv = c->chain[i];
      for (j = 0; j < lv->n_kv[which]; j++)
        {
          const struct skv *kv = &lv->kv[which][j];
          for (k = 0; k < *nout; k++)
            if (strcmp ((*out)[k].key, kv->key) == 0)
              break;
          if (k < *nout)
            {
              free ((*out)[k].value);
              (*out)[k].value = loom_xstrdup (kv->value);
              (*out)[k].mark = kv->mark;
            }
          else
            {
              struct loom_kv n = { loom_xstrdup (kv->key), loom_xstrdup (kv->value), kv->mark };
              LOOM_PUSH (*out, *nout, n);
            }
        }
    }
}

static const char *
kv_get (const struct loom_kv *kv, size_t n, const char *key, const struct loom_mark **m)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (kv[i].key, key) == 0)
      {
        *m = &kv[i].mark;
        return kv[i].value;
      }
  return NULL;
}

/* containerlab's graph-posX/graph-posY labels, when the node has no position. */
static void
position_from_labels (struct pstate *ps, struct loom_node *node)
{
  const struct loom_mark *mx = NULL, *my = NULL;
  const char *sx = kv_get (node->labels, node->n_labels, "graph-posX", &mx);
  const char *sy = kv_get (node->labels, node->n_labels, "graph-posY", &my);
  char *ex, *ey;
  double x, y;

  if (sx == NULL || sy == NULL)
    return;
  x = strtod (sx, &ex);
  y = strtod (sy, &ey);
  if (ex == sx || *ex || !isfinite (x))
    {
      diag_at (ps, LOOM_DIAG_WARNING, mx, "label graph-posX '%s' is not a number; ignored", sx);
      return;
    }
  if (ey == sy || *ey || !isfinite (y))
    {
      diag_at (ps, LOOM_DIAG_WARNING, my, "label graph-posY '%s' is not a number; ignored", sy);
      return;
    }
  node->has_position = true;
  node->x = x;
  node->y = y;
}

/* An error at a place several nodes inherit from: reported once, not once per node. */
static void __attribute__ ((format (printf, 3, 4)))
err_once (struct pstate *ps, const struct loom_mark *m, const char *fmt, ...)
{
  va_list ap;
  char *msg;
  size_t i;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  for (i = 0; i < ps->diags->n; i++)
    {
      const struct loom_diag *d = &ps->diags->items[i];
      if (d->line == m->line && d->col == m->col && strcmp (d->msg, msg) == 0)
        break;
    }
  if (i == ps->diags->n)
    ERR_M (ps, m, "%s", msg);
  free (msg);
}

static char **
strv_dup (char *const *v, size_t n)
{
  char **out = loom_xcalloc (n ? n : 1, sizeof (*out));
  size_t i;

  for (i = 0; i < n; i++)
    out[i] = loom_xstrdup (v[i]);
  return out;
}

static struct loom_port *
ports_dup (const struct loom_port *p, size_t n)
{
  struct loom_port *out = loom_xcalloc (n ? n : 1, sizeof (*out));
  size_t i;

  for (i = 0; i < n; i++)
    {
      out[i] = p[i];
      out[i].text = loom_xstrdup (p[i].text);
    }
  return out;
}

/* Built-in VM guests (an `image` without a '/' and a disk suffix). */
static const char *const vm_builtins[] = { "netloom-tiny" };

static bool
is_disk_path (const char *s)
{
  static const char *const suffixes[] = { ".qcow2", ".img", ".raw", ".qcow" };
  size_t len = strlen (s), i;

  if (strchr (s, '/'))
    return true;
  for (i = 0; i < sizeof (suffixes) / sizeof (suffixes[0]); i++)
    if (len > strlen (suffixes[i]) && strcmp (s + len - strlen (suffixes[i]), suffixes[i]) == 0)
      return true;
  return false;
}

/* The picked level for @f when it applies to @node (NULL otherwise). */
static struct level *
pick_applying (struct pstate *ps, struct nctx *c, struct loom_node *node, enum field f,
               const char *key)
{
  struct level *lv = pick (c, f);

  if (lv && !applies (ps, c, node, lv->rank, key, &lv->fmark[f]))
    return NULL;
  return lv;
}

/* image for a container (a name, checked for syntax only: whether the store has it is
 * deploy's business) or a VM (a disk path or a built-in guest). */
static void
resolve_image (struct pstate *ps, struct nctx *c, struct loom_node *node)
{
  struct level *img = pick_applying (ps, c, node, F_IMAGE, "image");
  struct level *rootfs = pick_applying (ps, c, node, F_ROOTFS, "rootfs");
  struct level *kernel = pick (c, F_KERNEL);
  loom_autofree char *from = NULL;
  const char *why = NULL;
  size_t i;

  if (!c->kind_ok)
    return;
  from = img && img->rank != R_NODE ? loom_xasprintf (" (from %s)", img->where) : loom_xstrdup ("");
  if (node->kind == LOOM_KIND_CONTAINER)
    {
      /* Both in one block is a contradiction; from two blocks the more specific wins. */
      if (img && rootfs && img == rootfs)
        {
          const struct loom_mark *later
              = img->fmark[F_IMAGE].line > img->fmark[F_ROOTFS].line
                        || (img->fmark[F_IMAGE].line == img->fmark[F_ROOTFS].line
                            && img->fmark[F_IMAGE].col > img->fmark[F_ROOTFS].col)
                    ? &img->fmark[F_IMAGE]
                    : &img->fmark[F_ROOTFS];
          err_once (ps, later,
                    "'image' and 'rootfs' are both set in %s: a container's file system comes "
                    "from one of them",
                    img->where);
          return;
        }
      if (img && rootfs)
        {
          if (img->rank < rootfs->rank)
            rootfs = NULL;
          else
            img = NULL;
        }
      if (rootfs)
        node->rootfs = loom_xstrdup (rootfs->rootfs);
      else if (img)
        {
          if (!loom_image_ref_valid (img->image, &why))
            err_once (ps, &img->fmark[F_IMAGE], "invalid image '%s'%s: expected %s", img->image,
                      from, why);
          else
            {
              node->image = loom_xstrdup (img->image);
              node->image_mark = img->fmark[F_IMAGE];
            }
        }
      else if (!pick (c, F_IMAGE) && !pick (c, F_ROOTFS) && !c->lv->bad[F_IMAGE]
               && !c->lv->bad[F_ROOTFS])
        ERR_M (ps, &node->mark,
               "container '%s' needs 'image' (an image name, as in alpine:3) or 'rootfs' (a "
               "directory)",
               node->name);
      return;
    }
  if (node->kind != LOOM_KIND_VM)
    return;
  if (img == NULL)
    {
      if (kernel == NULL && !c->lv->bad[F_IMAGE] && !c->lv->bad[F_KERNEL])
        node->image = loom_xstrdup (vm_builtins[0]);
      return;
    }
  if (is_disk_path (img->image))
    {
      loom_autofree char *path = lab_path (ps, img->image);
      struct stat st;
      char *real;

      if (stat (path, &st) < 0)
        err_once (ps, &img->fmark[F_IMAGE], "cannot use disk image '%s': %s", path,
                  strerror (errno));
      else if (S_ISDIR (st.st_mode))
        err_once (ps, &img->fmark[F_IMAGE],
                  "cannot use disk image '%s': expected a file, not a directory", path);
      else
        {
          real = realpath (path, NULL);
          node->image = real ? real : loom_steal (&path);
        }
      return;
    }
  for (i = 0; i < sizeof (vm_builtins) / sizeof (vm_builtins[0]); i++)
    if (strcmp (img->image, vm_builtins[i]) == 0)
      {
        node->image = loom_xstrdup (img->image);
        return;
      }
  {
    loom_autofree char *list
        = join_names (vm_builtins, sizeof (vm_builtins) / sizeof (*vm_builtins), 20);
    /* Most likely a container image from defaults or a group: say where it came from. */
    err_once (ps, &img->fmark[F_IMAGE],
              "unknown VM image '%s'%s: expected a built-in guest (%s) or a disk image path "
              "(with a '/', or ending in .qcow2, .qcow, .img or .raw)",
              img->image, from, list);
  }
}

/* The container, VM, nat and port settings of @node. */
static void
resolve_runtime (struct pstate *ps, struct nctx *c, struct loom_node *node)
{
  struct level *lv;
  size_t i;

  resolve_image (ps, c, node);
  if ((lv = pick_applying (ps, c, node, F_CMD, "cmd")))
    {
      node->cmd = strv_dup (lv->argv[0], lv->n_argv[0]);
      node->n_cmd = lv->n_argv[0];
      node->has_cmd = true;
    }
  if ((lv = pick_applying (ps, c, node, F_ENTRYPOINT, "entrypoint")))
    {
      node->entrypoint = strv_dup (lv->argv[1], lv->n_argv[1]);
      node->n_entrypoint = lv->n_argv[1];
      node->has_entrypoint = true;
    }
  if ((lv = pick_applying (ps, c, node, F_WORKDIR, "workdir")))
    node->workdir = loom_xstrdup (lv->workdir);
  if ((lv = pick_applying (ps, c, node, F_USER, "user")))
    node->user = loom_xstrdup (lv->user);
  if ((lv = pick_applying (ps, c, node, F_HOSTNAME, "hostname")))
    node->hostname = loom_xstrdup (lv->hostname);
  if ((lv = pick_applying (ps, c, node, F_BINDS, "binds")))
    {
      node->binds = loom_xcalloc (lv->n_binds ? lv->n_binds : 1, sizeof (*node->binds));
      for (i = 0; i < lv->n_binds; i++)
        {
          node->binds[i] = lv->binds[i];
          node->binds[i].src = loom_xstrdup (lv->binds[i].src);
          node->binds[i].dst = loom_xstrdup (lv->binds[i].dst);
        }
      node->n_binds = lv->n_binds;
    }
  if ((lv = pick_applying (ps, c, node, F_VOLUMES, "volumes")))
    {
      node->volumes = loom_xcalloc (lv->n_volumes ? lv->n_volumes : 1, sizeof (*node->volumes));
      for (i = 0; i < lv->n_volumes; i++)
        {
          node->volumes[i] = lv->volumes[i];
          node->volumes[i].name = loom_xstrdup (lv->volumes[i].name);
          node->volumes[i].dst = loom_xstrdup (lv->volumes[i].dst);
        }
      node->n_volumes = lv->n_volumes;
    }
  if ((lv = pick_applying (ps, c, node, F_CPU, "cpu")))
    node->cpu = lv->cpu;
  if ((lv = pick_applying (ps, c, node, F_MEMORY, "memory")))
    {
      if (node->kind == LOOM_KIND_VM && lv->memory < (16ull << 20))
        err_once (ps, &lv->fmark[F_MEMORY],
                  "expected at least 16 MiB of memory for a VM, found %" PRIu64 " bytes",
                  lv->memory);
      else
        node->memory = lv->memory;
    }
  if ((lv = pick_applying (ps, c, node, F_PORTS, "ports")))
    {
      node->ports = ports_dup (lv->ports[0], lv->n_ports[0]);
      node->n_ports = lv->n_ports[0];
    }
  if ((lv = pick_applying (ps, c, node, F_KERNEL, "kernel")))
    node->kernel = loom_xstrdup (lv->kernel);
  if ((lv = pick_applying (ps, c, node, F_INITRD, "initrd")))
    node->initrd = loom_xstrdup (lv->initrd);
  if ((lv = pick_applying (ps, c, node, F_APPEND, "append")))
    node->append = loom_xstrdup (lv->append);
  if ((lv = pick_applying (ps, c, node, F_CPUS, "cpus")))
    node->cpus = lv->cpus;
  if ((lv = pick_applying (ps, c, node, F_ACCEL, "accel")))
    node->accel = loom_xstrdup (lv->accel);
  else if (c->kind_ok && node->kind == LOOM_KIND_VM)
    node->accel = loom_xstrdup ("auto");
  if ((lv = pick_applying (ps, c, node, F_NETWORK, "network")))
    node->nat_network = loom_xstrdup (lv->network.text);
  else if (c->kind_ok && node->kind == LOOM_KIND_NAT)
    node->nat_network = loom_xstrdup ("10.0.2.0/24");
  if ((lv = pick_applying (ps, c, node, F_HOSTFWD, "hostfwd")))
    {
      struct loom_addr net;
      const char *why = NULL;

      bool net_bad = false;

      for (i = 0; i < c->n_chain; i++)
        net_bad |= c->chain[i]->bad[F_NETWORK];
      node->hostfwd = ports_dup (lv->ports[1], lv->n_ports[1]);
      node->n_hostfwd = lv->n_ports[1];
      /* slirp reaches only the addresses of its own network (when that one is valid). */
      if (!net_bad && node->nat_network && loom_addr_parse (node->nat_network, true, &net, &why) == 0)
        for (i = 0; i < node->n_hostfwd; i++)
          {
            struct in_addr a;
            uint32_t mask = net.prefixlen ? htonl (~0u << (32 - net.prefixlen)) : 0, n4;

            memcpy (&n4, net.bytes, 4);
            if (inet_pton (AF_INET, node->hostfwd[i].node_addr, &a) == 1 && (a.s_addr & mask) != n4)
              err_once (ps, &node->hostfwd[i].mark, "hostfwd '%s': %s is not in %s's network %s",
                        node->hostfwd[i].text, node->hostfwd[i].node_addr, node->name,
                        node->nat_network);
          }
    }
}

static void
resolve_node (struct pstate *ps, size_t idx)
{
  struct loom_node *node = ps->lab->nodes[idx];
  struct nctx *c = &ps->nctx[idx];
  struct level *lv;
  size_t i;

  if ((lv = pick (c, F_EXEC)))
    {
      node->exec = loom_xcalloc (lv->n_exec, sizeof (*node->exec));
      for (i = 0; i < lv->n_exec; i++)
        node->exec[i] = loom_xstrdup (lv->exec[i].s);
      node->n_exec = lv->n_exec;
    }
  /* env-files first: `env` wins over them. */
  if ((lv = pick (c, F_ENV_FILES)))
    for (i = 0; i < lv->n_envf; i++)
      {
        struct loom_kv kv = { loom_xstrdup (lv->envf[i].key), loom_xstrdup (lv->envf[i].value),
                              lv->envf[i].mark };
        LOOM_PUSH (node->env, node->n_env, kv);
      }
  merge_kvs (c, 0, &node->env, &node->n_env);
  merge_kvs (c, 1, &node->labels, &node->n_labels);
  merge_kvs (c, 2, &node->sysctls, &node->n_sysctls);
  if ((lv = pick (c, F_VLAN_FILTERING))
      && applies (ps, c, node, lv->rank, "vlan-filtering", &lv->fmark[F_VLAN_FILTERING]))
    node->vlan_filtering = lv->vlan_filtering;
  if ((lv = pick (c, F_STP)) && applies (ps, c, node, lv->rank, "stp", &lv->fmark[F_STP]))
    node->stp = lv->stp;
  if ((lv = pick (c, F_CAPTURE)))
    node->capture = lv->capture;
  if (c->lv->has[F_POSITION])
    {
      node->has_position = true;
      node->x = c->lv->x;
      node->y = c->lv->y;
    }
  else
    position_from_labels (ps, node);
  resolve_runtime (ps, c, node);
}

static void
add_addrs (struct pstate *ps, struct loom_iface *iface, const struct ifset *s, int which)
{
  size_t i;

  for (i = 0; i < s->n_addrs[which]; i++)
    {
      LOOM_PUSH (iface->addrs, iface->n_addrs, s->addrs[which][i]);
      if (s->addrs[which][i].family == AF_INET6)
        ps->lab->uses_ipv6 = true;
    }
}

/* Fills @iface from the link endpoint @ep (may be NULL) and the `interfaces` entries of
 * the node's chain, each field from the most specific place that sets it. */
static void
resolve_iface (struct pstate *ps, size_t idx, struct loom_iface *iface, const struct ifset *ep)
{
  struct loom_node *node = ps->lab->nodes[idx];
  struct nctx *c = &ps->nctx[idx];
  const struct ifset *own = find_ifset (c->lv, iface->name);
  const struct ifset *src[I__COUNT];
  enum rank rank[I__COUNT];
  int f;
  size_t i;

  for (f = 0; f < I__COUNT; f++)
    src[f] = NULL;
  for (f = 0; f < I_IMPAIR; f++)
    {
      rank[f] = R_DEFAULTS;
      if (ep && ep->has[f])
        {
          src[f] = ep;
          rank[f] = R_LINK;
          if (own && own->has[f])
            ERR_M (ps, &own->fmark[f],
                   "'%s' of %s:%s is also set in the link at line %d, column %d; set it in one "
                   "place",
                   if_keys[f], node->name, iface->name, ep->fmark[f].line, ep->fmark[f].col);
          continue;
        }
      for (i = 0; i < c->n_chain; i++)
        {
          const struct ifset *s = find_ifset (c->chain[i], iface->name);
          if (s && s->has[f])
            {
              src[f] = s;
              rank[f] = c->chain[i]->rank;
              break;
            }
        }
    }
  for (f = 0; f < I_IMPAIR; f++)
    if (src[f] && !applies (ps, c, node, rank[f], if_keys[f], &src[f]->fmark[f]))
      src[f] = NULL;

  if (src[I_IPV4])
    add_addrs (ps, iface, src[I_IPV4], 0);
  if (src[I_IPV6])
    add_addrs (ps, iface, src[I_IPV6], 1);
  if (src[I_MAC])
    {
      iface->has_mac = true;
      memcpy (iface->mac, src[I_MAC]->mac, 6);
    }
  if (src[I_MTU])
    iface->mtu = src[I_MTU]->mtu;
  else if (iface->link)
    iface->mtu = iface->link->mtu;
  if (src[I_VLAN])
    iface->vlan = src[I_VLAN]->vlan;
  if (src[I_TRUNK])
    {
      iface->trunk = loom_xcalloc (src[I_TRUNK]->n_trunk, sizeof (int));
      memcpy (iface->trunk, src[I_TRUNK]->trunk, src[I_TRUNK]->n_trunk * sizeof (int));
      iface->n_trunk = src[I_TRUNK]->n_trunk;
    }
  for (f = I_VLAN; f <= I_TRUNK; f++)
    if (src[f] && !node->vlan_filtering)
      ERR_M (ps, &src[f]->fmark[f], "'%s' on %s:%s needs 'vlan-filtering: true' on %s",
             if_keys[f], node->name, iface->name, node->name);
}

/* An end's impairment, key by key: from its endpoint or the node's own `interfaces`
 * entry (both at once is an error, as for the other fields), else from the entry its
 * group, kind or defaults give, else from the link's `impair`. */
static void
resolve_impair (struct pstate *ps, struct ifctx *ic)
{
  struct loom_iface *iface = ic->iface;
  struct loom_node *node = ps->lab->nodes[ic->node];
  struct nctx *c = &ps->nctx[ic->node];
  const struct impset *own_set = NULL, *src[N_IMPAIR];
  const struct ifset *own = find_ifset (c->lv, iface->name);
  size_t k, i;

  if (own)
    own_set = &own->impair;
  for (k = 0; k < N_IMPAIR; k++)
    {
      src[k] = NULL;
      if (ic->ep.impair.text[k])
        {
          src[k] = &ic->ep.impair;
          if (own_set && own_set->text[k])
            ERR_M (ps, &own_set->vmark[k],
                   "impairment '%s' of %s:%s is also set in the link at line %d, column %d; set "
                   "it in one place",
                   impair_keys[k], node->name, iface->name, ic->ep.impair.vmark[k].line,
                   ic->ep.impair.vmark[k].col);
          continue;
        }
      for (i = 0; i < c->n_chain && !src[k]; i++)
        {
          const struct ifset *s = find_ifset (c->chain[i], iface->name);
          if (s && s->impair.text[k])
            src[k] = &s->impair;
        }
      if (!src[k] && ic->link_impair.text[k])
        src[k] = &ic->link_impair;
    }

  memset (&iface->impair, 0, sizeof (iface->impair));
  for (k = 0; k < N_IMPAIR; k++)
    {
      const char *why;
      if (src[k] == NULL)
        continue;
      /* Checked when read: cannot fail. */
      if (loom_impair_set (&iface->impair, impair_keys[k], src[k]->text[k], &why) < 0)
        abort ();
    }
  /* Jitter varies the delay: without one it means nothing (reported in check_jitter()). */
  if (iface->impair.jitter_ns && !iface->impair.delay_ns)
    {
      k = impair_index ("jitter");
      ic->lone_jitter = src[k]->kmark[k];
    }
}

/* "jitter needs a delay", once per place that wrote the jitter: a link's own jitter
 * without a delay anywhere is one mistake, not one per end. */
static void
check_jitter (struct pstate *ps)
{
  size_t i;

  for (i = 0; i < ps->n_ifc; i++)
    {
      struct ifctx *x = &ps->ifc[i], *y = i + 1 < ps->n_ifc ? &ps->ifc[i + 1] : NULL;

      if (x->lone_jitter.line == 0)
        continue;
      if (y && y->iface->link == x->iface->link && y->lone_jitter.line == x->lone_jitter.line
          && y->lone_jitter.col == x->lone_jitter.col)
        {
          ERR_M (ps, &x->lone_jitter,
                 "jitter needs a delay: %s:%s and %s:%s have jitter but no delay",
                 x->iface->node->name, x->iface->name, y->iface->node->name, y->iface->name);
          i++;
          continue;
        }
      ERR_M (ps, &x->lone_jitter, "jitter needs a delay: %s:%s has jitter but no delay",
             x->iface->node->name, x->iface->name);
    }
}

static bool
half_linked (struct pstate *ps, const char *node, const char *ifname)
{
  size_t i, n = strlen (node);

  for (i = 0; i < ps->n_half_linked; i++)
    if (strncmp (ps->half_linked[i], node, n) == 0 && ps->half_linked[i][n] == ':'
        && strcmp (ps->half_linked[i] + n + 1, ifname) == 0)
      return true;
  return false;
}

static bool
half_linked_node (struct pstate *ps, const char *node)
{
  size_t i, n = strlen (node);

  for (i = 0; i < ps->n_half_linked; i++)
    if (strncmp (ps->half_linked[i], node, n) == 0 && ps->half_linked[i][n] == ':')
      return true;
  return false;
}

/* What needs every interface of the node: the loopback, settings for interfaces the node
 * does not have, and routes (whose 'dev' must exist). */
static void
finish_node (struct pstate *ps, size_t idx)
{
  struct loom_node *node = ps->lab->nodes[idx];
  struct nctx *c = &ps->nctx[idx];
  struct level *lv;
  size_t i;

  for (i = 0; i < c->lv->n_ifs; i++)
    {
      const struct ifset *s = &c->lv->ifs[i];
      struct loom_iface *lo;

      if (loom_node_find_iface (node, s->name) || half_linked (ps, node->name, s->name))
        continue;
      if (strcmp (s->name, "lo") != 0)
        {
          ERR_M (ps, &s->mark,
                 "interface '%s' of node '%s' is on no link; only 'lo' can be configured "
                 "without a link",
                 s->name, node->name);
          continue;
        }
      if (c->kind_ok && node->kind != LOOM_KIND_HOST && node->kind != LOOM_KIND_ROUTER)
        {
          ERR_M (ps, &s->mark, "'lo' can only be configured on host and router nodes; %s is a %s",
                 node->name, loom_kind_name (node->kind));
          continue;
        }
      lo = loom_xcalloc (1, sizeof (*lo));
      lo->name = loom_xstrdup ("lo");
      lo->node = node;
      lo->mark = s->mark;
      LOOM_PUSH (node->ifaces, node->n_ifaces, lo);
      resolve_iface (ps, idx, lo, NULL);
    }

  if ((lv = pick (c, F_ROUTES))
      && applies (ps, c, node, lv->rank, "routes", &lv->fmark[F_ROUTES]))
    {
      node->routes = loom_xcalloc (lv->n_routes, sizeof (*node->routes));
      for (i = 0; i < lv->n_routes; i++)
        {
          struct loom_route r = lv->routes[i];
          if (r.dev && strcmp (r.dev, "lo") != 0 && !loom_node_find_iface (node, r.dev))
            {
              const char **names = loom_xcalloc (node->n_ifaces, sizeof (*names));
              loom_autofree char *list = NULL;
              size_t j;
              for (j = 0; j < node->n_ifaces; j++)
                names[j] = node->ifaces[j]->name;
              list = join_names (names, node->n_ifaces, 20);
              free (names);
              ERR_M (ps, &r.mark, "route '%s': %s has no interface '%s' (%s%s)", r.text,
                     node->name, r.dev, node->n_ifaces ? "interfaces: " : "it has no interfaces",
                     list);
            }
          r.dev = loom_xstrdup (r.dev);
          r.text = loom_xstrdup (r.text);
          if (r.family == AF_INET6)
            ps->lab->uses_ipv6 = true;
          node->routes[node->n_routes++] = r;
        }
    }
  if (c->kind_ok && node->kind == LOOM_KIND_NAT)
    {
      size_t links = 0;
      for (i = 0; i < node->n_ifaces; i++)
        if (node->ifaces[i]->link)
          links++;
      if (links != 1 && !half_linked_node (ps, node->name))
        ERR_M (ps, &node->mark,
               "nat node '%s' must be on exactly one link (its interface into the lab), found %zu",
               node->name, links);
    }
}

/* Published host ports, lab-wide: each (address, port, protocol) once, also across the
 * nat nodes' hostfwd; reported at the second. */
static void
check_ports (struct pstate *ps)
{
  struct loom_lab *lab = ps->lab;
  struct seen
  {
    const struct loom_port *p;
    const struct loom_node *node;
  } *seen = NULL;
  size_t n = 0, i, j, k, w;

  for (i = 0; i < lab->n_nodes; i++)
    for (w = 0; w < 2; w++)
      {
        const struct loom_node *node = lab->nodes[i];
        const struct loom_port *ports = w ? node->hostfwd : node->ports;
        size_t np = w ? node->n_hostfwd : node->n_ports;

        for (j = 0; j < np; j++)
          {
            struct seen s = { &ports[j], node };
            for (k = 0; k < n; k++)
              if (loom_port_conflict (seen[k].p, s.p))
                break;
            if (k < n)
              {
                bool v6 = strchr (s.p->host_addr, ':') != NULL;
                ERR_M (ps, &s.p->mark,
                       "host port %s%s%s:%u/%s of %s is already published by %s ('%s' at line "
                       "%d, column %d)",
                       v6 ? "[" : "", s.p->host_addr, v6 ? "]" : "", s.p->host_port,
                       s.p->proto == IPPROTO_UDP ? "udp" : "tcp", node->name, seen[k].node->name,
                       seen[k].p->text, seen[k].p->mark.line, seen[k].p->mark.col);
              }
            else
              LOOM_PUSH (seen, n, s);
          }
      }
  free (seen);
}

/* FRR settings of one router: frr-config whole from the most specific block that sets it;
 * the structured forms field by field, from the blocks more specific than that one. Runs
 * once the node's interfaces are known, to check the names the forms use. */

static bool
node_has_iface (const struct loom_node *node, const char *name)
{
  return strcmp (name, "lo") == 0 || loom_node_find_iface (node, name) != NULL;
}

static void
no_such_iface (struct pstate *ps, const struct loom_mark *m, const struct loom_node *node,
               const char *what, const char *name)
{
  const char **names = loom_xcalloc (node->n_ifaces + 1, sizeof (*names));
  loom_autofree char *list = NULL;
  size_t j, n = 0;

  /* The loopback is always there, whether or not the file configures it. */
  for (j = 0; j < node->n_ifaces; j++)
    if (strcmp (node->ifaces[j]->name, "lo") != 0)
      names[n++] = node->ifaces[j]->name;
  names[n++] = "lo";
  list = join_names (names, n, 20);
  free (names);
  ERR_M (ps, m, "%s '%s': %s has no interface '%s' (interfaces: %s)", what, name, node->name, name,
         list);
}

static bool
strv_has (char *const *v, size_t n, const char *s)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

static void
resolve_ospf (struct pstate *ps, struct loom_node *node, struct level **lvs, size_t n)
{
  struct loom_frr *frr = node->frr;
  const struct ospf_set *area = NULL, *rid = NULL, *ifs = NULL, *pas = NULL;
  size_t i;

  for (i = 0; i < n; i++)
    {
      const struct ospf_set *o = &lvs[i]->ospf;
      if (!area && o->has_area)
        area = o;
      if (!rid && o->has_rid)
        rid = o;
      if (!ifs && o->has_ifaces)
        ifs = o;
      if (!pas && o->has_passive)
        pas = o;
    }
  frr->ospf = true;
  frr->ospf_area = loom_xstrdup (area ? area->area : "0");
  frr->ospf_router_id = rid ? loom_xstrdup (rid->rid) : NULL;
  if (ifs)
    {
      for (i = 0; i < ifs->n_ifaces; i++)
        if (!node_has_iface (node, ifs->ifaces[i].s))
          no_such_iface (ps, &ifs->ifaces[i].mark, node, "ospf interface", ifs->ifaces[i].s);
        else
          LOOM_PUSH (frr->ospf_ifaces, frr->n_ospf_ifaces, loom_xstrdup (ifs->ifaces[i].s));
    }
  else
    for (i = 0; i < node->n_ifaces; i++)
      if (node->ifaces[i]->link)
        LOOM_PUSH (frr->ospf_ifaces, frr->n_ospf_ifaces, loom_xstrdup (node->ifaces[i]->name));
  for (i = 0; pas && i < pas->n_passive; i++)
    {
      const struct sval *p = &pas->passive[i];

      if (!node_has_iface (node, p->s))
        {
          no_such_iface (ps, &p->mark, node, "ospf passive interface", p->s);
          continue;
        }
      /* The loopback joins the area as a passive interface: that is how a router's
       * loopback address gets announced. */
      if (strcmp (p->s, "lo") == 0 && !strv_has (frr->ospf_ifaces, frr->n_ospf_ifaces, "lo"))
        LOOM_PUSH (frr->ospf_ifaces, frr->n_ospf_ifaces, loom_xstrdup ("lo"));
      if (!strv_has (frr->ospf_ifaces, frr->n_ospf_ifaces, p->s))
        {
          loom_autofree char *list
              = join_names ((const char *const *) frr->ospf_ifaces, frr->n_ospf_ifaces, 20);
          ERR_M (ps, &p->mark,
                 "ospf passive interface '%s' of %s is not one of its OSPF interfaces (%s); add "
                 "it to ospf 'interfaces'",
                 p->s, node->name, frr->n_ospf_ifaces ? list : "none");
          continue;
        }
      LOOM_PUSH (frr->ospf_passive, frr->n_ospf_passive, loom_xstrdup (p->s));
    }
}

static void
resolve_bgp (struct pstate *ps, struct loom_node *node, struct level **lvs, size_t n)
{
  struct loom_frr *frr = node->frr;
  const struct bgp_set *asn = NULL, *rid = NULL, *nbs = NULL, *nets = NULL;
  size_t i;

  for (i = 0; i < n; i++)
    {
      const struct bgp_set *b = &lvs[i]->bgp;
      if (!asn && b->has_asn)
        asn = b;
      if (!rid && b->has_rid)
        rid = b;
      if (!nbs && b->has_neighbors)
        nbs = b;
      if (!nets && b->has_networks)
        nets = b;
    }
  frr->bgp = true;
  for (i = 0; i < n && !asn; i++)
    if (lvs[i]->bgp.asn_written)
      break; /* an invalid one, already reported */
  if (asn)
    frr->bgp_asn = asn->asn;
  else if (i == n)
    ERR_M (ps, &lvs[0]->fmark[F_BGP],
           "'bgp' of %s has no 'asn'; expected the router's AS number (an integer from 1 to "
           "4294967295)",
           node->name);
  frr->bgp_router_id = rid ? loom_xstrdup (rid->rid) : NULL;
  if (nbs && nbs->n_neighbors)
    {
      frr->bgp_neighbors = loom_xcalloc (nbs->n_neighbors, sizeof (*frr->bgp_neighbors));
      memcpy (frr->bgp_neighbors, nbs->neighbors, nbs->n_neighbors * sizeof (*nbs->neighbors));
      frr->n_bgp_neighbors = nbs->n_neighbors;
    }
  if (nets && nets->n_networks)
    {
      frr->bgp_networks = loom_xcalloc (nets->n_networks, sizeof (*frr->bgp_networks));
      memcpy (frr->bgp_networks, nets->networks, nets->n_networks * sizeof (*nets->networks));
      frr->n_bgp_networks = nets->n_networks;
    }
  for (i = 0; i < frr->n_bgp_neighbors; i++)
    if (frr->bgp_neighbors[i].address.family == AF_INET6)
      ps->lab->uses_ipv6 = true;
  for (i = 0; i < frr->n_bgp_networks; i++)
    if (frr->bgp_networks[i].family == AF_INET6)
      ps->lab->uses_ipv6 = true;
}

static void
resolve_rip (struct pstate *ps, struct loom_node *node, struct level **lvs, size_t n)
{
  struct loom_frr *frr = node->frr;
  const struct rip_set *nets = NULL;
  size_t i;

  for (i = 0; i < n && !nets; i++)
    if (lvs[i]->rip.has_networks)
      nets = &lvs[i]->rip;
  frr->rip = true;
  for (i = 0; nets && i < nets->n_networks; i++)
    {
      const struct sval *v = &nets->networks[i];

      /* Prefixes have a '/', interface names cannot. */
      if (strchr (v->s, '/') == NULL && !node_has_iface (node, v->s))
        {
          no_such_iface (ps, &v->mark, node, "rip network", v->s);
          continue;
        }
      LOOM_PUSH (frr->rip_networks, frr->n_rip_networks, loom_xstrdup (v->s));
    }
}

static void
resolve_frr (struct pstate *ps, size_t idx)
{
  struct loom_node *node = ps->lab->nodes[idx];
  struct nctx *c = &ps->nctx[idx];
  struct level *fc = NULL, *lvs[3][4];
  size_t n[3] = { 0, 0, 0 }, i;
  int f;

  /* Every block is asked, so each misplaced key on the node itself is reported. */
  for (i = 0; i < c->n_chain; i++)
    {
      struct level *lv = c->chain[i];
      for (f = F_FRR_CONFIG; f <= F_RIP; f++)
        {
          const char *key = f == F_FRR_CONFIG ? "frr-config"
                            : f == F_OSPF     ? "ospf"
                            : f == F_BGP      ? "bgp"
                                              : "rip";
          if (!lv->has[f] || !applies (ps, c, node, lv->rank, key, &lv->fmark[f]))
            continue;
          if (f == F_FRR_CONFIG)
            {
              if (fc == NULL)
                fc = lv;
            }
          else if (fc == NULL)
            lvs[f - F_OSPF][n[f - F_OSPF]++] = lv;
        }
    }
  if (n[0] + n[1] + n[2] == 0 && fc == NULL)
    return;
  node->frr = loom_xcalloc (1, sizeof (*node->frr));
  if (n[0] + n[1] + n[2] == 0)
    {
      node->frr->config = loom_xstrdup (fc->frr_config);
      node->frr->config_path = fc->frr_config_path ? loom_xstrdup (fc->frr_config_path) : NULL;
      node->frr->mark = fc->fmark[F_FRR_CONFIG];
      return;
    }
  /* The mark: the first structured form written in the most specific block with one. */
  for (i = 0; i < c->n_chain && node->frr->mark.line == 0; i++)
    for (f = F_OSPF; f <= F_RIP; f++)
      {
        const struct loom_mark *m = &c->chain[i]->fmark[f], *best = &node->frr->mark;
        if (!n[f - F_OSPF] || lvs[f - F_OSPF][0] != c->chain[i])
          continue;
        if (best->line == 0 || m->line < best->line
            || (m->line == best->line && m->col < best->col))
          node->frr->mark = *m;
      }
  if (n[0])
    resolve_ospf (ps, node, lvs[0], n[0]);
  if (n[1])
    resolve_bgp (ps, node, lvs[1], n[1]);
  if (n[2])
    resolve_rip (ps, node, lvs[2], n[2]);
}

/* The top of the file */

/* Capture files are rotated in rings; a limit below a megabyte leaves no room for one
 * useful file. */
#define CAPTURE_LIMIT_MIN (1ull << 20)
#define SIZE_EXPECTED                                                                         \
  "a size (a number of bytes, or a whole number with a unit: KiB, MiB, GiB; KB, MB, GB; K, "  \
  "M, G; as in 64MiB)"

/* Parses a size as a lab file writes it: bytes ("1048576") or a whole number and a unit,
 * case-insensitive, optionally after a space. KB/MB/GB are decimal; the bare K/M/G are
 * taken as KiB/MiB/GiB, as most tools that accept them do. False on anything else,
 * overflow included. */
static bool
parse_size (const char *s, uint64_t *out)
{
  static const struct
  {
    const char *unit;
    uint64_t mult;
  } units[] = {
    { "", 1 },           { "B", 1 },
    { "K", 1ull << 10 }, { "KiB", 1ull << 10 }, { "KB", 1000 },
    { "M", 1ull << 20 }, { "MiB", 1ull << 20 }, { "MB", 1000 * 1000 },
    { "G", 1ull << 30 }, { "GiB", 1ull << 30 }, { "GB", 1000 * 1000 * 1000 },
  };
  uint64_t v = 0;
  size_t i;

  if (!isdigit ((unsigned char) *s))
    return false;
  for (; isdigit ((unsigned char) *s); s++)
    {
      if (v > (UINT64_MAX - 9) / 10)
        return false;
      v = v * 10 + (uint64_t) (*s - '0');
    }
  if (*s == ' ' && *++s == '\0')
    return false;
  for (i = 0; i < sizeof (units) / sizeof (units[0]); i++)
    if (strcasecmp (s, units[i].unit) == 0)
      {
        if (v > UINT64_MAX / units[i].mult)
          return false;
        *out = v * units[i].mult;
        return true;
      }
  return false;
}

/* "64 MiB" when exact, else "1000000 bytes"; points into @buf. */
static const char *
size_text (uint64_t v, char *buf, size_t size)
{
  static const char *const units[] = { "GiB", "MiB", "KiB" };
  static const int shifts[] = { 30, 20, 10 };
  size_t i;

  for (i = 0; i < 3; i++)
    if (v && v % (1ull << shifts[i]) == 0)
      {
        snprintf (buf, size, "%" PRIu64 " %s", v >> shifts[i], units[i]);
        return buf;
      }
  snprintf (buf, size, "%" PRIu64 " bytes", v);
  return buf;
}

#define SIZE_TEXT(v) size_text ((v), (char[48]){ 0 }, 48)

static bool
get_size (struct pstate *ps, yaml_node_t *n, const char *key, uint64_t *out)
{
  const char *s = scalar (n);
  uint64_t v;

  if (s == NULL || is_null (n) || strlen (s) != n->data.scalar.length || !parse_size (s, &v))
    {
      ERR (ps, n, "expected %s for '%s', found %s", SIZE_EXPECTED, key, FOUND (n));
      return false;
    }
  if (v < CAPTURE_LIMIT_MIN)
    {
      ERR (ps, n, "expected at least 1 MiB (1048576 bytes) for '%s', found %s (%" PRIu64 " bytes)",
           key, FOUND (n), v);
      return false;
    }
  *out = v;
  return true;
}

/* The top-level `capture:`: a boolean, or a mapping of settings. lab->capture already
 * holds the defaults, so a key left out keeps its default. */
static void
read_capture (struct pstate *ps, yaml_node_t *n)
{
  static const char *const keys[] = { "enabled", "snaplen", "link-limit", "lab-limit" };
  struct loom_capture_opts *opts = &ps->lab->capture;
  struct pair *pairs = NULL;
  yaml_node_t *link_v = NULL, *lab_v = NULL;
  bool link_ok = true, lab_ok = true, on;
  size_t np, i;
  int snaplen;

  if (is_null (n))
    return;
  if (n->type != YAML_MAPPING_NODE)
    {
      if (n->type == YAML_SCALAR_NODE && scalar_bool (n, &on))
        opts->enabled = on;
      else
        ERR (ps, n,
             "expected true, false or a mapping of capture settings (enabled, snaplen, "
             "link-limit, lab-limit) for 'capture', found %s",
             FOUND (n));
      return;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "enabled") == 0)
        get_bool (ps, v, key, &opts->enabled);
      else if (strcmp (key, "snaplen") == 0)
        {
          if (get_int (ps, v, key, 64, 262144, "an integer from 64 to 262144", &snaplen))
            opts->snaplen = (uint32_t) snaplen;
        }
      else if (strcmp (key, "link-limit") == 0)
        link_ok = get_size (ps, (link_v = v), key, &opts->link_limit);
      else if (strcmp (key, "lab-limit") == 0)
        lab_ok = get_size (ps, (lab_v = v), key, &opts->lab_limit);
      else
        unknown_key (ps, pairs[i].knode, "'capture'", keys, sizeof (keys) / sizeof (*keys));
    }
  free (pairs);

  /* One link's ring alone must fit in the lab's budget. */
  if (!link_ok || !lab_ok || opts->lab_limit >= opts->link_limit)
    return;
  if (lab_v && link_v)
    ERR (ps, lab_v,
         "expected 'lab-limit' to be at least 'link-limit' (%s, at line %d, column %d), found "
         "%s (%s)",
         SIZE_TEXT (opts->link_limit), (int) link_v->start_mark.line + 1,
         (int) link_v->start_mark.column + 1, FOUND (lab_v), SIZE_TEXT (opts->lab_limit));
  else if (lab_v)
    ERR (ps, lab_v,
         "expected 'lab-limit' to be at least 'link-limit' (%s by default; set a smaller "
         "'link-limit'), found %s (%s)",
         SIZE_TEXT (opts->link_limit), FOUND (lab_v), SIZE_TEXT (opts->lab_limit));
  else
    ERR (ps, link_v,
         "expected 'link-limit' to be at most 'lab-limit' (%s by default; set a larger "
         "'lab-limit'), found %s (%s)",
         SIZE_TEXT (opts->lab_limit), FOUND (link_v), SIZE_TEXT (opts->link_limit));
}

/* Whether each link is captured, so the engine reads link->capture alone: the lab, the
 * link itself and both nodes on it must all allow it. */
static void
resolve_capture (struct pstate *ps)
{
  struct loom_lab *lab = ps->lab;
  size_t i;

  for (i = 0; i < lab->n_links; i++)
    {
      struct loom_link *l = lab->links[i];
      l->capture = l->capture && lab->capture.enabled && l->a->node->capture
                   && l->b->node->capture;
    }
}

static void
read_topology (struct pstate *ps, yaml_node_t *n)
{
  static const char *const keys[] = { "nodes", "links", "defaults", "kinds", "groups" };
  struct pair *pairs = NULL;
  yaml_node_t *defaults = NULL, *kinds = NULL, *groups = NULL, *nodes = NULL, *links = NULL;
  yaml_node_t *defaults_key = NULL;
  size_t np, i;

  if (n == NULL || n->type != YAML_MAPPING_NODE)
    {
      ERR (ps, n, "expected a mapping with 'nodes' and 'links' for 'topology', found %s",
           FOUND (n));
      return;
    }
  np = map_pairs (ps, n, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key;
      if (strcmp (key, "defaults") == 0)
        defaults = pairs[i].vnode, defaults_key = pairs[i].knode;
      else if (strcmp (key, "kinds") == 0)
        kinds = pairs[i].vnode;
      else if (strcmp (key, "groups") == 0)
        groups = pairs[i].vnode;
      else if (strcmp (key, "nodes") == 0)
        nodes = pairs[i].vnode;
      else if (strcmp (key, "links") == 0)
        links = pairs[i].vnode;
      else if (strcmp (key, "capture") == 0)
        ERR (ps, pairs[i].knode,
             "unknown key 'capture' in 'topology'; put it at the top level of the file (for the "
             "whole lab), in node settings, or in a link");
      else
        unknown_key (ps, pairs[i].knode, "'topology'", keys, sizeof (keys) / sizeof (*keys));
    }
  free (pairs);

  read_level (ps, &ps->defaults, R_DEFAULTS, "defaults", defaults_key, defaults, "defaults");
  read_kinds (ps, kinds);
  read_named_levels (ps, groups, "groups", R_GROUP, &ps->groups, &ps->n_groups);
  read_named_levels (ps, nodes, "nodes", R_NODE, &ps->nodes, &ps->n_nodes);
  build_nodes (ps);
  for (i = 0; i < ps->lab->n_nodes; i++)
    resolve_node (ps, i);
  read_links (ps, links);
  for (i = 0; i < ps->n_ifc; i++)
    {
      resolve_iface (ps, ps->ifc[i].node, ps->ifc[i].iface, &ps->ifc[i].ep);
      resolve_impair (ps, &ps->ifc[i]);
    }
  check_jitter (ps);
  for (i = 0; i < ps->lab->n_nodes; i++)
    {
      finish_node (ps, i);
      resolve_frr (ps, i);
    }
  check_ports (ps);
}

/* Finds topology.nodes before anything else so check_keys can word a repeated node name
 * as such. */
static yaml_node_t *
find_nodes_map (struct pstate *ps, yaml_node_t *root)
{
  yaml_node_t *topo = NULL;
  yaml_node_pair_t *p;

  if (root == NULL || root->type != YAML_MAPPING_NODE)
    return NULL;
  for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !topo; p++)
    {
      const char *k = scalar (ynode (ps, p->key));
      if (k && strcmp (k, "topology") == 0)
        topo = ynode (ps, p->value);
    }
  if (topo == NULL || topo->type != YAML_MAPPING_NODE)
    return NULL;
  for (p = topo->data.mapping.pairs.start; p < topo->data.mapping.pairs.top; p++)
    {
      const char *k = scalar (ynode (ps, p->key));
      if (k && strcmp (k, "nodes") == 0)
        return ynode (ps, p->value);
    }
  return NULL;
}

static void
read_top (struct pstate *ps, yaml_node_t *root)
{
  static const char *const keys[] = { "name", "prefix", "topology", "capture" };
  struct loom_lab *lab = ps->lab;
  struct pair *pairs = NULL;
  yaml_node_t *topo = NULL;
  bool has_name = false, has_topo = false;
  size_t np, i;

  if (root->type != YAML_MAPPING_NODE)
    {
      ERR (ps, root, "expected a mapping with 'name' and 'topology' at the top of the lab file, "
                     "found %s",
           FOUND (root));
      return;
    }
  lab->mark = mk (ps, root);
  np = map_pairs (ps, root, &pairs);
  for (i = 0; i < np; i++)
    {
      const char *key = pairs[i].key, *s;
      yaml_node_t *v = pairs[i].vnode;

      if (strcmp (key, "name") == 0)
        {
          has_name = true;
          if ((s = get_string (ps, v, "name")) == NULL)
            continue;
          if (!loom_name_valid (s))
            ERR (ps, v,
                 "invalid lab name '%s': expected 1 to 32 letters, digits, '_', '.' or '-', not "
                 "starting with '-' or '.'",
                 s);
          else
            lab->name = loom_xstrdup (s);
        }
      else if (strcmp (key, "prefix") == 0)
        {
          s = is_null (v) ? "" : get_string (ps, v, "prefix");
          if (s == NULL)
            continue;
          if (*s && !loom_name_valid (s))
            ERR (ps, v,
                 "invalid prefix '%s': expected \"\" or 1 to 32 letters, digits, '_', '.' or "
                 "'-', not starting with '-' or '.'",
                 s);
          else
            {
              free (lab->prefix);
              lab->prefix = loom_xstrdup (s);
            }
        }
      else if (strcmp (key, "topology") == 0)
        topo = v, has_topo = true;
      else if (strcmp (key, "capture") == 0)
        read_capture (ps, v);
      else if (strcmp (key, "mgmt") == 0 || strcmp (key, "settings") == 0)
        warn_unsupported (ps, pairs[i].knode);
      else
        unknown_key (ps, pairs[i].knode, "the top level", keys, sizeof (keys) / sizeof (*keys));
    }
  free (pairs);
  if (!has_name)
    ERR (ps, root, "expected 'name' at the top of the lab file: the lab's name (1 to 32 "
                   "letters, digits, '_', '.' or '-')");
  if (!has_topo)
    ERR (ps, root, "expected 'topology' at the top of the lab file: a mapping with 'nodes' and "
                   "'links'");
  else
    {
      /* After the loop: the top-level capture settings, wherever written, are known. */
      read_topology (ps, topo);
      resolve_capture (ps);
    }
}

static void
pstate_free (struct pstate *ps)
{
  size_t i;

  level_free (&ps->defaults);
  for (i = 0; i < LOOM_KIND__COUNT; i++)
    level_free (&ps->kinds[i]);
  for (i = 0; i < ps->n_groups; i++)
    level_free (&ps->groups[i]);
  free (ps->groups);
  for (i = 0; i < ps->n_nodes; i++)
    level_free (&ps->nodes[i]);
  free (ps->nodes);
  for (i = 0; i < ps->n_ifc; i++)
    ifset_free (&ps->ifc[i].ep);
  free (ps->ifc);
  for (i = 0; i < ps->n_half_linked; i++)
    free (ps->half_linked[i]);
  free (ps->half_linked);
  free (ps->nctx);
  free (ps->dups);
  free (ps->warned);
  free (ps->hkeys);
  free (ps->hvals);
}

static void
yaml_error (struct pstate *ps, yaml_parser_t *parser)
{
  struct loom_mark m = { ps->lab->file, (int) parser->problem_mark.line + 1,
                         (int) parser->problem_mark.column + 1 };
  const char *problem = parser->problem ? parser->problem : "cannot parse the file";

  if (parser->error == YAML_MEMORY_ERROR)
    abort ();
  /* The reader (encoding errors) reports a byte offset, not a mark. */
  if (parser->error == YAML_READER_ERROR)
    {
      m.line = m.col = 0;
      ERR_M (ps, &m, "invalid YAML: %s at byte %zu", problem, parser->problem_offset);
      return;
    }
  if (parser->context && parser->context_mark.line != parser->problem_mark.line)
    ERR_M (ps, &m, "invalid YAML: %s (%s at line %d)", problem, parser->context,
           (int) parser->context_mark.line + 1);
  else if (parser->context)
    ERR_M (ps, &m, "invalid YAML: %s (%s)", problem, parser->context);
  else
    ERR_M (ps, &m, "invalid YAML: %s", problem);
}

/* The absolute directory of @path, or of the working directory when @path is NULL. */
static char *
abs_dir (const char *path)
{
  loom_autofree char *dir = NULL;
  char *slash, *real;

  if (path == NULL)
    dir = loom_xstrdup (".");
  else
    {
      dir = loom_xstrdup (path);
      slash = strrchr (dir, '/');
      if (slash == NULL)
        strcpy (dir, ".");
      else if (slash == dir)
        dir[1] = '\0';
      else
        *slash = '\0';
    }
  real = realpath (dir, NULL);
  if (real == NULL)
    {
      char *cwd = getcwd (NULL, 0);
      if (cwd && dir[0] != '/')
        real = loom_xasprintf ("%s/%s", cwd, dir);
      else
        real = loom_xstrdup (dir);
      free (cwd);
    }
  return real;
}

struct diag_ref
{
  struct loom_diag d;
  size_t order;
};

static int
diag_ref_cmp (const void *a, const void *b)
{
  const struct diag_ref *x = a, *y = b;

  if (x->d.line != y->d.line)
    return x->d.line < y->d.line ? -1 : 1;
  if (x->d.col != y->d.col)
    return x->d.col < y->d.col ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Diagnostics come out in file order, whatever pass found them. */
static void
sort_diags (struct loom_diags *diags, size_t from)
{
  size_t n = diags->n - from, i;
  struct diag_ref *refs;

  if (n < 2)
    return;
  refs = loom_xcalloc (n, sizeof (*refs));
  for (i = 0; i < n; i++)
    refs[i] = (struct diag_ref){ diags->items[from + i], i };
  qsort (refs, n, sizeof (*refs), diag_ref_cmp);
  for (i = 0; i < n; i++)
    diags->items[from + i] = refs[i].d;
  free (refs);
}

static struct loom_lab *
load (const char *name, const char *path, const char *data, size_t len, struct loom_diags *diags)
{
  struct pstate ps;
  yaml_parser_t parser;
  yaml_document_t doc, extra;
  yaml_node_t *root;
  size_t start_errors = diags->n_errors, start = diags->n;
  struct loom_lab *lab = loom_xcalloc (1, sizeof (*lab));

  memset (&ps, 0, sizeof (ps));
  lab->file = loom_xstrdup (name);
  lab->prefix = loom_xstrdup (LOOM_DEFAULT_PREFIX);
  lab->capture.enabled = true;
  lab->capture.snaplen = LOOM_CAPTURE_SNAPLEN_DEFAULT;
  lab->capture.link_limit = LOOM_CAPTURE_LINK_LIMIT_DEFAULT;
  lab->capture.lab_limit = LOOM_CAPTURE_LAB_LIMIT_DEFAULT;
  /* Known before the walk: frr-config paths are relative to it. */
  lab->dir = abs_dir (path);
  ps.lab = lab;
  ps.diags = diags;
  ps.doc = &doc;

  if (!yaml_parser_initialize (&parser))
    abort ();
  yaml_parser_set_input_string (&parser, (const unsigned char *) data, len);
  if (!yaml_parser_load (&parser, &doc))
    {
      yaml_error (&ps, &parser);
      yaml_parser_delete (&parser);
      loom_lab_free (lab);
      return NULL;
    }
  root = yaml_document_get_root_node (&doc);
  if (root == NULL)
    {
      struct loom_mark m = { lab->file, 0, 0 };
      ERR_M (&ps, &m, "the lab file is empty; expected a mapping with 'name' and 'topology'");
    }
  else
    {
      /* Only the first document is a lab; a second one is most likely a mistake. */
      if (!yaml_parser_load (&parser, &extra))
        yaml_error (&ps, &parser);
      else
        {
          yaml_node_t *r2 = yaml_document_get_root_node (&extra);
          if (r2)
            {
              struct loom_mark m = { lab->file, (int) extra.start_mark.line + 1,
                                     (int) extra.start_mark.column + 1 };
              ERR_M (&ps, &m, "expected one YAML document in the lab file; this is a second one");
            }
          yaml_document_delete (&extra);
        }
      ps.nodes_map = find_nodes_map (&ps, root);
      check_keys (&ps);
      read_top (&ps, root);
    }
  pstate_free (&ps);
  yaml_document_delete (&doc);
  yaml_parser_delete (&parser);
  sort_diags (diags, start);

  if (diags->n_errors > start_errors)
    {
      loom_lab_free (lab);
      return NULL;
    }
  return lab;
}

struct loom_lab *
loom_topology_load_buffer (const char *name, const char *data, size_t len,
                           struct loom_diags *diags)
{
  return load (name, NULL, data, len, diags);
}

struct loom_lab *
loom_topology_load (const char *path, struct loom_diags *diags)
{
  loom_autofree char *data = NULL;
  loom_error_t err = NULL;
  size_t len = 0;

  if (loom_read_file (path, &data, &len, &err) < 0)
    {
      struct loom_mark m = { path, 0, 0 };
      loom_diags_add (diags, LOOM_DIAG_ERROR, &m, "cannot read the lab file: %s",
                      strerror (err->status));
      loom_error_release (&err);
      return NULL;
    }
  return load (path, path, data, len, diags);
}
