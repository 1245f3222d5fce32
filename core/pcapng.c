/* pcapng writer and reader (draft-ietf-opsawg-pcapng). The writer emits exactly what
 * netloom needs — a section header, interface blocks with nanosecond resolution and
 * enhanced packet blocks carrying the direction — always little-endian so files are the
 * same on every host. The reader is more forgiving, because `netloom capture` also lists
 * files other tools wrote: both byte orders, several sections, any if_tsresol, simple and
 * obsolete packet blocks, unknown blocks skipped; and it treats a cut-short tail as the
 * normal state of a file still being written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pcapng.h"
#include "core/util.h"

/* The library cannot include the CLI's header for LOOM_VERSION; keep in step with it. */
#define PCAPNG_USERAPPL "netloom 0.1.0"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
#define OPT_EPB_FLAGS 2 /* also pack_flags in the obsolete packet block */

/* Block type, total length ... total length: the fixed cost of every block. */
#define BLOCK_OVERHEAD 12u
/* Leaves room for block and option headers in a 32-bit block length. */
#define MAX_CAPLEN (UINT32_MAX - 4096u)

static inline uint32_t
pad4 (uint32_t n)
{
  return (n + 3u) & ~3u;
}

/* ------------------------------------------------------------------ writer */

/* A small growable byte buffer for the header blocks: they are built whole so that the
 * total length can be written before the body, and each goes out in one fwrite. */
struct wbuf
{
  uint8_t *p;
  size_t n;
};

static void
put_bytes (struct wbuf *b, const void *data, size_t len)
{
  b->p = loom_xrealloc (b->p, b->n + len);
  if (len)
    memcpy (b->p + b->n, data, len);
  b->n += len;
}

static void
put16 (struct wbuf *b, uint16_t v)
{
  uint8_t x[2] = { v & 0xff, v >> 8 };
  put_bytes (b, x, 2);
}

static void
put32 (struct wbuf *b, uint32_t v)
{
  uint8_t x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  put_bytes (b, x, 4);
}

static void
put_pad (struct wbuf *b, size_t len)
{
  static const uint8_t zero[4];
  put_bytes (b, zero, pad4 (len) - len);
}

static void
put_option (struct wbuf *b, uint16_t code, const void *value, uint16_t len)
{
  put16 (b, code);
  put16 (b, len);
  put_bytes (b, value, len);
  put_pad (b, len);
}

static void
set32 (uint8_t *p, uint32_t v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
}

/* Starts a block: type and a placeholder for the length that end_block fills in. */
static size_t
begin_block (struct wbuf *b, uint32_t type)
{
  size_t start = b->n;
  put32 (b, type);
  put32 (b, 0);
  return start;
}

static void
end_block (struct wbuf *b, size_t start)
{
  uint32_t len = b->n - start + 4;
  put32 (b, len);
  set32 (b->p + start + 4, len);
}

/* Option values are limited to 65535 bytes by the 16-bit option length. */
static int
check_string (const char *s, const char *what, loom_error_t *err)
{
  if (s && strlen (s) > UINT16_MAX)
    return loom_error_make (err, EINVAL, "pcapng %s is too long (%zu bytes, at most %u)", what,
                            strlen (s), UINT16_MAX);
  return 0;
}

static int
write_all (FILE *f, const void *p, size_t len, loom_error_t *err)
{
  if (len && fwrite (p, 1, len, f) != len)
    return loom_error_make (err, errno ? errno : EIO, "writing pcapng");
  return 0;
}

