/* The lab model: what a lab file describes, after parsing, inheritance and validation.
 * Pure data — nothing here touches the kernel, and this folder depends on nothing else
 * of netloom's but core/util.h's allocation helpers. Every object remembers where in the
 * lab file it came from (struct loom_mark) so later errors can name file:line:col. */
#ifndef LOOM_TOPOLOGY_MODEL_H
#define LOOM_TOPOLOGY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topology/impair.h"

#define LOOM_NAME_MAX 32   /* lab and node names */
#define LOOM_IFNAME_MAX 15 /* interface names (IFNAMSIZ - 1) */
#define LOOM_DEFAULT_PREFIX "nlm"

struct loom_mark
{
  const char *file; /* borrowed from struct loom_lab.file */
  int line;         /* 1-based; 0 when unknown */
  int col;          /* 1-based */
};

enum loom_kind
{
  LOOM_KIND_HOST = 0,  /* a network namespace */
  LOOM_KIND_ROUTER,    /* a namespace with IPv4/IPv6 forwarding on */
  LOOM_KIND_SWITCH,    /* a kernel bridge in its own namespace (alias: bridge) */
  LOOM_KIND_HUB,       /* a bridge that floods every frame */
  LOOM_KIND_CONTAINER, /* containerlab's linux; needs container support */
  LOOM_KIND_VM,        /* QEMU guest; needs VM support */
  LOOM_KIND_NAT,       /* libslirp; needs the supervisor */
  LOOM_KIND__COUNT
};

/* Name as netloom prints it ("host", "router", ...). */
const char *loom_kind_name (enum loom_kind kind);
/* Parses a kind as written in a lab file, aliases included (bridge -> switch,
 * linux -> container). Returns -1 when unknown. */
int loom_kind_parse (const char *name);

struct loom_kv
{
  char *key;
  char *value;
  struct loom_mark mark;
};

struct loom_addr
{
  int family;          /* AF_INET or AF_INET6 */
  uint8_t bytes[16];   /* network byte order */
  int prefixlen;       /* -1 when none was written */
  char text[64];       /* as written, normalised ("10.0.1.2/24") */
  struct loom_mark mark;
};

struct loom_route
{
  int family;             /* AF_INET or AF_INET6 */
  struct loom_addr dst;   /* prefixlen 0 for "default" */
  bool has_gateway;
  struct loom_addr gateway;
  char *dev;              /* optional "dev eth1" (NULL when absent) */
  int metric;             /* 0 when not given */
  char *text;             /* as written */
  struct loom_mark mark;
};

/* A router's FRR settings (`frr-config`, or the structured `ospf`, `bgp` and `rip`). */
struct loom_bgp_neighbor
{
  struct loom_addr address; /* IPv4 or IPv6, no prefix length */
  uint32_t remote_as;
  struct loom_mark mark;
};

struct loom_frr
{
  char *config;      /* frr-config text (inline, or the file's content); NULL when structured */
  char *config_path; /* absolute path when read from a file, else NULL */
  bool ospf;
  char *ospf_area;      /* "0", "0.0.0.1": as written, normalised; "0" by default */
  char *ospf_router_id; /* NULL when not given */
  char **ospf_ifaces;   /* the interfaces in the area (lo too when it is passive) */
  size_t n_ospf_ifaces;
  char **ospf_passive; /* a subset of ospf_ifaces */
  size_t n_ospf_passive;
  bool bgp;
  uint32_t bgp_asn;
  char *bgp_router_id; /* NULL when not given */
  struct loom_bgp_neighbor *bgp_neighbors;
  size_t n_bgp_neighbors;
  struct loom_addr *bgp_networks; /* prefixes, host bits zero */
  size_t n_bgp_networks;
  bool rip;
  char **rip_networks; /* IPv4 prefixes ("10.0.0.0/8") and interface names */
  size_t n_rip_networks;
  struct loom_mark mark; /* the most specific frr-config/ospf/bgp/rip value */
};

struct loom_node;
struct loom_link;

/* A host path bound into a container (`binds: ["data:/srv", "/etc/x:/etc/x:ro"]`). */
struct loom_bind
{
  char *src; /* absolute (relative paths in the file are relative to the lab file) */
  char *dst; /* absolute path inside the container */
  bool ro;
  struct loom_mark mark;
};

/* A named volume (`volumes: ["web-data:/var/www"]`): a directory kept in the lab
 * directory across destroy and deploy, removed only by `destroy --cleanup`. */
struct loom_volume
{
  char *name; /* [A-Za-z0-9_.-], as loom_name_valid() */
  char *dst;  /* absolute path inside the container */
  bool ro;
  struct loom_mark mark;
};

