/* The one-line packet decoder (core/decode.h): Ethernet, VLAN tags, LLC/STP, ARP, LLDP,
 * IPv4/IPv6 with extension headers, ICMP/ICMPv6 with neighbour discovery, TCP, UDP, DHCP,
 * DNS, OSPF and BGP. Every layer reads through a bounded reader (struct loom_rd) that
 * refuses to step past the bytes it was given, and each layer hands the next one a
 * sub-reader cut to the length its header announces, so neither the capture's end nor a
 * lying length field can make us read too far; where the bytes run out the line ends in
 * tcpdump's "[|proto]". Output goes through a writer (struct loom_out) that truncates
 * silently, so a short buffer always holds a prefix of the full line. It runs once per
 * captured packet: no allocation, no global state. Conventions of the line: IP lines
 * name IP addresses (and ports) rather than MACs; ", length N" is the payload length for
 * TCP and UDP (as in tcpdump) and the IP packet length for everything else, and those
 * lines also carry the TTL (hop limit), which is what traceroutes and loops show. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/decode.h"

#define N_ELEMS(a) (sizeof (a) / sizeof ((a)[0]))

/* A reader over [p, p + len): every access checks what is left first. */
struct loom_rd
{
  const uint8_t *p;
  size_t len;
  size_t off;
};

/* The line being written; @ended is set by a truncation or "bad" marker, which always
 * ends the line even if a careless caller keeps printing. */
struct loom_out
{
  char *buf;
  size_t size;
  size_t len;
  bool ended;
};

struct loom_eth
{
  const uint8_t *dst;
  const uint8_t *src;
  size_t origlen;
};

enum
{
  EXT_HBH = 1,
  EXT_DSTOPT = 2,
  EXT_RH = 4,
  EXT_AH = 8,
};

/* What the IP layer tells the transport layer: the addresses (already formatted, since
 * every line needs them), the lengths the IP header claims, and what to mention about
 * fragments and IPv6 extension headers right after the addresses. */
struct loom_ip
{
  int family;
  char src[INET6_ADDRSTRLEN];
  char dst[INET6_ADDRSTRLEN];
  unsigned ttl;
  size_t pkt_len;
  size_t l4_len;
  unsigned ext;
  bool frag;
  bool frag_more;
  uint32_t frag_id;
  unsigned frag_off;
};

/* ---- bounded reader -------------------------------------------------------------- */

static size_t
rd_left (const struct loom_rd *r)
{
  return r->len - r->off;
}

static bool
rd_bytes (struct loom_rd *r, size_t n, const uint8_t **v)
{
  if (n > rd_left (r))
    return false;
  *v = r->p + r->off;
  r->off += n;
  return true;
}

static bool
rd_skip (struct loom_rd *r, size_t n)
{
  const uint8_t *v;
  return rd_bytes (r, n, &v);
}

/* The next @n bytes, or fewer if the capture ends first, as a reader of their own: a
 * layer cut this way cannot run into the next message or into Ethernet padding. */
static struct loom_rd
rd_sub (struct loom_rd *r, size_t n)
{
  struct loom_rd s;

  if (n > rd_left (r))
    n = rd_left (r);
  s.p = r->p + r->off;
  s.len = n;
  s.off = 0;
  r->off += n;
  return s;
}

/* These only ever look at bytes a reader has already vouched for. */
static unsigned
be16 (const uint8_t *p)
{
  return (unsigned) p[0] << 8 | p[1];
}

static uint32_t
be32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static bool
is_zero (const uint8_t *p, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (p[i] != 0)
      return false;
  return true;
}

/* Number-to-name tables for protocol fields; a miss is shown as the number. */
struct loom_name
{
  unsigned value;
  const char *name;
};

static const char *
name_lookup (const struct loom_name *t, size_t n, unsigned value)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (t[i].value == value)
      return t[i].name;
  return NULL;
}

/* ---- output ------------------------------------------------------------------------ */