long
loom_pcapng_header_bytes (uint8_t **out, const char *comment, const struct loom_pcapng_if *ifs,
                          size_t n_ifs, loom_error_t *err)
{
  struct wbuf b = { NULL, 0 };
  size_t i, start;
  uint8_t tsresol = 9;

  if (check_string (comment, "section comment", err) < 0)
    return -1;
  for (i = 0; i < n_ifs; i++)
    {
      if (ifs[i].name == NULL)
        return loom_error_make (err, EINVAL, "pcapng interface %zu has no name", i);
      if (check_string (ifs[i].name, "interface name", err) < 0
          || check_string (ifs[i].comment, "interface comment", err) < 0)
        return -1;
    }

  start = begin_block (&b, BT_SHB);
  put32 (&b, BYTE_ORDER_MAGIC);
  put16 (&b, 1); /* major */
  put16 (&b, 0); /* minor */
  /* Section length -1: unknown, since packets are appended as they arrive. */
  put32 (&b, 0xffffffffu);
  put32 (&b, 0xffffffffu);
  put_option (&b, OPT_SHB_USERAPPL, PCAPNG_USERAPPL, strlen (PCAPNG_USERAPPL));
  if (comment)
    put_option (&b, OPT_COMMENT, comment, strlen (comment));
  put_option (&b, OPT_ENDOFOPT, NULL, 0);
  end_block (&b, start);

  for (i = 0; i < n_ifs; i++)
    {
      start = begin_block (&b, BT_IDB);
      put16 (&b, ifs[i].linktype);
      put16 (&b, 0); /* reserved */
      put32 (&b, ifs[i].snaplen);
      put_option (&b, OPT_IF_NAME, ifs[i].name, strlen (ifs[i].name));
      if (ifs[i].comment)
        put_option (&b, OPT_COMMENT, ifs[i].comment, strlen (ifs[i].comment));
      put_option (&b, OPT_IF_TSRESOL, &tsresol, 1);
      put_option (&b, OPT_ENDOFOPT, NULL, 0);
      end_block (&b, start);
    }
  *out = b.p;
  return (long) b.n;
}

long
loom_pcapng_write_header (FILE *f, const char *comment, const struct loom_pcapng_if *ifs,
                          size_t n_ifs, loom_error_t *err)
{
  uint8_t *p = NULL;
  long n = loom_pcapng_header_bytes (&p, comment, ifs, n_ifs, err);
  int ret;

  if (n < 0)
    return -1;
  ret = write_all (f, p, n, err);
  free (p);
  return ret < 0 ? -1 : n;
}

long
loom_pcapng_packet_frame (uint8_t head[LOOM_PCAPNG_EPB_HEAD],
                          uint8_t tail[LOOM_PCAPNG_EPB_TAIL_MAX], size_t *tail_len, uint32_t if_id,
                          uint64_t ts_ns, uint32_t caplen, uint32_t origlen, enum loom_pkt_dir dir,
                          loom_error_t *err)
{
  size_t pad = pad4 (caplen) - caplen, n = pad;
  uint32_t total;

  if (caplen > MAX_CAPLEN)
    return loom_error_make (err, EINVAL, "pcapng packet too large (%u bytes)", caplen);
  if (caplen > origlen)
    return loom_error_make (err, EINVAL, "pcapng packet captures %u bytes of a %u-byte frame",
                            caplen, origlen);
  memset (tail, 0, pad);
  if (dir == LOOM_DIR_INBOUND || dir == LOOM_DIR_OUTBOUND)
    {
      /* epb_flags: the direction is bits 0-1; the rest (reception type, FCS) unknown. */
      tail[n] = OPT_EPB_FLAGS;
      tail[n + 1] = 0;
      tail[n + 2] = 4;
      tail[n + 3] = 0;
      set32 (tail + n + 4, (uint32_t) dir);
      memset (tail + n + 8, 0, 4); /* opt_endofopt */
      n += 12;
    }
  total = LOOM_PCAPNG_EPB_HEAD + caplen + n + 4;
  set32 (tail + n, total);
  *tail_len = n + 4;

  set32 (head, BT_EPB);
  set32 (head + 4, total);
  set32 (head + 8, if_id);
  set32 (head + 12, (uint32_t) (ts_ns >> 32));
  set32 (head + 16, (uint32_t) ts_ns);
  set32 (head + 20, caplen);
  set32 (head + 24, origlen);
  return (long) total;
}

