/* pcapng files: netloom writes one per capture ring file (a section header, one
 * interface block named "node:if" with a comment naming the link, then enhanced packet
 * blocks with nanosecond timestamps and the direction), and reads them back to export
 * or list. Files open in Wireshark and tshark without warnings. */
#ifndef LOOM_PCAPNG_H
#define LOOM_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define LOOM_LINKTYPE_ETHERNET 1

enum loom_pkt_dir
{
  LOOM_DIR_UNKNOWN = 0,
  LOOM_DIR_INBOUND = 1,
  LOOM_DIR_OUTBOUND = 2,
};

struct loom_pcapng_if
{
  const char *name;    /* "h1:eth1" (if_name) */
  const char *comment; /* "link h1:eth1 -- sw1:p1" (opt_comment); may be NULL */
  uint16_t linktype;   /* LOOM_LINKTYPE_ETHERNET */
  uint32_t snaplen;
};

/* Writes a section header block (application "netloom <version>", an optional comment)
 * followed by one interface description block per interface (if_tsresol 9: ns).
 * Returns the number of bytes written or -1. */
long loom_pcapng_write_header (FILE *f, const char *comment, const struct loom_pcapng_if *ifs,
                               size_t n_ifs, loom_error_t *err);

/* Writes one enhanced packet block. ts_ns: nanoseconds since the epoch. Returns the
 * bytes written or -1. */
long loom_pcapng_write_packet (FILE *f, uint32_t if_id, uint64_t ts_ns, const void *data,
                               uint32_t caplen, uint32_t origlen, enum loom_pkt_dir dir,
                               loom_error_t *err);

/* The bytes of an enhanced packet block around its data, for writers that gather the
 * block from pieces (writev): head[28], then the caplen data bytes, then tail (the
 * padding, the flags option and the trailing length). */
#define LOOM_PCAPNG_EPB_HEAD 28
#define LOOM_PCAPNG_EPB_TAIL_MAX 20
/* Fills head and tail; returns the block's total length and sets *tail_len, or -1 (a
 * bad caplen, see loom_pcapng_write_packet). */
long loom_pcapng_packet_frame (uint8_t head[LOOM_PCAPNG_EPB_HEAD],
                               uint8_t tail[LOOM_PCAPNG_EPB_TAIL_MAX], size_t *tail_len,
                               uint32_t if_id, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
                               enum loom_pkt_dir dir, loom_error_t *err);
/* The section header and interface blocks of loom_pcapng_write_header, in memory
 * (*out is the caller's to free). Returns the length or -1. */
long loom_pcapng_header_bytes (uint8_t **out, const char *comment, const struct loom_pcapng_if *ifs,
                               size_t n_ifs, loom_error_t *err);

struct loom_pcapng_packet
{
  uint32_t if_id;
  uint64_t ts_ns;
  const uint8_t *data;
  uint32_t caplen;
  uint32_t origlen;
  enum loom_pkt_dir dir;
};

/* Called per packet by the reader; return non-zero to stop. */
typedef int (*loom_pcapng_cb) (const struct loom_pcapng_packet *pkt, void *ctx);

/**
 * loom_pcapng_read() - read a pcapng file written by netloom (or any pcapng file with
 * Ethernet interfaces), calling @cb for each packet in file order.
 * @if_names: when not NULL, receives the interface names of the first section
 *            (NULL-terminated array owned by the caller).
 *
 * A file cut short at the end (a writer still appending, or killed) is read up to its
 * last complete block without error. Returns the number of packets or -1.
 */
long loom_pcapng_read (const char *path, loom_pcapng_cb cb, void *ctx, char ***if_names,
                       loom_error_t *err);

#endif