static void out_printf (struct loom_out *o, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
out_printf (struct loom_out *o, const char *fmt, ...)
{
  va_list ap;
  size_t room;
  int n;

  if (o->ended || o->len + 1 >= o->size)
    return;
  room = o->size - o->len;
  va_start (ap, fmt);
  n = vsnprintf (o->buf + o->len, room, fmt, ap);
  va_end (ap);
  if (n < 0)
    o->buf[o->len] = '\0';
  else
    o->len += (size_t) n < room ? (size_t) n : room - 1;
}

static void
out_putc (struct loom_out *o, char c)
{
  if (o->ended || o->len + 1 >= o->size)
    return;
  o->buf[o->len++] = c;
  o->buf[o->len] = '\0';
}

static void
out_puts (struct loom_out *o, const char *s)
{
  out_printf (o, "%s", s);
}

/* "[|proto]": the capture (or the enclosing length) ended before this protocol did. */
static void
out_trunc (struct loom_out *o, const char *proto)
{
  out_printf (o, "%s[|%s]", o->len ? " " : "", proto);
  o->ended = true;
}

/* A field that makes the rest unreadable (a length below the minimum, a loop). */
static void
out_bad (struct loom_out *o, const char *what)
{
  out_printf (o, "%s[bad %s]", o->len ? " " : "", what);
  o->ended = true;
}

static void
out_mac (struct loom_out *o, const uint8_t *m)
{
  out_printf (o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
out_macs (struct loom_out *o, const struct loom_eth *eth)
{
  out_mac (o, eth->src);
  out_puts (o, " > ");
  out_mac (o, eth->dst);
  out_puts (o, " ");
}

/* @a points at 4 (AF_INET) or 16 (AF_INET6) readable bytes. */
static void
out_addr (struct loom_out *o, int family, const uint8_t *a)
{
  char s[INET6_ADDRSTRLEN];

  if (inet_ntop (family, a, s, sizeof (s)) != NULL)
    out_puts (o, s);
}

/* Strings from the wire (LLDP names, DNS labels) may hold anything; escaping keeps the
 * line one printable line, and the cap keeps one field from crowding out the rest. */
static void
out_escaped (struct loom_out *o, const uint8_t *p, size_t n, size_t cap)
{
  size_t i;

  for (i = 0; i < n && i < cap; i++)
    {
      if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
        out_putc (o, (char) p[i]);
      else
        out_printf (o, "\\x%02x", p[i]);
    }
  if (n > cap)
    out_puts (o, "...");
}

/* " flags [a b]" for the bits of @bits that @t names; nothing when none is set. */
static void
out_flags (struct loom_out *o, unsigned bits, const struct loom_name *t, size_t n)
{
  bool first = true;
  size_t i;

  for (i = 0; i < n; i++)
    if (bits & t[i].value)
      {
        out_printf (o, first ? " flags [%s" : " %s", t[i].name);
        first = false;
      }
  if (!first)
    out_puts (o, "]");
}

static void
out_ip_addrs (struct loom_out *o, const struct loom_ip *ip, int sport, int dport)
{
  if (sport >= 0)
    out_printf (o, "%s.%d > %s.%d ", ip->src, sport, ip->dst, dport);
  else
    out_printf (o, "%s > %s ", ip->src, ip->dst);
  if (ip->ext & EXT_HBH)
    out_puts (o, "HBH ");
  if (ip->ext & EXT_DSTOPT)
    out_puts (o, "DSTOPT ");
  if (ip->ext & EXT_RH)
    out_puts (o, "RH ");
  if (ip->ext & EXT_AH)
    out_puts (o, "AH ");
  if (ip->frag)
    out_printf (o, "frag id %u offset %u%s ", (unsigned) ip->frag_id, ip->frag_off,
                ip->frag_more ? "+" : "");
}

static void
out_ip_tail (struct loom_out *o, const struct loom_ip *ip)
{
  out_printf (o, " %s %u, length %zu", ip->family == AF_INET ? "ttl" : "hlim", ip->ttl,
              ip->pkt_len);
}

static const char *
ip_proto_name (unsigned proto)
{
  static const struct loom_name names[] = {
    { 1, "ICMP" },
    { 2, "IGMP" },
    { 4, "IPIP" },
    { 6, "TCP" },
    { 17, "UDP" },
    { 41, "IPv6" },
    { 47, "GRE" },
    { 50, "ESP" },
    { 51, "AH" },
    { 58, "ICMPv6" },
    { 59, "no next header" },
    { 89, "OSPF" },
    { 103, "PIM" },
    { 112, "VRRP" },
    { 115, "L2TP" },
    { 132, "SCTP" },
  };
  return name_lookup (names, N_ELEMS (names), proto);
}

/* ---- DHCP -------------------------------------------------------------------------- */

static const char *
dhcp_type_name (unsigned t)
{
  static const char *const names[]
      = { NULL, "Discover", "Offer", "Request", "Decline", "Ack", "Nak", "Release", "Inform" };
  return t < N_ELEMS (names) ? names[t] : NULL;
}

/* A BOOTP header (236 bytes), the magic cookie, then options. The message type lives in
 * option 53, so the options are walked before anything past the name is printed. */
static void
decode_dhcp (struct loom_out *o, struct loom_rd *r)
{
  const uint8_t *b, *cookie, *type = NULL, *req = NULL, *sid = NULL;
  const char *name;
  bool end = false;

  if (!rd_bytes (r, 236, &b))
    {
      out_puts (o, "DHCP");
      if (rd_bytes (r, 8, &b))
        out_printf (o, " %s xid 0x%08x", b[0] == 1 ? "request" : "reply", (unsigned) be32 (b + 4));
      out_trunc (o, "dhcp");
      return;
    }
  if (rd_bytes (r, 4, &cookie) && be32 (cookie) == 0x63825363)
    while (!end)
      {
        const uint8_t *code, *len, *val;

        if (!rd_bytes (r, 1, &code))
          break;
        if (code[0] == 0) /* pad */
          continue;
        if (code[0] == 255)
          {
            end = true;
            break;
          }
        if (!rd_bytes (r, 1, &len) || !rd_bytes (r, len[0], &val))
          break;
        if (code[0] == 53 && len[0] >= 1)
          type = val;
        else if (code[0] == 50 && len[0] == 4)
          req = val;
        else if (code[0] == 54 && len[0] == 4)
          sid = val;
      }
  else
    end = true; /* plain BOOTP: there are no options to run out of */

  name = type != NULL ? dhcp_type_name (type[0]) : NULL;
  if (type == NULL)
    out_printf (o, "BOOTP %s", b[0] == 1 ? "request" : "reply");
  else if (name != NULL)
    out_printf (o, "DHCP %s", name);
  else
    out_printf (o, "DHCP type %u", type[0]);
  out_printf (o, " xid 0x%08x", (unsigned) be32 (b + 4));
  if (b[1] == 1 && b[2] == 6)
    {
      out_puts (o, " chaddr ");
      out_mac (o, b + 28);
    }
  if (be32 (b + 12) != 0)
    {
      out_puts (o, " ciaddr ");
      out_addr (o, AF_INET, b + 12);
    }
  if (be32 (b + 16) != 0)
    {
      out_puts (o, " yiaddr ");
      out_addr (o, AF_INET, b + 16);
    }
  if (req != NULL)
    {
      out_puts (o, " requested ");
      out_addr (o, AF_INET, req);
    }
  if (sid != NULL)
    {
      out_puts (o, " server-id ");
      out_addr (o, AF_INET, sid);
    }
  if (!end)
    out_trunc (o, "dhcp");
}

/* ---- DNS --------------------------------------------------------------------------- */

enum
{
  NAME_OK,
  NAME_TRUNC,
  NAME_BAD,
};

/* Reads (and prints, when @o is set) the name at *@off in message @m, following
 * compression pointers; on success *@off is just past the name where it sits in the
 * message. Pointers may point anywhere, loops included, so the number of labels and
 * jumps is capped; a legal name (255 bytes, so at most 127 labels) stays far below it. */
static int
dns_name (const uint8_t *m, size_t len, size_t *off, struct loom_out *o)
{
  size_t pos = *off, namelen = 0;
  bool jumped = false, first = true;
  unsigned hops;

  for (hops = 0; hops < 256; hops++)
    {
      unsigned c;

      if (pos >= len)
        return NAME_TRUNC;
      c = m[pos];
      if (c == 0)
        {
          if (!jumped)
            *off = pos + 1;
          if (first && o != NULL)
            out_puts (o, ".");
          return NAME_OK;
        }
      if ((c & 0xc0) == 0xc0)
        {
          if (len - pos < 2)
            return NAME_TRUNC;
          if (!jumped)
            *off = pos + 2;
          jumped = true;
          pos = (c & 0x3f) << 8 | m[pos + 1];
          continue;
        }
      if (c & 0xc0) /* the extended label types never caught on */
        return NAME_BAD;
      namelen += c + 1;
      if (namelen > 255)
        return NAME_BAD;
      if (len - pos - 1 < c)
        return NAME_TRUNC;
      if (o != NULL)
        {
          if (!first)
            out_puts (o, ".");
          out_escaped (o, m + pos + 1, c, 63);
        }
      first = false;
      pos += 1 + c;
    }
  return NAME_BAD;
}

static const char *
dns_type_name (unsigned t)
{
  static const struct loom_name names[] = {
    { 1, "A" },     { 2, "NS" },     { 5, "CNAME" },  { 6, "SOA" },   { 12, "PTR" },
    { 15, "MX" },   { 16, "TXT" },   { 28, "AAAA" },  { 33, "SRV" },  { 35, "NAPTR" },
    { 41, "OPT" },  { 43, "DS" },    { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" },
    { 64, "SVCB" }, { 65, "HTTPS" }, { 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
  };
  return name_lookup (names, N_ELEMS (names), t);
}

static void
out_dns_name_status (struct loom_out *o, int rc)
{
  if (rc == NAME_TRUNC)
    out_trunc (o, "dns");
  else
    out_bad (o, "name");
}

/* One DNS message (@m, @len captured bytes): header, first question, and for responses
 * the answer count and the first A/AAAA answer. */
static void
decode_dns (struct loom_out *o, const uint8_t *m, size_t len)
{
  static const char *const rcodes[]
      = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
  static const char *const opcodes[] = { "QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE" };
  unsigned flags, qd, an, opcode, rcode, i;
  size_t off = 12;
  bool qr;
  int rc;

  out_puts (o, "DNS");
  if (len < 12)
    {
      out_trunc (o, "dns");
      return;
    }
  flags = be16 (m + 2);
  qd = be16 (m + 4);
  an = be16 (m + 6);
  qr = flags & 0x8000;
  opcode = (flags >> 11) & 15;
  rcode = flags & 15;
  out_printf (o, " %s id %u", qr ? "response" : "query", be16 (m));
  if (opcode != 0)
    {
      if (opcode < N_ELEMS (opcodes) && opcodes[opcode] != NULL)
        out_printf (o, " opcode %s", opcodes[opcode]);
      else
        out_printf (o, " opcode %u", opcode);
    }
  if (qr)
    {
      if (rcode < N_ELEMS (rcodes))
        out_printf (o, " %s", rcodes[rcode]);
      else
        out_printf (o, " rcode %u", rcode);
    }

  for (i = 0; i < qd; i++)
    {
      size_t start = off;
      unsigned type;

      /* Skip the name once to find the type, which tcpdump's "A? name" puts first. */
      rc = dns_name (m, len, &off, NULL);
      if (rc != NAME_OK)
        {
          out_dns_name_status (o, rc);
          return;
        }
      if (len - off < 4)
        {
          out_trunc (o, "dns");
          return;
        }
      type = be16 (m + off);
      off += 4;
      if (i > 0)
        continue;
      if (dns_type_name (type) != NULL)
        out_printf (o, " %s? ", dns_type_name (type));
      else
        out_printf (o, " TYPE%u? ", type);
      dns_name (m, len, &start, o);
    }
  if (!qr)
    return;

  out_printf (o, " answers %u", an);
  /* Records before the first address are usually CNAMEs; 64 covers any sane chain. */
  for (i = 0; i < an && i < 64; i++)
    {
      unsigned type, rdlen;

      rc = dns_name (m, len, &off, NULL);
      if (rc != NAME_OK)
        {
          out_dns_name_status (o, rc);
          return;
        }
      if (len - off < 10)
        {
          out_trunc (o, "dns");
          return;
        }
      type = be16 (m + off);
      rdlen = be16 (m + off + 8);
      off += 10;
      if (len - off < rdlen)
        {
          out_trunc (o, "dns");
          return;
        }
      if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))
        {
          out_printf (o, " %s ", type == 1 ? "A" : "AAAA");
          out_addr (o, type == 1 ? AF_INET : AF_INET6, m + off);
          return;
        }
      off += rdlen;
    }
}

/* ---- BGP --------------------------------------------------------------------------- */

/* An IPv4 prefix as BGP packs it: a length in bits, then just enough bytes. */
static bool
bgp_prefix (struct loom_rd *r, uint8_t addr[4], unsigned *plen)
{
  const uint8_t *l, *p;

  if (!rd_bytes (r, 1, &l) || l[0] > 32 || !rd_bytes (r, (l[0] + 7u) / 8, &p))
    return false;
  memset (addr, 0, 4);
  memcpy (addr, p, (l[0] + 7u) / 8);
  *plen = l[0];
  return true;
}

static void
decode_bgp_open (struct loom_out *o, struct loom_rd *r)
{
  const uint8_t *h;
  struct loom_rd params;
  uint32_t as;

  out_puts (o, " OPEN");
  if (!rd_bytes (r, 10, &h))
    {
      out_trunc (o, "bgp");
      return;
    }
  as = be16 (h + 1);
  /* A 4-byte AS hides in capability 65 of optional parameter 2; the 2-byte field then
   * says AS_TRANS (23456). */
  params = rd_sub (r, h[9]);
  for (;;)
    {
      const uint8_t *ph, *cv;
      struct loom_rd caps;

      if (!rd_bytes (&params, 2, &ph))
        break;
      caps = rd_sub (&params, ph[1]);
      if (ph[0] != 2)
        continue;
      while (rd_bytes (&caps, 2, &cv))
        {
          unsigned code = cv[0], clen = cv[1];
          if (!rd_bytes (&caps, clen, &cv))
            break;
          if (code == 65 && clen == 4)
            as = be32 (cv);
        }
    }
  if (h[0] != 4)
    out_printf (o, " version %u", h[0]);
  out_printf (o, " AS %u hold %u id ", (unsigned) as, be16 (h + 3));
  out_addr (o, AF_INET, h + 5);
}

static void
decode_bgp_update (struct loom_out *o, struct loom_rd *r, size_t body)
{
  const uint8_t *h;
  struct loom_rd withdrawn, nlri;
  size_t wlen, alen;
  uint8_t addr[4];
  unsigned plen;

  if (!rd_bytes (r, 2, &h))
    {
      out_puts (o, " UPDATE");
      out_trunc (o, "bgp");
      return;
    }
  wlen = be16 (h);
  withdrawn = rd_sub (r, wlen);
  if (!rd_bytes (r, 2, &h))
    {
      out_printf (o, " UPDATE withdrawn-len %zu", wlen);
      out_trunc (o, "bgp");
      return;
    }
  alen = be16 (h);
  if (4 + wlen + alen > body)
    {
      out_printf (o, " UPDATE withdrawn-len %zu path-attr-len %zu", wlen, alen);
      out_bad (o, "length");
      return;
    }
  out_printf (o, " UPDATE withdrawn-len %zu path-attr-len %zu nlri-len %zu", wlen, alen,
              body - 4 - wlen - alen);
  if (!rd_skip (r, alen))
    return; /* the caller marks the message as cut short */
  nlri = rd_sub (r, body - 4 - wlen - alen);
  if (bgp_prefix (&nlri, addr, &plen))
    {
      out_puts (o, " prefix ");
      out_addr (o, AF_INET, addr);
      out_printf (o, "/%u", plen);
    }
  else if (bgp_prefix (&withdrawn, addr, &plen))
    {
      out_puts (o, " withdraw ");
      out_addr (o, AF_INET, addr);
      out_printf (o, "/%u", plen);
    }
}

static void
decode_bgp_notification (struct loom_out *o, struct loom_rd *r)
{
  static const char *const codes[] = { NULL,           "message header error", "OPEN error",
                                       "UPDATE error", "hold timer expired",   "FSM error",
                                       "cease",        "route refresh error" };
  const uint8_t *h;

  out_puts (o, " NOTIFICATION");
  if (!rd_bytes (r, 2, &h))
    {
      out_trunc (o, "bgp");
      return;
    }
  out_printf (o, " code %u", h[0]);
  if (h[0] < N_ELEMS (codes) && codes[h[0]] != NULL)
    out_printf (o, " (%s)", codes[h[0]]);
  out_printf (o, " subcode %u", h[1]);
}

/* A TCP segment may carry several BGP messages; each starts with 16 bytes of 0xff, so a
 * segment that does not start with the marker is the middle of a message. */
static void
decode_bgp (struct loom_out *o, struct loom_rd *r)
{
  static const uint8_t marker[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  unsigned n;

  for (n = 0; rd_left (r) > 0; n++)
    {
      const uint8_t *h;
      struct loom_rd msg;
      size_t len;

      /* A full segment holds hundreds of KEEPALIVEs; the line could not show them. */
      if (n == 16)
        {
          out_puts (o, "; ...");
          return;
        }
      out_puts (o, n ? "; BGP" : "BGP");
      if (!rd_bytes (r, 19, &h))
        {
          out_trunc (o, "bgp");
          return;
        }
      if (memcmp (h, marker, 16) != 0)
        {
          out_bad (o, "marker");
          return;
        }
      len = be16 (h + 16);
      if (len < 19)
        {
          out_bad (o, "length");
          return;
        }
      msg = rd_sub (r, len - 19);
      switch (h[18])
        {
        case 1:
          decode_bgp_open (o, &msg);
          break;
        case 2:
          decode_bgp_update (o, &msg, len - 19);
          break;
        case 3:
          decode_bgp_notification (o, &msg);
          break;
        case 4:
          out_puts (o, " KEEPALIVE");
          break;
        case 5:
          out_puts (o, " ROUTE-REFRESH");
          break;
        default:
          out_printf (o, " type %u", h[18]);
          break;
        }
      if (o->ended)
        return;
      if (msg.len < len - 19)
        {
          out_trunc (o, "bgp");
          return;
        }
    }
}

/* ---- TCP and UDP ------------------------------------------------------------------- */

static void
decode_tcp (struct loom_out *o, const struct loom_ip *ip, struct loom_rd *r)
{
  /* tcpdump's letters, in tcpdump's order; "." is ACK. */
  static const struct
  {
    uint8_t bit;
    char c;
  } flag_chars[] = { { 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
                     { 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' } };
  const uint8_t *h;
  char flags[9];
  size_t hlen, plen, i, nf = 0;
  unsigned sport, dport;
  uint32_t seq;

  if (!rd_bytes (r, 4, &h))
    {
      out_ip_addrs (o, ip, -1, -1);
      out_puts (o, "TCP");
      out_trunc (o, "tcp");
      return;
    }
  sport = be16 (h);
  dport = be16 (h + 2);
  out_ip_addrs (o, ip, (int) sport, (int) dport);
  out_puts (o, "TCP");
  if (!rd_bytes (r, 16, &h))
    {
      out_trunc (o, "tcp");
      return;
    }
  hlen = (h[8] >> 4) * 4u;
  if (hlen < 20 || hlen > ip->l4_len)
    {
      out_bad (o, "header length");
      return;
    }
  plen = ip->l4_len - hlen;
  for (i = 0; i < N_ELEMS (flag_chars); i++)
    if (h[9] & flag_chars[i].bit)
      flags[nf++] = flag_chars[i].c;
  flags[nf] = '\0';
  out_printf (o, " [%s]", nf ? flags : "none");
  seq = be32 (h);
  if (plen > 0)
    out_printf (o, " seq %u:%u", (unsigned) seq, (unsigned) (seq + (uint32_t) plen));
  else
    out_printf (o, " seq %u", (unsigned) seq);
  if (h[9] & 0x10)
    out_printf (o, " ack %u", (unsigned) be32 (h + 4));
  out_printf (o, " win %u", be16 (h + 10));
  if (h[9] & 0x20)
    out_printf (o, " urg %u", be16 (h + 14));
  out_printf (o, ", length %zu", plen);
  if (!rd_skip (r, hlen - 20))
    {
      out_trunc (o, "tcp");
      return;
    }
  if (plen == 0 || rd_left (r) == 0)
    return;
  if (sport == 179 || dport == 179)
    {
      out_puts (o, ": ");
      decode_bgp (o, r);
    }
  else if (sport == 53 || dport == 53)
    {
      /* DNS over TCP prefixes each message with its length; only a segment that starts
       * a message can be read without reassembly. */
      const uint8_t *l, *m;
      size_t mlen;

      out_puts (o, ": ");
      if (!rd_bytes (r, 2, &l))
        {
          out_puts (o, "DNS");
          out_trunc (o, "dns");
          return;
        }
      mlen = be16 (l);
      if (mlen > rd_left (r))
        mlen = rd_left (r);
      rd_bytes (r, mlen, &m);
      decode_dns (o, m, mlen);
    }
}

static void
decode_udp (struct loom_out *o, const struct loom_ip *ip, struct loom_rd *r)
{
  const uint8_t *h;
  unsigned sport, dport, ulen;
  struct loom_rd pl;

  if (!rd_bytes (r, 8, &h))
    {
      /* Ports are worth showing even when the length and checksum are cut off. */
      if (rd_bytes (r, 4, &h))
        out_ip_addrs (o, ip, (int) be16 (h), (int) be16 (h + 2));
      else
        out_ip_addrs (o, ip, -1, -1);
      out_puts (o, "UDP");
      out_trunc (o, "udp");
      return;
    }
  sport = be16 (h);
  dport = be16 (h + 2);
  ulen = be16 (h + 4);
  out_ip_addrs (o, ip, (int) sport, (int) dport);
  if (ulen < 8)
    {
      out_puts (o, "UDP");
      out_bad (o, "length");
      return;
    }
  pl = rd_sub (r, ulen - 8);
  if (sport == 67 || sport == 68 || dport == 67 || dport == 68)
    decode_dhcp (o, &pl);
  else if (sport == 53 || dport == 53)
    {
      const uint8_t *m;
      size_t mlen = rd_left (&pl);

      rd_bytes (&pl, mlen, &m);
      decode_dns (o, m, mlen);
    }
  else
    out_puts (o, "UDP");
  out_printf (o, ", length %u", ulen - 8);
}

/* ---- ICMP and ICMPv6 --------------------------------------------------------------- */

/* The start of the packet an ICMP error quotes, "(src.port > dst.port UDP)": often cut
 * short by the sender, so a missing part is simply left out, not marked. */
static void
out_quoted (struct loom_out *o, int family, struct loom_rd *r)
{
  const uint8_t *h, *ports = NULL;
  unsigned proto;
  const char *pname;
  bool whole = true;

  if (!rd_bytes (r, family == AF_INET ? 20 : 40, &h))
    return;
  if (family == AF_INET)
    {
      if ((h[0] >> 4) != 4 || (h[0] & 15) < 5)
        return;
      proto = h[9];
      whole = rd_skip (r, (h[0] & 15) * 4u - 20);
    }
  else
    {
      if ((h[0] >> 4) != 6)
        return;
      proto = h[6];
    }
  if ((proto == 6 || proto == 17) && (!whole || !rd_bytes (r, 4, &ports)))
    ports = NULL;
  out_puts (o, " (");
  out_addr (o, family, family == AF_INET ? h + 12 : h + 8);
  if (ports != NULL)
    out_printf (o, ".%u", be16 (ports));
  out_puts (o, " > ");
  out_addr (o, family, family == AF_INET ? h + 16 : h + 24);
  if (ports != NULL)
    out_printf (o, ".%u", be16 (ports + 2));
  if ((pname = ip_proto_name (proto)) != NULL)
    out_printf (o, " %s)", pname);
  else
    out_printf (o, " proto %u)", proto);
}

static void
decode_icmp (struct loom_out *o, const struct loom_ip *ip, struct loom_rd *r)
{
  /* RFC 792 and RFC 1812 code names, indexed by code */
  static const char *const unreach[] = {
    [0] = "net",
    [1] = "host",
    [2] = "protocol",
    [3] = "port",
    [4] = "need-frag",
    [5] = "src-route-failed",
    [6] = "net-unknown",
    [7] = "host-unknown",
    [8] = "src-isolated",
    [9] = "net-prohibited",
    [10] = "host-prohibited",
    [11] = "net-tos",
    [12] = "host-tos",
    [13] = "admin-prohibited",
    [14] = "precedence-violation",
    [15] = "precedence-cutoff",
  };
  static const char *const redirect[] = { "net", "host", "tos-net", "tos-host" };
  const uint8_t *h, *w;

  out_ip_addrs (o, ip, -1, -1);
  out_puts (o, "ICMP");
  if (!rd_bytes (r, 4, &h))
    {
      out_trunc (o, "icmp");
      return;
    }
  switch (h[0])
    {
    case 0:
    case 8:
      out_puts (o, h[0] == 8 ? " echo request" : " echo reply");
      if (!rd_bytes (r, 4, &w))
        {
          out_trunc (o, "icmp");
          return;
        }
      out_printf (o, " id %u seq %u", be16 (w), be16 (w + 2));
      break;
    case 3:
      if (h[1] < N_ELEMS (unreach))
        out_printf (o, " unreachable %s", unreach[h[1]]);
      else
        out_printf (o, " unreachable code %u", h[1]);
      if (!rd_bytes (r, 4, &w))
        {
          out_trunc (o, "icmp");
          return;
        }
      if (h[1] == 4)
        out_printf (o, " mtu %u", be16 (w + 2));
      out_quoted (o, AF_INET, r);
      break;
    case 5:
      if (h[1] < N_ELEMS (redirect))
        out_printf (o, " redirect %s", redirect[h[1]]);
      else
        out_printf (o, " redirect code %u", h[1]);
      if (!rd_bytes (r, 4, &w))
        {
          out_trunc (o, "icmp");
          return;
        }
      out_puts (o, " to ");
      out_addr (o, AF_INET, w);
      out_quoted (o, AF_INET, r);
      break;
    case 11:
      if (h[1] < 2)
        out_printf (o, " time exceeded %s", h[1] == 0 ? "in-transit" : "reassembly");
      else
        out_printf (o, " time exceeded code %u", h[1]);
      if (!rd_skip (r, 4))
        {
          out_trunc (o, "icmp");
          return;
        }
      out_quoted (o, AF_INET, r);
      break;
    case 12:
      if (!rd_bytes (r, 4, &w))
        {
          out_puts (o, " parameter problem");
          out_trunc (o, "icmp");
          return;
        }
      out_printf (o, " parameter problem pointer %u", w[0]);
      break;
    default:
      out_printf (o, " type %u code %u", h[0], h[1]);
      break;
    }
  out_ip_tail (o, ip);
}

/* Neighbour discovery options: 8-byte units, the length byte counting them. A zero
 * length would loop forever, so it ends the walk as malformed. */
static bool
out_nd_options (struct loom_out *o, struct loom_rd *r)
{
  while (rd_left (r) > 0)
    {
      const uint8_t *h, *v;

      if (!rd_bytes (r, 2, &h))
        {
          out_trunc (o, "icmp6");
          return false;
        }
      if (h[1] == 0)
        {
          out_bad (o, "option length");
          return false;
        }
      if (!rd_bytes (r, h[1] * 8u - 2, &v))
        {
          out_trunc (o, "icmp6");
          return false;
        }
      switch (h[0])
        {
        case 1:
        case 2:
          out_puts (o, h[0] == 1 ? " src lladdr " : " tgt lladdr ");
          out_mac (o, v);
          break;
        case 3:
          if (h[1] == 4)
            {
              out_puts (o, " prefix ");
              out_addr (o, AF_INET6, v + 14);
              out_printf (o, "/%u", v[0]);
            }
          break;
        case 5:
          if (h[1] == 1)
            out_printf (o, " mtu %u", (unsigned) be32 (v + 2));
          break;
        default:
          break;
        }
    }
  return true;
}

static void
decode_icmp6 (struct loom_out *o, const struct loom_ip *ip, struct loom_rd *r)
{
  static const struct loom_name ra_flags[] = { { 0x80, "managed" }, { 0x40, "other" } };
  static const struct loom_name na_flags[]
      = { { 0x80, "router" }, { 0x40, "solicited" }, { 0x20, "override" } };
  static const char *const unreach[] = { "no-route", "admin-prohibited", "beyond-scope", "address",
                                         "port",     "src-policy",       "reject-route" };
  const uint8_t *h, *w;

  out_ip_addrs (o, ip, -1, -1);
  out_puts (o, "ICMPv6");
  if (!rd_bytes (r, 4, &h))
    {
      out_trunc (o, "icmp6");
      return;
    }
  switch (h[0])
    {
    case 1:
      if (h[1] < N_ELEMS (unreach))
        out_printf (o, " unreachable %s", unreach[h[1]]);
      else
        out_printf (o, " unreachable code %u", h[1]);
      if (!rd_skip (r, 4))
        goto trunc;
      out_quoted (o, AF_INET6, r);
      break;
    case 2:
      out_puts (o, " packet too big");
      if (!rd_bytes (r, 4, &w))
        goto trunc;
      out_printf (o, " mtu %u", (unsigned) be32 (w));
      out_quoted (o, AF_INET6, r);
      break;
    case 3:
      if (h[1] < 2)
        out_printf (o, " time exceeded %s", h[1] == 0 ? "hop-limit" : "reassembly");
      else
        out_printf (o, " time exceeded code %u", h[1]);
      if (!rd_skip (r, 4))
        goto trunc;
      out_quoted (o, AF_INET6, r);
      break;
    case 4:
      out_printf (o, " parameter problem code %u", h[1]);
      if (!rd_bytes (r, 4, &w))
        goto trunc;
      out_printf (o, " pointer %u", (unsigned) be32 (w));
      break;
    case 128:
    case 129:
      out_puts (o, h[0] == 128 ? " echo request" : " echo reply");
      if (!rd_bytes (r, 4, &w))
        goto trunc;
      out_printf (o, " id %u seq %u", be16 (w), be16 (w + 2));
      break;
    case 130:
    case 131:
    case 132:
      out_printf (o, " multicast listener %s",
                  h[0] == 130   ? "query"
                  : h[0] == 131 ? "report"
                                : "done");
      if (!rd_bytes (r, 20, &w))
        goto trunc;
      if (h[0] != 130 || !is_zero (w + 4, 16)) /* a general query names no group */
        {
          out_puts (o, " group ");
          out_addr (o, AF_INET6, w + 4);
        }
      break;
    case 143:
      out_puts (o, " multicast listener report v2");
      if (!rd_bytes (r, 4, &w))
        goto trunc;
      out_printf (o, " records %u", be16 (w + 2));
      break;
    case 133:
      out_puts (o, " router solicitation");
      if (!rd_skip (r, 4))
        goto trunc;
      if (!out_nd_options (o, r))
        return;
      break;
    case 134:
      out_puts (o, " router advertisement");
      if (!rd_bytes (r, 12, &w))
        goto trunc;
      out_printf (o, " hop limit %u lifetime %u", w[0], be16 (w + 2));
      out_flags (o, w[1], ra_flags, 2);
      if (!out_nd_options (o, r))
        return;
      break;
    case 135:
      out_puts (o, " neighbor solicitation");
      if (!rd_bytes (r, 20, &w))
        goto trunc;
      out_puts (o, " who-has ");
      out_addr (o, AF_INET6, w + 4);
      if (!out_nd_options (o, r))
        return;
      break;
    case 136:
      out_puts (o, " neighbor advertisement");
      if (!rd_bytes (r, 20, &w))
        goto trunc;
      out_puts (o, " tgt is ");
      out_addr (o, AF_INET6, w + 4);
      out_flags (o, w[0], na_flags, 3);
      if (!out_nd_options (o, r))
        return;
      break;
    case 137:
      out_puts (o, " redirect");
      if (!rd_bytes (r, 36, &w))
        goto trunc;
      out_puts (o, " ");
      out_addr (o, AF_INET6, w + 20);
      out_puts (o, " via ");
      out_addr (o, AF_INET6, w + 4);
      if (!out_nd_options (o, r))
        return;
      break;
    default:
      out_printf (o, " type %u code %u", h[0], h[1]);
      break;
    }
  out_ip_tail (o, ip);
  return;

trunc:
  out_trunc (o, "icmp6");
}

/* ---- OSPF -------------------------------------------------------------------------- */

static void
decode_ospf (struct loom_out *o, const struct loom_ip *ip, struct loom_rd *r)
{
  static const char *const types[]
      = { NULL, "Hello", "DB Description", "LS Request", "LS Update", "LS Ack" };
  const uint8_t *h, *b;
  size_t hlen, olen, fixed;

  out_ip_addrs (o, ip, -1, -1);
  out_puts (o, "OSPF");
  if (!rd_bytes (r, 4, &h))
    {
      out_trunc (o, "ospf");
      return;
    }
  if (h[0] != 2 && h[0] != 3)
    {
      out_printf (o, " version %u", h[0]);
      out_ip_tail (o, ip);
      return;
    }
  out_printf (o, "v%u", h[0]);
  if (h[1] >= 1 && h[1] <= 5)
    out_printf (o, " %s", types[h[1]]);
  else
    out_printf (o, " type %u", h[1]);
  /* v2: router id, area, checksum, auth type, 8 bytes of auth; v3: router id, area,
   * checksum, instance, reserved. */
  hlen = h[0] == 2 ? 24 : 16;
  /* The neighbour count comes from this length, so it may not exceed the packet. */
  olen = be16 (h + 2);
  if (olen > ip->l4_len)
    olen = ip->l4_len;
  if (!rd_bytes (r, 8, &b))
    {
      out_trunc (o, "ospf");
      return;
    }
  out_puts (o, " router ");
  out_addr (o, AF_INET, b);
  out_puts (o, " area ");
  out_addr (o, AF_INET, b + 4);
  if (olen < hlen)
    {
      out_bad (o, "length");
      return;
    }
  if (!rd_skip (r, hlen - 12))
    {
      out_trunc (o, "ospf");
      return;
    }
  if (h[1] == 1)
    {
      /* Hello: the neighbours fill the rest of the packet, 4 bytes each. */
      fixed = hlen + 20;
      if (!rd_bytes (r, 20, &b))
        {
          out_trunc (o, "ospf");
          return;
        }
      if (h[0] == 2)
        out_printf (o, " hello %u dead %u", be16 (b + 4), (unsigned) be32 (b + 8));
      else
        out_printf (o, " hello %u dead %u", be16 (b + 8), be16 (b + 10));
      if (olen >= fixed)
        out_printf (o, " neighbors %zu", (olen - fixed) / 4);
    }
  else if (h[1] == 4)
    {
      if (!rd_bytes (r, 4, &b))
        {
          out_trunc (o, "ospf");
          return;
        }
      out_printf (o, " lsas %u", (unsigned) be32 (b));
    }
  out_ip_tail (o, ip);
}

/* ---- IP ---------------------------------------------------------------------------- */

static void
decode_transport (struct loom_out *o, const struct loom_ip *ip, unsigned proto, struct loom_rd *r)
{
  const char *name;

  if (proto == 6)
    decode_tcp (o, ip, r);
  else if (proto == 17)
    decode_udp (o, ip, r);
  else if (proto == 1 && ip->family == AF_INET)
    decode_icmp (o, ip, r);
  else if (proto == 58 && ip->family == AF_INET6)
    decode_icmp6 (o, ip, r);
  else if (proto == 89)
    decode_ospf (o, ip, r);
  else
    {
      out_ip_addrs (o, ip, -1, -1);
      out_printf (o, "%s proto %u", ip->family == AF_INET ? "IPv4" : "IPv6", proto);
      if ((name = ip_proto_name (proto)) != NULL)
        out_printf (o, " (%s)", name);
      out_ip_tail (o, ip);
    }
}

/* A fragment past the first carries no transport header to decode. */
static void
decode_fragment (struct loom_out *o, const struct loom_ip *ip, unsigned proto)
{
  const char *name = ip_proto_name (proto);

  out_ip_addrs (o, ip, -1, -1);
  if (name != NULL)
    out_puts (o, name);
  else
    out_printf (o, "proto %u", proto);
  out_ip_tail (o, ip);
}

static void
decode_ip4 (struct loom_out *o, const struct loom_eth *eth, struct loom_rd *r)
{
  struct loom_ip ip;
  struct loom_rd l4;
  const uint8_t *h;
  size_t hlen, tot;
  unsigned fo;

  if (!rd_bytes (r, 20, &h))
    {
      out_macs (o, eth);
      out_puts (o, "IPv4");
      out_trunc (o, "ip");
      return;
    }
  if ((h[0] >> 4) != 4)
    {
      out_macs (o, eth);
      out_printf (o, "IPv4 bad version %u", h[0] >> 4);
      return;
    }
  ip.family = AF_INET;
  inet_ntop (AF_INET, h + 12, ip.src, sizeof (ip.src));
  inet_ntop (AF_INET, h + 16, ip.dst, sizeof (ip.dst));
  ip.ttl = h[8];
  ip.ext = 0;
  fo = be16 (h + 6);
  ip.frag_id = be16 (h + 4);
  ip.frag_off = (fo & 0x1fff) * 8;
  ip.frag_more = fo & 0x2000;
  ip.frag = ip.frag_off != 0 || ip.frag_more;
  hlen = (h[0] & 15) * 4u;
  tot = be16 (h + 2);
  /* BIG TCP hands the capture packets over 64 KiB with a total length of 0. */
  if (tot == 0)
    tot = 20 + rd_left (r);
  ip.pkt_len = tot;
  ip.l4_len = tot >= hlen ? tot - hlen : 0;
  if (hlen < 20 || tot < hlen)
    {
      out_ip_addrs (o, &ip, -1, -1);
      out_puts (o, "IPv4");
      out_bad (o, hlen < 20 ? "header length" : "total length");
      return;
    }
  if (!rd_skip (r, hlen - 20)) /* options: nothing we show depends on them */
    {
      out_ip_addrs (o, &ip, -1, -1);
      out_puts (o, "IPv4");
      out_trunc (o, "ip");
      return;
    }
  l4 = rd_sub (r, tot - hlen);
  if (ip.frag_off != 0)
    decode_fragment (o, &ip, h[9]);
  else
    decode_transport (o, &ip, h[9], &l4);
}

static void
decode_ip6 (struct loom_out *o, const struct loom_eth *eth, struct loom_rd *r)
{
  struct loom_ip ip;
  struct loom_rd pl;
  const uint8_t *h, *e;
  size_t plen;
  unsigned nh, n;

  if (!rd_bytes (r, 40, &h))
    {
      out_macs (o, eth);
      out_puts (o, "IPv6");
      out_trunc (o, "ip6");
      return;
    }
  if ((h[0] >> 4) != 6)
    {
      out_macs (o, eth);
      out_printf (o, "IPv6 bad version %u", h[0] >> 4);
      return;
    }
  ip.family = AF_INET6;
  inet_ntop (AF_INET6, h + 8, ip.src, sizeof (ip.src));
  inet_ntop (AF_INET6, h + 24, ip.dst, sizeof (ip.dst));
  ip.ttl = h[7];
  ip.ext = 0;
  ip.frag = ip.frag_more = false;
  ip.frag_id = 0;
  ip.frag_off = 0;
  plen = be16 (h + 4);
  /* Jumbograms and BIG TCP say 0: the capture is the packet. */
  if (plen == 0)
    plen = rd_left (r);
  ip.pkt_len = 40 + plen;
  ip.l4_len = plen;
  pl = rd_sub (r, plen);
  nh = h[6];

  /* Each extension header is at least 8 bytes, so the walk ends with the packet; the
   * cap only keeps a chain of hundreds of empty headers from costing anything. */
  for (n = 0;; n++)
    {
      size_t size;

      if (n == 16)
        {
          out_ip_addrs (o, &ip, -1, -1);
          out_puts (o, "IPv6");
          out_bad (o, "extension header chain");
          return;
        }
      if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
        break;
      if (!rd_bytes (&pl, nh == 44 ? 8 : 2, &e))
        {
          out_ip_addrs (o, &ip, -1, -1);
          out_puts (o, "IPv6");
          out_trunc (o, "ip6");
          return;
        }
      if (nh == 44)
        {
          size = 8;
          ip.frag = true;
          ip.frag_off = be16 (e + 2) & 0xfff8;
          ip.frag_more = e[3] & 1;
          ip.frag_id = be32 (e + 4);
        }
      else
        {
          size = nh == 51 ? (e[1] + 2u) * 4 : (e[1] + 1u) * 8;
          ip.ext |= nh == 0 ? EXT_HBH : nh == 43 ? EXT_RH : nh == 60 ? EXT_DSTOPT : EXT_AH;
          if (!rd_skip (&pl, size - 2))
            {
              out_ip_addrs (o, &ip, -1, -1);
              out_puts (o, "IPv6");
              out_trunc (o, "ip6");
              return;
            }
        }
      ip.l4_len = ip.l4_len >= size ? ip.l4_len - size : 0;
      nh = e[0];
      if (ip.frag_off != 0)
        {
          decode_fragment (o, &ip, nh);
          return;
        }
    }
  decode_transport (o, &ip, nh, &pl);
}

/* ---- ARP, STP, LLDP ---------------------------------------------------------------- */

static void
decode_arp (struct loom_out *o, const struct loom_eth *eth, struct loom_rd *r)
{
  const uint8_t *h, *a, *sha, *spa, *tpa;
  unsigned op;

  out_macs (o, eth);
  out_puts (o, "ARP");
  if (!rd_bytes (r, 8, &h))
    {
      out_trunc (o, "arp");
      return;
    }
  op = be16 (h + 6);
  if (be16 (h) != 1 || be16 (h + 2) != 0x0800 || h[4] != 6 || h[5] != 4)
    {
      out_printf (o, " htype %u ptype 0x%04x op %u", be16 (h), be16 (h + 2), op);
      return;
    }
  if (!rd_bytes (r, 20, &a))
    {
      out_printf (o, " op %u", op);
      out_trunc (o, "arp");
      return;
    }
  sha = a;
  spa = a + 6;
  tpa = a + 16;
  if (op == 1)
    {
      out_puts (o, " who-has ");
      out_addr (o, AF_INET, tpa);
      out_puts (o, " tell ");
      out_addr (o, AF_INET, spa);
      /* RFC 5227: a probe asks from 0.0.0.0, an announcement asks for itself. */
      if (be32 (spa) == 0)
        out_puts (o, " (probe)");
      else if (memcmp (spa, tpa, 4) == 0)
        out_puts (o, " (gratuitous)");
    }
  else if (op == 2)
    {
      out_puts (o, " ");
      out_addr (o, AF_INET, spa);
      out_puts (o, " is-at ");
      out_mac (o, sha);
      if (memcmp (spa, tpa, 4) == 0)
        out_puts (o, " (gratuitous)");
    }
  else
    out_printf (o, " op %u", op);
}

static void
out_bridge_id (struct loom_out *o, const uint8_t *id)
{
  out_printf (o, "%04x.", be16 (id));
  out_mac (o, id + 2);
}

static void
decode_stp (struct loom_out *o, struct loom_rd *r)
{
  static const char *const roles[] = { "unknown", "alternate", "root", "designated" };
  /* Config BPDUs use only TC and TCA; the RST bits in between are 802.1w's. */
  static const struct loom_name stp_flags[]
      = { { 0x01, "tc" },         { 0x02, "proposal" },  { 0x10, "learning" },
          { 0x20, "forwarding" }, { 0x40, "agreement" }, { 0x80, "tca" } };
  const uint8_t *h, *b;
  unsigned flags;

  if (!rd_bytes (r, 4, &h))
    {
      out_puts (o, "STP");
      out_trunc (o, "stp");
      return;
    }
  if (be16 (h) != 0)
    {
      out_printf (o, "STP protocol id 0x%04x", be16 (h));
      return;
    }
  if (h[3] == 0x80)
    {
      out_puts (o, "STP TCN");
      return;
    }
  if (h[3] != 0x00 && h[3] != 0x02)
    {
      out_printf (o, "STP version %u type 0x%02x", h[2], h[3]);
      return;
    }
  out_puts (o, h[3] == 0x00 ? "STP config" : h[2] >= 3 ? "MSTP" : "RSTP");
  /* flags, root id, root path cost, bridge id, port id; the timers are not shown */
  if (!rd_bytes (r, 23, &b))
    {
      out_trunc (o, "stp");
      return;
    }
  flags = b[0];
  out_puts (o, " root ");
  out_bridge_id (o, b + 1);
  out_printf (o, " cost %u bridge ", (unsigned) be32 (b + 9));
  out_bridge_id (o, b + 13);
  out_printf (o, " port 0x%04x", be16 (b + 21));
  if (h[3] == 0x02)
    out_printf (o, " role %s", roles[(flags >> 2) & 3]);
  out_flags (o, h[3] == 0x02 ? flags : flags & 0x81, stp_flags, 6);
}

/* 802.3 frames: the LLC header says what follows. Only STP (and Cisco's PVST+, which is
 * STP behind SNAP) is decoded; anything else is named by its SAPs. */
static void
decode_llc (struct loom_out *o, const struct loom_eth *eth, struct loom_rd *r)
{
  const uint8_t *h, *s;

  out_macs (o, eth);
  if (!rd_bytes (r, 3, &h))
    {
      out_puts (o, "802.3 LLC");
      out_trunc (o, "llc");
      return;
    }
  if (h[0] == 0x42 && h[1] == 0x42 && h[2] == 0x03)
    {
      decode_stp (o, r);
      return;
    }
  if (h[0] == 0xaa && h[1] == 0xaa && h[2] == 0x03)
    {
      if (!rd_bytes (r, 5, &s))
        {
          out_puts (o, "802.3 SNAP");
          out_trunc (o, "llc");
          return;
        }
      if (s[0] == 0x00 && s[1] == 0x00 && s[2] == 0x0c && be16 (s + 3) == 0x010b)
        {
          out_puts (o, "PVST+ ");
          decode_stp (o, r);
          return;
        }
      out_printf (o, "802.3 SNAP oui 0x%02x%02x%02x pid 0x%04x, length %zu", s[0], s[1], s[2],
                  be16 (s + 3), eth->origlen);
      return;
    }
  out_printf (o, "802.3 LLC dsap 0x%02x ssap 0x%02x ctrl 0x%02x, length %zu", h[0], h[1], h[2],
              eth->origlen);
}

/* LLDP chassis and port ids: a subtype byte, then a MAC, an address or a name. */
static void
out_lldp_id (struct loom_out *o, const uint8_t *v, size_t len, unsigned mac_subtype,
             unsigned addr_subtype)
{
  if (len < 1)
    return;
  if (v[0] == mac_subtype && len == 7)
    out_mac (o, v + 1);
  else if (v[0] == addr_subtype && len == 6 && v[1] == 1)
    out_addr (o, AF_INET, v + 2);
  else if (v[0] == addr_subtype && len == 18 && v[1] == 2)
    out_addr (o, AF_INET6, v + 2);
  else
    out_escaped (o, v + 1, len - 1, 64);
}

static void
decode_lldp (struct loom_out *o, const struct loom_eth *eth, struct loom_rd *r)
{
  out_macs (o, eth);
  out_puts (o, "LLDP");
  /* Every TLV is at least 2 bytes, so the walk ends with the frame. */
  for (;;)
    {
      const uint8_t *h, *v;
      unsigned type, len;

      if (!rd_bytes (r, 2, &h))
        {
          out_trunc (o, "lldp");
          return;
        }
      type = h[0] >> 1;
      len = (h[0] & 1u) << 8 | h[1];
      if (type == 0)
        return;
      if (!rd_bytes (r, len, &v))
        {
          out_trunc (o, "lldp");
          return;
        }
      switch (type)
        {
        case 1:
          out_puts (o, " chassis ");
          out_lldp_id (o, v, len, 4, 5);
          break;
        case 2:
          out_puts (o, " port ");
          out_lldp_id (o, v, len, 3, 4);
          break;
        case 3:
          if (len >= 2)
            out_printf (o, " ttl %u", be16 (v));
          break;
        case 5:
          out_puts (o, " system ");
          out_escaped (o, v, len, 64);
          break;
        default:
          break;
        }
    }
}

/* ---- Ethernet ---------------------------------------------------------------------- */

static const char *
ethertype_name (unsigned type)
{
  static const struct loom_name names[] = {
    { 0x8035, "RARP" },
    { 0x8100, "802.1Q" },
    { 0x8809, "slow protocols" },
    { 0x8847, "MPLS" },
    { 0x8848, "MPLS multicast" },
    { 0x8863, "PPPoE discovery" },
    { 0x8864, "PPPoE session" },
    { 0x888e, "EAPOL" },
    { 0x88a8, "802.1ad" },
    { 0x88e5, "MACsec" },
    { 0x88f7, "PTP" },
    { 0x8902, "CFM" },
  };
  return name_lookup (names, N_ELEMS (names), type);
}

static void
decode_ether (struct loom_out *o, struct loom_rd *r, size_t origlen)
{
  struct loom_eth eth;
  struct loom_rd llc;
  const uint8_t *h, *t;
  const char *name;
  unsigned type, tci, tags;

  if (!rd_bytes (r, 14, &h))
    {
      out_trunc (o, "ether");
      return;
    }
  eth.dst = h;
  eth.src = h + 6;
  eth.origlen = origlen;
  type = be16 (h + 12);

  /* 802.1Q, 802.1ad and the pre-standard 0x9100; real stacks stop at two, the cap keeps
   * a frame of nothing but tags from filling the line. */
  for (tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 8; tags++)
    {
      if (!rd_bytes (r, 4, &t))
        {
          out_macs (o, &eth);
          out_puts (o, "802.1Q");
          out_trunc (o, "vlan");
          return;
        }
      tci = be16 (t);
      out_printf (o, "vlan %u", tci & 0x0fff);
      if (tci >> 13)
        out_printf (o, " p %u", tci >> 13);
      out_puts (o, ", ");
      type = be16 (t + 2);
    }

  if (type <= 1500)
    {
      llc = rd_sub (r, type);
      decode_llc (o, &eth, &llc);
      return;
    }
  switch (type)
    {
    case 0x0800:
      decode_ip4 (o, &eth, r);
      break;
    case 0x86dd:
      decode_ip6 (o, &eth, r);
      break;
    case 0x0806:
      decode_arp (o, &eth, r);
      break;
    case 0x88cc:
      decode_lldp (o, &eth, r);
      break;
    default:
      out_macs (o, &eth);
      out_printf (o, "ethertype 0x%04x", type);
      if ((name = ethertype_name (type)) != NULL)
        out_printf (o, " (%s)", name);
      else if (type < 0x0600)
        out_puts (o, " (invalid)");
      out_printf (o, ", length %zu", origlen);
      break;
    }
}

size_t
loom_decode_summary (const uint8_t *frame, size_t caplen, size_t origlen, char *out, size_t outlen)
{
  static const uint8_t none[1];
  struct loom_out o;
  struct loom_rd r;

  if (out == NULL || outlen == 0)
    return 0;
  out[0] = '\0';
  o.buf = out;
  o.size = outlen;
  o.len = 0;
  o.ended = false;
  /* An empty capture may come as NULL; pointer arithmetic on NULL is undefined. */
  r.p = frame != NULL ? frame : none;
  r.len = frame != NULL ? caplen : 0;
  r.off = 0;
  decode_ether (&o, &r, origlen);
  return o.len;
}