long
loom_pcapng_write_packet (FILE *f, uint32_t if_id, uint64_t ts_ns, const void *data,
                          uint32_t caplen, uint32_t origlen, enum loom_pkt_dir dir,
                          loom_error_t *err)
{
  uint8_t head[LOOM_PCAPNG_EPB_HEAD], tail[LOOM_PCAPNG_EPB_TAIL_MAX];
  size_t tail_len;
  long total;

  if (caplen && data == NULL)
    return loom_error_make (err, EINVAL, "pcapng packet has no data");
  total = loom_pcapng_packet_frame (head, tail, &tail_len, if_id, ts_ns, caplen, origlen, dir, err);
  if (total < 0)
    return -1;
  /* Several fwrites rather than a copy: the stream buffers them anyway. */
  if (write_all (f, head, sizeof (head), err) < 0 || write_all (f, data, caplen, err) < 0
      || write_all (f, tail, tail_len, err) < 0)
    return -1;
  return total;
}

/* ------------------------------------------------------------------ reader */

struct rd_if
{
  uint32_t snaplen;
  uint8_t tsresol;  /* raw if_tsresol byte; 6 (microseconds) when absent */
  int64_t tsoffset; /* if_tsoffset, seconds */
};

struct reader
{
  const uint8_t *buf;
  const char *path;
  bool swap; /* section written in the other byte order */
  int section;
  struct rd_if *ifs;
  size_t n_ifs;
  char **names; /* first section's if_names, NULL-terminated */
  size_t n_names;
};