/* A published port (`ports: ["8080:80", "127.0.0.1:5353:53/udp"]`), or for a nat
 * node a host port forwarded into the lab (`hostfwd: ["2222:10.0.2.15:22"]`). */
struct loom_port
{
  char host_addr[64]; /* "127.0.0.1" unless given ("0.0.0.0", "::1" ...) */
  uint16_t host_port;
  char node_addr[64]; /* hostfwd only: the lab address forwarded to; "" for ports */
  uint16_t node_port;
  int proto;          /* IPPROTO_TCP (default) or IPPROTO_UDP */
  char *text;         /* as written */
  struct loom_mark mark;
};

struct loom_iface
{
  char *name; /* eth1, p3 ... */
  struct loom_node *node;
  struct loom_link *link; /* the link it is on; NULL for an interface on no link */
  bool has_mac;
  uint8_t mac[6];
  int mtu;                 /* 0: the link's, else the kernel default */
  struct loom_addr *addrs; /* IPv4 and IPv6, in the order written */
  size_t n_addrs;
  struct loom_impair impair; /* what the link does to frames this end sends */
  int vlan;   /* switch access port VLAN; 0 = none */
  int *trunk; /* switch trunk port: tagged VLANs */
  size_t n_trunk;
  struct loom_mark mark;
};

struct loom_node
{
  char *name;
  enum loom_kind kind;
  char *kind_written; /* the kind as the file wrote it (e.g. "bridge", "linux") */
  char *group;        /* NULL when none */
  char *image;        /* containers: an image name (syntax checked only); VMs: an absolute
                       * disk path or a built-in guest ("netloom-tiny", also the default
                       * when there is no kernel either); NULL for other kinds */
  struct loom_mark image_mark; /* where the image was written (defaults, kinds, groups) */
  char **exec;        /* commands run inside the node after the lab is up, in order */
  size_t n_exec;
  struct loom_kv *env; /* env-files' variables first, then env's (which win) */
  size_t n_env;
  struct loom_kv *labels;
  size_t n_labels;
  struct loom_kv *sysctls; /* "net.ipv4.ip_forward" -> "1" */
  size_t n_sysctls;
  struct loom_route *routes;
  size_t n_routes;
  struct loom_iface **ifaces; /* in the order the file names them */
  size_t n_ifaces;
  struct loom_frr *frr; /* routers running FRR; NULL when the node runs none */
  /* switch / hub */
  bool vlan_filtering;
  bool stp;
  bool capture; /* false: links touching this node are not captured */
  /* containers (kind container / linux); cmd and entrypoint as argv (a string in the
   * file is split as a shell would, without expansion); NULL/0 when not given */
  char *rootfs; /* `rootfs: DIR`, absolute; NULL when the node uses `image` */
  char **cmd;
  size_t n_cmd;
  bool has_cmd; /* given (an empty list clears the image's) */
  char **entrypoint;
  size_t n_entrypoint;
  bool has_entrypoint;
  char *workdir;
  char *user;     /* "name", "uid", "uid:gid" */
  char *hostname; /* NULL when not given: the runtime uses the node's name */
  struct loom_bind *binds;
  size_t n_binds;
  struct loom_volume *volumes;
  size_t n_volumes;
  double cpu;      /* CPUs (0.5, 2); 0 = no limit */
  uint64_t memory; /* bytes; 0 = no limit (containers) or the default (VMs) */
  /* any kind: ports published on the host */
  struct loom_port *ports;
  size_t n_ports;
  /* VMs (kind vm); image is a disk (qcow2/raw) path, absolute, or a built-in guest
   * ("netloom-tiny") */
  char *kernel; /* absolute; NULL when none */
  char *initrd;
  char *append;
  int cpus;    /* 0 = 1 */
  char *accel; /* "auto", "kvm", "tcg"; the parser sets "auto" for a VM that does not
                * choose (NULL only for other kinds; treat NULL as "auto") */
  /* nat */
  struct loom_port *hostfwd;
  size_t n_hostfwd;
  char *nat_network; /* the nat node's DHCP/gateway subnet, "10.0.2.0/24" unless given
                      * (set for every nat node; NULL for other kinds) */
  /* canvas position; has_position false when the file gives none */
  bool has_position;
  double x, y;
  struct loom_mark mark;
  struct loom_mark kind_mark;
};

struct loom_link
{
  struct loom_iface *a, *b;
  int mtu; /* 0 when not given */
  bool capture; /* false when the link (or a node on it) says capture: false */
  struct loom_mark mark;
};

