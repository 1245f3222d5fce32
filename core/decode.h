/* The packet decoder behind `netloom capture --summary` and the GUI's packet list: one
 * line per frame, tcpdump-like, from the Ethernet header up. It never reads past
 * caplen, whatever the bytes say (tests/fuzz runs it on garbage). */
#ifndef LOOM_DECODE_H
#define LOOM_DECODE_H

#include <stddef.h>
#include <stdint.h>

/**
 * loom_decode_summary() - describe an Ethernet frame in one line.
 * @frame: the captured bytes (may be truncated: caplen < origlen).
 * @caplen: bytes available in @frame.
 * @origlen: the frame's length on the wire.
 * @out: receives a NUL-terminated line, no trailing newline (truncated to fit).
 * @outlen: size of @out (at least 1).
 *
 * The line names addresses, the protocol and its key fields, e.g.
 *   "10.0.1.11 > 10.0.2.13 ICMP echo request id 7 seq 1 ttl 64, length 84"
 *   "02:5c:17:47:f7:d4 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.1.1 tell 10.0.1.11"
 * Returns the length of the line.
 */
size_t loom_decode_summary (const uint8_t *frame, size_t caplen, size_t origlen, char *out,
                            size_t outlen);

#endif