static uint16_t
rd16 (const struct reader *r, const uint8_t *p)
{
  return r->swap ? (uint16_t) (p[0] << 8 | p[1]) : (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t
rd32 (const struct reader *r, const uint8_t *p)
{
  if (r->swap)
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
  return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static uint64_t
rd64 (const struct reader *r, const uint8_t *p)
{
  uint64_t a = rd32 (r, p), b = rd32 (r, p + 4);
  return r->swap ? a << 32 | b : b << 32 | a;
}

/* Timestamp units of the interface to nanoseconds. Exact for the decimal resolutions up
 * to 1 ns; finer or binary ones are rounded down. */
static uint64_t
ts_to_ns (const struct rd_if *ifc, uint64_t ts)
{
  unsigned v = ifc->tsresol & 0x7f;
  uint64_t ns;

  if (ifc->tsresol & 0x80)
    {
      /* 2^-v seconds; the 128-bit product cannot overflow before the shift. */
      unsigned __int128 x = (unsigned __int128) ts * 1000000000u;
      ns = (uint64_t) (x >> v);
    }
  else if (v <= 9)
    {
      ns = ts;
      for (; v < 9; v++)
        ns *= 10;
    }
  else
    {
      ns = ts;
      for (; v > 9 && ns; v--)
        ns /= 10;
    }
  return ns + (uint64_t) ifc->tsoffset * 1000000000u;
}

static int
corrupt (struct reader *r, size_t off, const char *what, loom_error_t *err)
{
  return loom_error_make (err, EINVAL, "%s: corrupt pcapng block at offset %zu: %s", r->path, off,
                          what);
}

/* Walks the options in [p, end). For each option calls fn; a truncated option list is
 * corrupt. Options after opt_endofopt (or padding bytes) are ignored. */
typedef void (*opt_fn) (struct reader *r, uint16_t code, const uint8_t *val, uint16_t len,
                        void *ctx);

static int
walk_options (struct reader *r, const uint8_t *p, const uint8_t *end, opt_fn fn, void *ctx,
              size_t off, loom_error_t *err)
{
  while (end - p >= 4)
    {
      uint16_t code = rd16 (r, p), len = rd16 (r, p + 2);
      if (code == OPT_ENDOFOPT)
        break;
      if ((size_t) (end - p - 4) < pad4 (len))
        return corrupt (r, off, "option runs past the end of the block", err);
      fn (r, code, p + 4, len, ctx);
      p += 4 + pad4 (len);
    }
  return 0;
}

struct idb_opts
{
  struct rd_if *ifc;
  char *name;
};

static void
idb_option (struct reader *r, uint16_t code, const uint8_t *val, uint16_t len, void *ctx)
{
  struct idb_opts *o = ctx;

  if (code == OPT_IF_NAME && o->name == NULL)
    /* The spec says UTF-8 without a NUL; tolerate writers that include one. */
    o->name = loom_xstrndup ((const char *) val, len);
  else if (code == OPT_IF_TSRESOL && len == 1)
    o->ifc->tsresol = val[0];
  else if (code == OPT_IF_TSOFFSET && len == 8)
    o->ifc->tsoffset = (int64_t) rd64 (r, val);
}

static void
flags_option (struct reader *r, uint16_t code, const uint8_t *val, uint16_t len, void *ctx)
{
  enum loom_pkt_dir *dir = ctx;

  if (code == OPT_EPB_FLAGS && len == 4)
    {
      uint32_t d = rd32 (r, val) & 3u;
      *dir = d == 1 ? LOOM_DIR_INBOUND : d == 2 ? LOOM_DIR_OUTBOUND : LOOM_DIR_UNKNOWN;
    }
}

static int
read_shb (struct reader *r, size_t off, uint32_t len, loom_error_t *err)
{
  const uint8_t *b = r->buf + off;
  uint16_t major;

  if (len < 28)
    return corrupt (r, off, "section header too short", err);
  major = rd16 (r, b + 12);
  if (major != 1)
    return loom_error_make (err, ENOTSUP, "%s: pcapng version %u.%u is not supported", r->path,
                            major, rd16 (r, b + 14));
  /* Interface ids restart with every section. */
  free (r->ifs);
  r->ifs = NULL;
  r->n_ifs = 0;
  r->section++;
  return 0;
}

static int
read_idb (struct reader *r, size_t off, uint32_t len, loom_error_t *err)
{
  const uint8_t *b = r->buf + off;
  struct rd_if ifc = { 0 };
  struct idb_opts o = { &ifc, NULL };

  if (len < 20)
    return corrupt (r, off, "interface description too short", err);
  ifc.snaplen = rd32 (r, b + 12);
  ifc.tsresol = 6;
  if (walk_options (r, b + 16, b + len - 4, idb_option, &o, off, err) < 0)
    {
      free (o.name);
      return -1;
    }
  LOOM_PUSH (r->ifs, r->n_ifs, ifc);
  if (r->section == 1)
    {
      r->names = loom_xrealloc (r->names, sizeof (char *) * (r->n_names + 2));
      r->names[r->n_names++] = o.name ? o.name : loom_xstrdup ("");
      r->names[r->n_names] = NULL;
    }
  else
    free (o.name);
  return 0;
}

/* Fills pkt from an enhanced (type 6), obsolete (type 2) or simple (type 3) packet
 * block. The layouts differ only in the header before the data. */
static int
read_packet (struct reader *r, uint32_t type, size_t off, uint32_t len,
             struct loom_pcapng_packet *pkt, loom_error_t *err)
{
  const uint8_t *b = r->buf + off, *end = b + len - 4, *data;
  uint32_t body = len - BLOCK_OVERHEAD;
  uint64_t ts;

  memset (pkt, 0, sizeof (*pkt));
  if (type == BT_SPB)
    {
      if (body < 4)
        return corrupt (r, off, "simple packet block too short", err);
      if (r->n_ifs == 0)
        return corrupt (r, off, "simple packet block before any interface", err);
      pkt->origlen = rd32 (r, b + 8);
      /* No captured length: the smaller of the frame, the snap length and the block. */
      pkt->caplen = pkt->origlen;
      if (r->ifs[0].snaplen && pkt->caplen > r->ifs[0].snaplen)
        pkt->caplen = r->ifs[0].snaplen;
      if (pkt->caplen > body - 4)
        pkt->caplen = body - 4;
      pkt->data = b + 12;
      return 0;
    }

  if (body < 20)
    return corrupt (r, off, "packet block too short", err);
  pkt->if_id = type == BT_EPB ? rd32 (r, b + 8) : rd16 (r, b + 8);
  ts = (uint64_t) rd32 (r, b + 12) << 32 | rd32 (r, b + 16);
  pkt->caplen = rd32 (r, b + 20);
  pkt->origlen = rd32 (r, b + 24);
  if (pkt->caplen > body - 20 || pad4 (pkt->caplen) > body - 20)
    return corrupt (r, off, "packet data runs past the end of the block", err);
  if (pkt->if_id >= r->n_ifs)
    return corrupt (r, off, "packet names an interface the section does not have", err);
  data = b + 28;
  pkt->data = data;
  pkt->ts_ns = ts_to_ns (&r->ifs[pkt->if_id], ts);
  return walk_options (r, data + pad4 (pkt->caplen), end, flags_option, &pkt->dir, off, err);
}

static void
free_names (char **names)
{
  if (names)
    for (char **p = names; *p; p++)
      free (*p);
  free (names);
}

long
loom_pcapng_read (const char *path, loom_pcapng_cb cb, void *ctx, char ***if_names,
                  loom_error_t *err)
{
  loom_autofree char *file = NULL;
  struct reader r = { 0 };
  size_t size, off = 0;
  long count = 0;
  int ret = 0;

  if (loom_read_file (path, &file, &size, err) < 0)
    return -1;
  r.buf = (const uint8_t *) file;
  r.path = path;
  r.names = loom_xcalloc (1, sizeof (char *));

  /* Every length is checked against what is left before it is used; a block that runs
   * past the end is where a writer is still appending, so reading just stops there. */
  while (size - off >= BLOCK_OVERHEAD)
    {
      const uint8_t *b = r.buf + off;
      uint32_t type, len;

      if (off == 0 && rd32 (&r, b) != BT_SHB)
        {
          uint32_t m = rd32 (&r, b);
          if (m == 0xa1b2c3d4u || m == 0xd4c3b2a1u || m == 0xa1b23c4du || m == 0x4d3cb2a1u)
            ret = loom_error_make (err, EINVAL, "%s is a pcap file, not pcapng", path);
          else
            ret = loom_error_make (err, EINVAL, "%s is not a pcapng file", path);
          break;
        }
      type = rd32 (&r, b);
      if (type == BT_SHB)
        {
          /* The byte-order magic says how to read this section, its own length included. */
          uint32_t magic = rd32 (&r, b + 8);
          if (magic == 0x4D3C2B1Au)
            r.swap = !r.swap;
          else if (magic != BYTE_ORDER_MAGIC)
            {
              ret = corrupt (&r, off, "bad byte-order magic", err);
              break;
            }
        }
      len = rd32 (&r, b + 4);
      if (len < BLOCK_OVERHEAD || len % 4)
        {
          ret = corrupt (&r, off, "bad block length", err);
          break;
        }
      if (len > size - off)
        break;
      if (rd32 (&r, b + len - 4) != len)
        {
          ret = corrupt (&r, off, "trailing block length differs", err);
          break;
        }

      switch (type)
        {
        case BT_SHB:
          ret = read_shb (&r, off, len, err);
          break;
        case BT_IDB:
          ret = read_idb (&r, off, len, err);
          break;
        case BT_EPB:
        case BT_PB:
        case BT_SPB:
          {
            struct loom_pcapng_packet pkt;
            ret = read_packet (&r, type, off, len, &pkt, err);
            if (ret < 0)
              break;
            count++;
            if (cb && cb (&pkt, ctx) != 0)
              {
                off = size; /* stop, as asked */
                continue;
              }
          }
          break;
        default:
          break; /* name resolution, statistics, custom ...: not needed here */
        }
      if (ret < 0)
        break;
      off += len;
    }

  free (r.ifs);
  if (ret < 0)
    {
      free_names (r.names);
      return -1;
    }
  if (if_names)
    *if_names = r.names;
  else
    free_names (r.names);
  return count;
}