/* Lab-wide capture settings (`capture:` at the top of the lab file). */
#define LOOM_CAPTURE_SNAPLEN_DEFAULT 65535
#define LOOM_CAPTURE_LINK_LIMIT_DEFAULT (64ULL << 20) /* bytes of files per link */
#define LOOM_CAPTURE_LAB_LIMIT_DEFAULT (1ULL << 30)   /* bytes of files per lab */

struct loom_capture_opts
{
  bool enabled;        /* default true */
  uint32_t snaplen;    /* bytes kept of each frame */
  uint64_t link_limit; /* the ring of files of one link never exceeds this */
  uint64_t lab_limit;  /* all capture files of the lab never exceed this */
};

struct loom_lab
{
  char *name;
  char *prefix; /* namespace name prefix; "" means none */
  char *file;   /* the lab file's path as given */
  char *dir;    /* absolute directory of the lab file */
  struct loom_node **nodes;
  size_t n_nodes;
  struct loom_link **links;
  size_t n_links;
  bool uses_ipv6; /* any IPv6 address or route anywhere in the lab */
  struct loom_capture_opts capture;
  struct loom_mark mark;
};

/* Diagnostics: the parser and validator collect every error (and warning) in a file
 * instead of stopping at the first. */
enum loom_severity
{
  LOOM_DIAG_ERROR,
  LOOM_DIAG_WARNING,
};

struct loom_diag
{
  enum loom_severity severity;
  char *file;
  int line, col; /* 1-based; 0 when the problem is with the file as a whole */
  char *msg;
};

struct loom_diags
{
  struct loom_diag *items;
  size_t n;
  size_t n_errors;
};

void loom_diags_add (struct loom_diags *d, enum loom_severity sev, const struct loom_mark *mark,
                     const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));
/* Formats one diagnostic as "file:line:col: error: msg" (owned by the caller). */
char *loom_diag_format (const struct loom_diag *diag);
void loom_diags_clear (struct loom_diags *d);

/**
 * loom_topology_load() - parse and validate a lab file.
 * @path: the lab file.
 * @diags: receives every error and warning, each with file:line:col.
 *
 * Returns the lab (owned by the caller, free with loom_lab_free()) or NULL when the file
 * could not be read or has any error. Warnings alone do not fail the load.
 */
struct loom_lab *loom_topology_load (const char *path, struct loom_diags *diags);
/* The same from a buffer; @name is the file name used in diagnostics. */
struct loom_lab *loom_topology_load_buffer (const char *name, const char *data, size_t len,
                                            struct loom_diags *diags);
void loom_lab_free (struct loom_lab *lab);
/* Free each element's strings and then the array itself (NULL with n == 0 is fine): the
 * lab-file parser uses them for its own, not yet copied, values too. */
void loom_kvs_free (struct loom_kv *kv, size_t n);
void loom_binds_free (struct loom_bind *b, size_t n);
void loom_volumes_free (struct loom_volume *v, size_t n);
void loom_ports_free (struct loom_port *p, size_t n);

struct loom_node *loom_lab_find_node (const struct loom_lab *lab, const char *name);
struct loom_iface *loom_node_find_iface (const struct loom_node *node, const char *name);

/* Name checks shared by the parser and the CLI: 1..LOOM_NAME_MAX of [A-Za-z0-9_.-], not
 * starting with '-' or '.'. Interface names: 1..15 of [A-Za-z0-9_.-] (also not "." or ".."). */
bool loom_name_valid (const char *name);
bool loom_ifname_valid (const char *name);

/* Parsing helpers (also used by the CLI for run-time arguments). Return 0 or -1 and set
 * *why to a static explanation of what was expected. */
int loom_addr_parse (const char *text, bool need_prefix, struct loom_addr *out, const char **why);
int loom_route_parse (const char *text, struct loom_route *out, const char **why);
int loom_mac_parse (const char *text, uint8_t mac[6]);
/* True when no bit after @a's prefix length is set (10.0.2.0/24, not 10.0.2.1/24). */
bool loom_addr_is_network (const struct loom_addr *a);
/* Frees what loom_route_parse() allocated in @route (dev, text); the struct itself is the
 * caller's. */
void loom_route_clear (struct loom_route *route);

/**
 * loom_frr_render() - the frr.conf a router runs.
 * @node: the node; its frr settings come from the lab file.
 *
 * Returns the text as given for `frr-config`, a complete FRR 8.4 configuration for the
 * structured forms (ospf, bgp, rip), or NULL when @node->frr is NULL. Owned by the
 * caller (free()).
 */
char *loom_frr_render (const struct loom_node *node);

#endif
