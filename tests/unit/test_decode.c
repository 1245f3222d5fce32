/* Unit tests for the one-line packet decoder (core/decode.c): hand-made frames for every
 * protocol it knows, checked for what a user reads in the line (addresses, names, the
 * key fields); then every prefix of every frame, each in a heap block of exactly that
 * size so ASan or valgrind catch a read past caplen, plus random frames and random
 * mutations of the real ones (LOOM_DECODE_RANDOM sets how many; valgrind runs use fewer).
 * With LOOM_DECODE_CORPUS_DIR set, the frames are also written there as files: that is
 * how tests/fuzz/corpus/ was seeded. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/decode.h"

/* ---- building blocks for hand-written frames ---------------------------------------- */

#define BE16(x) (uint8_t) ((x) >> 8), (uint8_t) (x)
#define BE32(x) (uint8_t) ((x) >> 24), (uint8_t) ((x) >> 16), (uint8_t) ((x) >> 8), (uint8_t) (x)

#define MAC_H1 0x02, 0x5c, 0x17, 0x47, 0xf7, 0xd4
#define MAC_H2 0x02, 0x5c, 0x17, 0x47, 0xf7, 0xd5
#define MAC_R1 0x02, 0x00, 0x00, 0x00, 0x01, 0x01
#define MAC_SW1 0x02, 0x00, 0x00, 0x00, 0x00, 0x01
#define MAC_SW2 0x02, 0x00, 0x00, 0x00, 0x00, 0x02
#define MAC_BCAST 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
#define MAC_STP 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00
#define MAC_LLDP 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e
#define MAC_CISCO 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc
#define MAC_PVST 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd
#define MAC_OSPF 0x01, 0x00, 0x5e, 0x00, 0x00, 0x05
#define MAC_SNM2 0x33, 0x33, 0xff, 0x00, 0x00, 0x02
#define MAC_ALLNODES 0x33, 0x33, 0x00, 0x00, 0x00, 0x01
#define MAC_ALLROUTERS 0x33, 0x33, 0x00, 0x00, 0x00, 0x02
#define MAC_MLDV2 0x33, 0x33, 0x00, 0x00, 0x00, 0x16
#define MAC_OSPF6 0x33, 0x33, 0x00, 0x00, 0x00, 0x05

#define IP_H1 10, 0, 1, 11
#define IP_H2 10, 0, 2, 13
#define IP_R1 10, 0, 1, 1
#define IP_GW 10, 0, 1, 254
#define IP_NS 10, 0, 0, 53
#define IP_A 10, 0, 0, 1
#define IP_B 10, 0, 0, 2
#define IP_ANY 0, 0, 0, 0
#define IP_BCAST 255, 255, 255, 255
#define IP_ALLSPF 224, 0, 0, 5

#define IP6_LL1 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define IP6_LL2 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
#define IP6_LL3 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03
#define IP6_DB8 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define IP6_DB8_1 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define IP6_DB8_2 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
#define IP6_DB8_5 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05
#define IP6_DB8_53 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53
#define IP6_SNM2 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00, 0x00, 0x02
#define IP6_ALLNODES 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define IP6_ALLROUTERS 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02
#define IP6_MLDV2 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16
#define IP6_ALLSPF 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05

#define ETH(dst, src, type) dst, src, BE16 (type)
/* IPv4 header without options (checksums are left 0: the decoder does not check them). */
#define IP4(tot, id, frag, ttl, proto, src, dst)                                                   \
  0x45, 0x00, BE16 (tot), BE16 (id), BE16 (frag), ttl, proto, 0x00, 0x00, src, dst
#define IP6(plen, nh, hlim, src, dst) 0x60, 0x00, 0x00, 0x00, BE16 (plen), nh, hlim, src, dst
#define UDP(sport, dport, len) BE16 (sport), BE16 (dport), BE16 (len), 0x00, 0x00
#define TCP(sport, dport, seq, ack, words, flags, win)                                             \
  BE16 (sport), BE16 (dport), BE32 (seq), BE32 (ack), (words) << 4, flags, BE16 (win), 0x00, 0x00, \
      0x00, 0x00
#define BGP_MARKER                                                                                 \
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
#define EXAMPLE_COM 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
#define OSPF2(type, len)                                                                           \
  2, type, BE16 (len), 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define LSA_HDR(len)                                                                               \
  BE16 (1), 0x22, 1, 1, 1, 1, 1, 1, 1, 1, 1, BE32 (0x80000001), BE16 (0), BE16 (len)

/* The frames below are laid out by hand, one header or field group per line, so they
 * can be read against the RFCs; clang-format would put every byte on its own line. */
/* clang-format off */

/* ---- ARP ------------------------------------------------------------------------------ */

static const uint8_t arp_request[] = {
  ETH (MAC_BCAST, MAC_H1, 0x0806),
  BE16 (1), BE16 (0x0800), 6, 4, BE16 (1), /* Ethernet/IPv4, request */
  MAC_H1, IP_H1,                           /* sender */
  0, 0, 0, 0, 0, 0, IP_R1,                 /* target */
};

static const uint8_t arp_reply[] = {
  ETH (MAC_H1, MAC_R1, 0x0806), BE16 (1), BE16 (0x0800), 6, 4, BE16 (2),
  MAC_R1, IP_R1, MAC_H1, IP_H1,
};

static const uint8_t arp_gratuitous[60] = {
  ETH (MAC_BCAST, MAC_R1, 0x0806), BE16 (1), BE16 (0x0800), 6, 4, BE16 (1),
  MAC_R1, IP_R1, 0, 0, 0, 0, 0, 0, IP_R1, /* padded to 60 with zeros */
};

/* RFC 5227 probe, as `arping -D` and address conflict detection send it. */
static const uint8_t arp_probe[] = {
  ETH (MAC_BCAST, MAC_H1, 0x0806), BE16 (1), BE16 (0x0800), 6, 4, BE16 (1),
  MAC_H1, IP_ANY, 0, 0, 0, 0, 0, 0, IP_H1,
};

/* ---- ICMP ----------------------------------------------------------------------------- */

/* What `ping -c1 10.0.2.13` sends: 56 bytes of payload. */
static const uint8_t icmp_echo[] = {
  ETH (MAC_R1, MAC_H1, 0x0800),
  IP4 (84, 0x1c46, 0x4000, 64, 1, IP_H1, IP_H2),
  8, 0, 0x00, 0x00, BE16 (7), BE16 (1),
  0x6e, 0x1b, 0x5a, 0x66, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
  0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31,
  0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

static const uint8_t icmp_echo_reply[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (28, 0x0101, 0, 63, 1, IP_H2, IP_H1),
  0, 0, 0x00, 0x00, BE16 (7), BE16 (1),
};

static const uint8_t icmp_port_unreachable[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (56, 0, 0, 64, 1, IP_H2, IP_H1),
  3, 3, 0x00, 0x00, 0, 0, 0, 0,                     /* port unreachable */
  IP4 (60, 0x4242, 0, 1, 17, IP_H1, IP_H2),         /* the quoted packet */
  UDP (40000, 33434, 40),
};

static const uint8_t icmp_need_frag[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (56, 0, 0, 64, 1, IP_R1, IP_H1),
  3, 4, 0x00, 0x00, 0, 0, BE16 (1400),
  IP4 (1500, 0x4243, 0x4000, 63, 6, IP_H1, IP_H2),
  BE16 (43210), BE16 (80), BE32 (124),
};

static const uint8_t icmp_time_exceeded[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (56, 0, 0, 64, 1, IP_R1, IP_H1),
  11, 0, 0x00, 0x00, 0, 0, 0, 0,
  IP4 (84, 0x1c47, 0x4000, 1, 1, IP_H1, IP_H2),
  8, 0, 0x00, 0x00, BE16 (8), BE16 (1),
};

static const uint8_t icmp_redirect[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (56, 0, 0, 64, 1, IP_R1, IP_H1),
  5, 1, 0x00, 0x00, IP_GW,                          /* redirect host, gateway */
  IP4 (84, 0x1c48, 0x4000, 63, 1, IP_H1, IP_H2),
  8, 0, 0x00, 0x00, BE16 (9), BE16 (1),
};

/* ---- IPv4 details --------------------------------------------------------------------- */

static const uint8_t ip4_first_fragment[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (52, 4660, 0x2000, 64, 17, IP_H1, IP_H2),
  UDP (5000, 6000, 1508), 'f', 'i', 'r', 's', 't', ' ', 'p', 'a', 'r', 't', ' ', 'o',
  'f', ' ', 'a', ' ', 'b', 'i', 'g', ' ', 'o', 'n', 'e', '.',
};

static const uint8_t ip4_last_fragment[60] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (36, 4660, 185, 64, 17, IP_H1, IP_H2), /* 185*8 = 1480 */
  'l', 'a', 's', 't', ' ', 'p', 'a', 'r', 't', ' ', 'o', 'f', ' ', 'i', 't', '.',
};

/* IHL 6: a router alert option before a GRE header. */
static const uint8_t ip4_options_gre[] = {
  ETH (MAC_R1, MAC_H1, 0x0800),
  0x46, 0x00, BE16 (28), BE16 (1), BE16 (0), 64, 47, 0x00, 0x00, IP_H1, IP_H2,
  0x94, 0x04, 0x00, 0x00, 0x00, 0x00, BE16 (0x0800),
};

/* ---- TCP ------------------------------------------------------------------------------ */

static const uint8_t tcp_syn[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (60, 1, 0x4000, 64, 6, IP_H1, IP_H2),
  TCP (43210, 80, 123, 0, 10, 0x02, 64240),
  0x02, 0x04, BE16 (1460), 0x04, 0x02, 0x08, 0x0a, BE32 (1), BE32 (0), 0x01, 0x03, 0x03, 0x07,
};

static const uint8_t tcp_syn_ack[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (44, 0, 0x4000, 63, 6, IP_H2, IP_H1),
  TCP (80, 43210, 5000, 124, 6, 0x12, 65160), 0x02, 0x04, BE16 (1460),
};

/* A bare ACK is padded to 60 bytes on the wire; the padding is not payload. */
static const uint8_t tcp_ack_padded[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (40, 2, 0x4000, 64, 6, IP_H1, IP_H2),
  TCP (43210, 80, 124, 5001, 5, 0x10, 502), 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad,
};

static const uint8_t tcp_push[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (45, 3, 0x4000, 64, 6, IP_H1, IP_H2),
  TCP (43210, 80, 124, 5001, 5, 0x18, 502), 'h', 'e', 'l', 'l', 'o',
};

static const uint8_t tcp_fin[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (40, 4, 0x4000, 64, 6, IP_H1, IP_H2),
  TCP (43210, 80, 129, 5001, 5, 0x11, 502),
};

static const uint8_t tcp_rst[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (40, 0, 0x4000, 64, 6, IP_H2, IP_H1),
  TCP (81, 43211, 0, 0, 5, 0x04, 0),
};

static const uint8_t tcp6_syn[] = {
  ETH (MAC_R1, MAC_H1, 0x86dd), IP6 (20, 6, 64, IP6_DB8_1, IP6_DB8_2),
  TCP (43211, 22, 1000, 0, 5, 0x02, 64800),
};

/* ---- UDP, DHCP, DNS ------------------------------------------------------------------- */

static const uint8_t udp_plain[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (32, 5, 0, 64, 17, IP_H1, IP_H2),
  UDP (5000, 6000, 12), 'p', 'i', 'n', 'g',
};

/* The DHCP frames are 342 bytes: a 300-byte BOOTP message whose zeros are left out. */
static const uint8_t dhcp_discover[14 + 20 + 8 + 300] = {
  ETH (MAC_BCAST, MAC_H1, 0x0800), IP4 (328, 0, 0, 64, 17, IP_ANY, IP_BCAST),
  UDP (68, 67, 308),
  1, 1, 6, 0, BE32 (0x1234abcd), BE16 (0), BE16 (0x8000), /* op, htype, hlen, hops, xid, secs, flags */
  [42 + 28] = MAC_H1,                                     /* chaddr */
  [42 + 236] = BE32 (0x63825363),                         /* magic cookie */
  53, 1, 1,                                               /* DHCP Discover */
  50, 4, IP_H1,                                           /* requested address */
  55, 3, 1, 3, 6,                                         /* parameter request list */
  255,
};

static const uint8_t dhcp_offer[14 + 20 + 8 + 300] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (328, 0, 0, 64, 17, IP_R1, IP_BCAST),
  UDP (67, 68, 308),
  2, 1, 6, 0, BE32 (0x1234abcd), BE16 (0), BE16 (0x8000),
  [42 + 16] = IP_H1,                                      /* yiaddr */
  [42 + 28] = MAC_H1,
  [42 + 236] = BE32 (0x63825363),
  53, 1, 2,                                               /* DHCP Offer */
  54, 4, IP_R1,                                           /* server id */
  51, 4, BE32 (3600),                                     /* lease time */
  1, 4, 255, 255, 255, 0,                                 /* netmask */
  0, 0,                                                   /* pad */
  255,
};

static const uint8_t dhcp_request[14 + 20 + 8 + 300] = {
  ETH (MAC_BCAST, MAC_H1, 0x0800), IP4 (328, 0, 0, 64, 17, IP_ANY, IP_BCAST),
  UDP (68, 67, 308),
  1, 1, 6, 0, BE32 (0x1234abcd), BE16 (0), BE16 (0x8000),
  [42 + 28] = MAC_H1,
  [42 + 236] = BE32 (0x63825363),
  53, 1, 3, 50, 4, IP_H1, 54, 4, IP_R1, 255,
};

static const uint8_t dhcp_ack[14 + 20 + 8 + 300] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (328, 0, 0, 64, 17, IP_R1, IP_H1),
  UDP (67, 68, 308),
  2, 1, 6, 0, BE32 (0x1234abcd), BE16 (0), BE16 (0),
  [42 + 16] = IP_H1,
  [42 + 28] = MAC_H1,
  [42 + 236] = BE32 (0x63825363),
  53, 1, 5, 54, 4, IP_R1, 51, 4, BE32 (3600), 255,
};

static const uint8_t dns_query[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (57, 6, 0, 64, 17, IP_H1, IP_NS),
  UDP (40000, 53, 37),
  BE16 (0x1234), BE16 (0x0100), BE16 (1), BE16 (0), BE16 (0), BE16 (0), /* RD */
  EXAMPLE_COM, BE16 (1), BE16 (1),                                      /* A IN */
};

/* A CNAME, then the address; both answer names are compression pointers. */
static const uint8_t dns_response[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (91, 0, 0, 64, 17, IP_NS, IP_H1),
  UDP (53, 40000, 71),
  BE16 (0x1234), BE16 (0x8180), BE16 (1), BE16 (2), BE16 (0), BE16 (0),
  EXAMPLE_COM, BE16 (1), BE16 (1),                                     /* offset 12 */
  0xc0, 12, BE16 (5), BE16 (1), BE32 (300), BE16 (6), 3, 'w', 'w', 'w', 0xc0, 12,
  0xc0, 41, BE16 (1), BE16 (1), BE32 (300), BE16 (4), 93, 184, 216, 34, /* www.example.com */
};

static const uint8_t dns6_aaaa[] = {
  ETH (MAC_H1, MAC_R1, 0x86dd), IP6 (65, 17, 64, IP6_DB8_53, IP6_DB8_1),
  UDP (53, 40000, 65),
  BE16 (0xbeef), BE16 (0x8180), BE16 (1), BE16 (1), BE16 (0), BE16 (0),
  EXAMPLE_COM, BE16 (28), BE16 (1),
  0xc0, 12, BE16 (28), BE16 (1), BE32 (300), BE16 (16), IP6_DB8_1,
};

static const uint8_t dns_nxdomain_ptr[] = {
  ETH (MAC_H1, MAC_R1, 0x0800), IP4 (67, 0, 0, 64, 17, IP_NS, IP_H1),
  UDP (53, 40001, 47),
  BE16 (7), BE16 (0x8183), BE16 (1), BE16 (0), BE16 (0), BE16 (0),
  1, '1', 1, '0', 1, '0', 2, '1', '0', 7, 'i', 'n', '-', 'a', 'd', 'd', 'r', 4, 'a', 'r', 'p', 'a', 0,
  BE16 (12), BE16 (1),
};

static const uint8_t dns_tcp_mx[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (71, 7, 0x4000, 64, 6, IP_H1, IP_NS),
  TCP (40002, 53, 1, 1, 5, 0x18, 502),
  BE16 (29), BE16 (0x1235), BE16 (0x0100), BE16 (1), BE16 (0), BE16 (0), BE16 (0),
  EXAMPLE_COM, BE16 (15), BE16 (1),
};

/* The question's name is a pointer to itself. */
static const uint8_t dns_loop[] = {
  ETH (MAC_R1, MAC_H1, 0x0800), IP4 (46, 8, 0, 64, 17, IP_H1, IP_NS),
  UDP (40003, 53, 26),
  BE16 (0x0bad), BE16 (0x0100), BE16 (1), BE16 (0), BE16 (0), BE16 (0),
  0xc0, 12, BE16 (1), BE16 (1),
};

/* ---- IPv6 and ICMPv6 ------------------------------------------------------------------ */

static const uint8_t icmp6_echo[] = {
  ETH (MAC_R1, MAC_H1, 0x86dd), IP6 (16, 58, 64, IP6_DB8_1, IP6_DB8_2),
  128, 0, 0x00, 0x00, BE16 (9), BE16 (3), 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
};

static const uint8_t icmp6_ns[] = {
  ETH (MAC_SNM2, MAC_H1, 0x86dd), IP6 (32, 58, 255, IP6_LL1, IP6_SNM2),
  135, 0, 0x00, 0x00, 0, 0, 0, 0, IP6_DB8_2,
  1, 1, MAC_H1,                                 /* source link-layer address */
};

static const uint8_t icmp6_na[] = {
  ETH (MAC_H1, MAC_H2, 0x86dd), IP6 (32, 58, 255, IP6_DB8_2, IP6_LL1),
  136, 0, 0x00, 0x00, 0x60, 0, 0, 0, IP6_DB8_2, /* solicited, override */
  2, 1, MAC_H2,                                 /* target link-layer address */
};

static const uint8_t icmp6_rs[] = {
  ETH (MAC_ALLROUTERS, MAC_H1, 0x86dd), IP6 (16, 58, 255, IP6_LL1, IP6_ALLROUTERS),
  133, 0, 0x00, 0x00, 0, 0, 0, 0, 1, 1, MAC_H1,
};

static const uint8_t icmp6_ra[] = {
  ETH (MAC_ALLNODES, MAC_R1, 0x86dd), IP6 (64, 58, 255, IP6_LL2, IP6_ALLNODES),
  134, 0, 0x00, 0x00, 64, 0x00, BE16 (1800), BE32 (0), BE32 (0),
  3, 4, 64, 0xc0, BE32 (2592000), BE32 (604800), 0, 0, 0, 0, IP6_DB8, /* prefix */
  5, 1, 0, 0, BE32 (1500),                                             /* MTU */
  1, 1, MAC_R1,
};

static const uint8_t icmp6_redirect[] = {
  ETH (MAC_H1, MAC_R1, 0x86dd), IP6 (40, 58, 255, IP6_LL2, IP6_DB8_1),
  137, 0, 0x00, 0x00, 0, 0, 0, 0, IP6_LL3, IP6_DB8_5, /* target, destination */
};

/* MLDv2 reports ride behind a hop-by-hop header carrying router alert. */
static const uint8_t mld2_report[] = {
  ETH (MAC_MLDV2, MAC_H1, 0x86dd), IP6 (36, 0, 1, IP6_LL1, IP6_MLDV2),
  58, 0, 5, 2, 0, 0, 1, 0,                            /* HBH: router alert, PadN */
  143, 0, 0x00, 0x00, 0, 0, BE16 (1),
  4, 0, BE16 (0), IP6_SNM2,                           /* change to exclude */
};

static const uint8_t icmp6_port_unreachable[] = {
  ETH (MAC_H1, MAC_R1, 0x86dd), IP6 (56, 58, 64, IP6_DB8_2, IP6_DB8_1),
  1, 4, 0x00, 0x00, 0, 0, 0, 0,
  IP6 (8, 17, 64, IP6_DB8_1, IP6_DB8_2), UDP (40000, 33434, 8),
};

static const uint8_t icmp6_param_problem[] = {
  ETH (MAC_H1, MAC_R1, 0x86dd), IP6 (48, 58, 64, IP6_DB8_2, IP6_DB8_1),
  4, 1, 0x00, 0x00, BE32 (40),               /* unrecognized next header, at byte 40 */
  IP6 (0, 253, 64, IP6_DB8_1, IP6_DB8_2),
};

/* Hop-by-hop, destination options, routing and fragment headers before UDP. */
static const uint8_t ip6_ext_chain[] = {
  ETH (MAC_R1, MAC_H1, 0x86dd), IP6 (60, 0, 64, IP6_DB8_1, IP6_DB8_2),
  60, 0, 1, 4, 0, 0, 0, 0,                       /* HBH: PadN */
  43, 0, 1, 4, 0, 0, 0, 0,                       /* DSTOPT: PadN */
  44, 2, 0, 0, 0, 0, 0, 0, IP6_DB8_5,            /* RH type 0, 24 bytes */
  17, 0, BE16 (0x0001), BE32 (0xdeadbeef),       /* fragment: offset 0, more */
  UDP (5000, 6000, 12), 'p', 'i', 'n', 'g',
};

static const uint8_t ip6_later_fragment[] = {
  ETH (MAC_R1, MAC_H1, 0x86dd), IP6 (24, 44, 64, IP6_DB8_1, IP6_DB8_2),
  17, 0, BE16 (1480), BE32 (0xdeadbeef),
  'f', 'r', 'a', 'g', 'm', 'e', 'n', 't', ' ', 't', 'w', 'o', ' ', 'o', 'f', '2',
};

static const uint8_t ip6_sctp[] = {
  ETH (MAC_R1, MAC_H1, 0x86dd), IP6 (4, 132, 64, IP6_DB8_1, IP6_DB8_2), BE16 (3868), BE16 (3868),
};

/* ---- OSPF ----------------------------------------------------------------------------- */

static const uint8_t ospf_hello[] = {
  ETH (MAC_OSPF, MAC_R1, 0x0800), IP4 (68, 9, 0, 1, 89, IP_A, IP_ALLSPF),
  OSPF2 (1, 48),
  255, 255, 255, 0, BE16 (10), 0x02, 1, BE32 (40), IP_A, 0, 0, 0, 0, /* mask .. BDR */
  2, 2, 2, 2,                                                         /* one neighbour */
};

static const uint8_t ospf_dbd[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (52, 10, 0, 1, 89, IP_A, IP_B),
  OSPF2 (2, 32), BE16 (1500), 0x02, 0x07, BE32 (4242),
};

static const uint8_t ospf_lsr[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (56, 11, 0, 1, 89, IP_A, IP_B),
  OSPF2 (3, 36), BE32 (1), 2, 2, 2, 2, 2, 2, 2, 2,
};

static const uint8_t ospf_lsu[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (72, 12, 0, 1, 89, IP_A, IP_B),
  OSPF2 (4, 52), BE32 (1), LSA_HDR (24), 0, 0, BE16 (0), /* a router LSA with no links */
};

static const uint8_t ospf_lsack[] = {
  ETH (MAC_OSPF, MAC_R1, 0x0800), IP4 (64, 13, 0, 1, 89, IP_A, IP_ALLSPF),
  OSPF2 (5, 44), LSA_HDR (36),
};

static const uint8_t ospf3_hello[] = {
  ETH (MAC_OSPF6, MAC_R1, 0x86dd), IP6 (40, 89, 1, IP6_LL1, IP6_ALLSPF),
  3, 1, BE16 (40), 1, 1, 1, 1, 0, 0, 0, 0, 0x00, 0x00, 0, 0,
  BE32 (3), 1, 0, 0, 0x13, BE16 (10), BE16 (40), 1, 1, 1, 1, 0, 0, 0, 0,
  2, 2, 2, 2,
};

/* ---- BGP ------------------------------------------------------------------------------ */

static const uint8_t bgp_open[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (77, 14, 0x4000, 1, 6, IP_A, IP_B),
  TCP (179, 54321, 1, 1, 5, 0x18, 502),
  BGP_MARKER, BE16 (37), 1,
  4, BE16 (65001), BE16 (90), 1, 1, 1, 1, 8, /* version, AS, hold, id, params */
  2, 6, 65, 4, BE32 (65001),                 /* capability: 4-byte AS */
};

static const uint8_t bgp_open_as4[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (85, 15, 0x4000, 1, 6, IP_B, IP_A),
  TCP (54321, 179, 1, 38, 5, 0x18, 502),
  BGP_MARKER, BE16 (45), 1,
  4, BE16 (23456), BE16 (180), 2, 2, 2, 2, 16,
  2, 6, 1, 4, 0, 1, 0, 1,                    /* multiprotocol IPv4 unicast */
  2, 6, 65, 4, BE32 (4200000001u),
};

static const uint8_t bgp_keepalive_update[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (106, 16, 0x4000, 1, 6, IP_A, IP_B),
  TCP (179, 54321, 38, 46, 5, 0x18, 502),
  BGP_MARKER, BE16 (19), 4,
  BGP_MARKER, BE16 (47), 2, BE16 (0), BE16 (20),
  0x40, 1, 1, 0,                             /* ORIGIN IGP */
  0x40, 2, 6, 2, 1, BE32 (65001),            /* AS_PATH 65001 */
  0x40, 3, 4, IP_A,                          /* NEXT_HOP */
  24, 10, 1, 0,                              /* 10.1.0.0/24 */
};

static const uint8_t bgp_withdraw[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (67, 17, 0x4000, 1, 6, IP_A, IP_B),
  TCP (179, 54321, 104, 46, 5, 0x18, 502),
  BGP_MARKER, BE16 (27), 2, BE16 (4), 24, 10, 1, 0, BE16 (0),
};

static const uint8_t bgp_notification[] = {
  ETH (MAC_R1, MAC_R1, 0x0800), IP4 (61, 18, 0x4000, 1, 6, IP_B, IP_A),
  TCP (54321, 179, 46, 131, 5, 0x18, 502),
  BGP_MARKER, BE16 (21), 3, 6, 2,            /* cease, administrative shutdown */
};

/* ---- STP, LLDP, VLANs, the rest ------------------------------------------------------- */

static const uint8_t stp_config[60] = {
  ETH (MAC_STP, MAC_SW2, 38), 0x42, 0x42, 0x03,
  BE16 (0), 0, 0x00, 0x00,                   /* STP, config BPDU, no flags */
  BE16 (0x8000), MAC_SW1, BE32 (4),          /* root, cost */
  BE16 (0x8000), MAC_SW2, BE16 (0x8001),     /* bridge, port */
  BE16 (0), BE16 (20 * 256), BE16 (2 * 256), BE16 (15 * 256),
};

static const uint8_t rstp[60] = {
  ETH (MAC_STP, MAC_SW2, 39), 0x42, 0x42, 0x03,
  BE16 (0), 2, 0x02, 0x3c,                   /* RSTP; designated, learning, forwarding */
  BE16 (0x8000), MAC_SW1, BE32 (20000), BE16 (0x8000), MAC_SW2, BE16 (0x8002),
  BE16 (256), BE16 (20 * 256), BE16 (2 * 256), BE16 (15 * 256), 0,
};

static const uint8_t stp_tcn[60] = {
  ETH (MAC_STP, MAC_SW2, 7), 0x42, 0x42, 0x03, BE16 (0), 0, 0x80,
};

static const uint8_t pvst_rstp[] = {
  ETH (MAC_PVST, MAC_SW2, 50), 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, BE16 (0x010b),
  BE16 (0), 2, 0x02, 0x7c, BE16 (0x800a), MAC_SW1, BE32 (0), BE16 (0x800a), MAC_SW1,
  BE16 (0x8001), BE16 (0), BE16 (20 * 256), BE16 (2 * 256), BE16 (15 * 256), 0,
  BE16 (0), BE16 (2), BE16 (10),             /* PVID TLV */
};

static const uint8_t snap_cdp[] = {
  ETH (MAC_CISCO, MAC_SW2, 12), 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, BE16 (0x2000),
  2, 180, 0x00, 0x00,
};

static const uint8_t lldp[] = {
  ETH (MAC_LLDP, MAC_SW2, 0x88cc),
  0x02, 7, 4, MAC_SW2,                       /* chassis id: MAC */
  0x04, 5, 5, 'e', 't', 'h', '1',            /* port id: interface name */
  0x06, 2, BE16 (120),                       /* TTL */
  0x0a, 7, 'r', 'o', 'u', 't', 'e', 'r', '1', /* system name */
  0x0c, 4, 'l', 'a', 'b', '\n',              /* system description */
  0x00, 0x00,                                /* end */
};

static const uint8_t vlan_arp[] = {
  ETH (MAC_BCAST, MAC_H1, 0x8100), BE16 (10), BE16 (0x0806),
  BE16 (1), BE16 (0x0800), 6, 4, BE16 (1), MAC_H1, IP_H1, 0, 0, 0, 0, 0, 0, IP_R1,
};

static const uint8_t qinq_icmp[] = {
  ETH (MAC_R1, MAC_H1, 0x88a8), BE16 (100), BE16 (0x8100), BE16 (0xa00a), BE16 (0x0800),
  IP4 (28, 19, 0, 64, 1, IP_H1, IP_H2), 8, 0, 0x00, 0x00, BE16 (7), BE16 (2),
};

static const uint8_t ether_unknown[60] = {
  ETH (MAC_R1, MAC_H1, 0x1234), 'n', 'o', 't', 'h', 'i', 'n', 'g',
};

static const uint8_t ether_mpls[] = {
  ETH (MAC_R1, MAC_H1, 0x8847), BE32 (0x000641ff),
};

/* clang-format on */

struct frame
{
  const char *name;
  const uint8_t *data;
  size_t len;
  const char *expect[4];
};

#define FRAME(n, ...)                                                                              \
  {                                                                                                \
#n, n, sizeof(n), { __VA_ARGS__ }                                                              \
  }

/* Each frame and the pieces of its line a user would look for. */
static const struct frame frames[] = {
  FRAME (arp_request, "02:5c:17:47:f7:d4 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.1.1 tell 10.0.1.11"),
  FRAME (arp_reply, "02:00:00:00:01:01 > 02:5c:17:47:f7:d4 ARP 10.0.1.1 is-at 02:00:00:00:01:01"),
  FRAME (arp_gratuitous, "ARP who-has 10.0.1.1 tell 10.0.1.1 (gratuitous)"),
  FRAME (arp_probe, "ARP who-has 10.0.1.11 tell 0.0.0.0 (probe)"),
  FRAME (icmp_echo, "10.0.1.11 > 10.0.2.13 ICMP echo request id 7 seq 1 ttl 64, length 84"),
  FRAME (icmp_echo_reply, "10.0.2.13 > 10.0.1.11 ICMP echo reply id 7 seq 1 ttl 63, length 28"),
  FRAME (icmp_port_unreachable, "ICMP unreachable port", "(10.0.1.11.40000 > 10.0.2.13.33434 UDP)"),
  FRAME (icmp_need_frag, "unreachable need-frag mtu 1400", "10.0.1.11.43210 > 10.0.2.13.80 TCP"),
  FRAME (icmp_time_exceeded, "10.0.1.1 > 10.0.1.11 ICMP time exceeded in-transit",
         "(10.0.1.11 > 10.0.2.13 ICMP)"),
  FRAME (icmp_redirect, "ICMP redirect host to 10.0.1.254"),
  FRAME (ip4_first_fragment, "10.0.1.11.5000 > 10.0.2.13.6000 frag id 4660 offset 0+ UDP"),
  FRAME (ip4_last_fragment, "10.0.1.11 > 10.0.2.13 frag id 4660 offset 1480 UDP ttl 64, length 36"),
  FRAME (ip4_options_gre, "10.0.1.11 > 10.0.2.13 IPv4 proto 47 (GRE) ttl 64, length 28"),
  FRAME (tcp_syn, "10.0.1.11.43210 > 10.0.2.13.80 TCP [S] seq 123 win 64240, length 0"),
  FRAME (tcp_syn_ack,
         "10.0.2.13.80 > 10.0.1.11.43210 TCP [S.] seq 5000 ack 124 win 65160, length 0"),
  FRAME (tcp_ack_padded, "TCP [.] seq 124 ack 5001 win 502, length 0"),
  FRAME (tcp_push, "TCP [P.] seq 124:129 ack 5001 win 502, length 5"),
  FRAME (tcp_fin, "TCP [F.] seq 129 ack 5001"),
  FRAME (tcp_rst, "10.0.2.13.81 > 10.0.1.11.43211 TCP [R] seq 0 win 0, length 0"),
  FRAME (tcp6_syn, "2001:db8::1.43211 > 2001:db8::2.22 TCP [S] seq 1000 win 64800, length 0"),
  FRAME (udp_plain, "10.0.1.11.5000 > 10.0.2.13.6000 UDP, length 4"),
  FRAME (dhcp_discover,
         "0.0.0.0.68 > 255.255.255.255.67 DHCP Discover xid 0x1234abcd chaddr "
         "02:5c:17:47:f7:d4",
         "requested 10.0.1.11", ", length 300"),
  FRAME (dhcp_offer, "DHCP Offer xid 0x1234abcd", "yiaddr 10.0.1.11", "server-id 10.0.1.1"),
  FRAME (dhcp_request, "DHCP Request", "requested 10.0.1.11 server-id 10.0.1.1"),
  FRAME (dhcp_ack, "10.0.1.1.67 > 10.0.1.11.68 DHCP Ack", "yiaddr 10.0.1.11"),
  FRAME (dns_query, "10.0.1.11.40000 > 10.0.0.53.53 DNS query id 4660 A? example.com, length 29"),
  FRAME (dns_response, "DNS response id 4660 NOERROR A? example.com answers 2 A 93.184.216.34"),
  FRAME (dns6_aaaa, "2001:db8::53.53 > 2001:db8::1.40000 DNS response id 48879",
         "AAAA? example.com answers 1 AAAA 2001:db8::1"),
  FRAME (dns_nxdomain_ptr, "NXDOMAIN PTR? 1.0.0.10.in-addr.arpa answers 0"),
  FRAME (dns_tcp_mx,
         "TCP [P.] seq 1:32 ack 1 win 502, length 31: DNS query id 4661 MX? example.com"),
  FRAME (dns_loop, "DNS query id 2989", "[bad name]"),
  FRAME (icmp6_echo, "2001:db8::1 > 2001:db8::2 ICMPv6 echo request id 9 seq 3 hlim 64, length 56"),
  FRAME (icmp6_ns, "fe80::1 > ff02::1:ff00:2 ICMPv6 neighbor solicitation who-has 2001:db8::2",
         "src lladdr 02:5c:17:47:f7:d4"),
  FRAME (icmp6_na, "neighbor advertisement tgt is 2001:db8::2 flags [solicited override]",
         "tgt lladdr 02:5c:17:47:f7:d5"),
  FRAME (icmp6_rs, "fe80::1 > ff02::2 ICMPv6 router solicitation src lladdr"),
  FRAME (icmp6_ra, "router advertisement hop limit 64 lifetime 1800",
         "prefix 2001:db8::/64 mtu 1500 src lladdr 02:00:00:00:01:01"),
  FRAME (icmp6_redirect, "ICMPv6 redirect 2001:db8::5 via fe80::3"),
  FRAME (mld2_report, "fe80::1 > ff02::16 HBH ICMPv6 multicast listener report v2 records 1"),
  FRAME (icmp6_port_unreachable, "ICMPv6 unreachable port",
         "(2001:db8::1.40000 > 2001:db8::2.33434 UDP)"),
  FRAME (icmp6_param_problem, "ICMPv6 parameter problem code 1 pointer 40"),
  FRAME (ip6_ext_chain, "2001:db8::1.5000 > 2001:db8::2.6000 HBH DSTOPT RH frag id 3735928559 "
                        "offset 0+ UDP, length 4"),
  FRAME (ip6_later_fragment, "frag id 3735928559 offset 1480 UDP hlim 64, length 64"),
  FRAME (ip6_sctp, "2001:db8::1 > 2001:db8::2 IPv6 proto 132 (SCTP)"),
  FRAME (ospf_hello, "10.0.0.1 > 224.0.0.5 OSPFv2 Hello router 1.1.1.1 area 0.0.0.0",
         "hello 10 dead 40 neighbors 1"),
  FRAME (ospf_dbd, "OSPFv2 DB Description router 1.1.1.1"),
  FRAME (ospf_lsr, "OSPFv2 LS Request"),
  FRAME (ospf_lsu, "OSPFv2 LS Update", "lsas 1"),
  FRAME (ospf_lsack, "OSPFv2 LS Ack"),
  FRAME (ospf3_hello, "fe80::1 > ff02::5 OSPFv3 Hello router 1.1.1.1 area 0.0.0.0",
         "hello 10 dead 40 neighbors 1"),
  FRAME (bgp_open, "10.0.0.1.179 > 10.0.0.2.54321 TCP [P.]",
         "length 37: BGP OPEN AS 65001 hold 90 id 1.1.1.1"),
  FRAME (bgp_open_as4, "BGP OPEN AS 4200000001 hold 180 id 2.2.2.2"),
  FRAME (bgp_keepalive_update, "BGP KEEPALIVE; BGP UPDATE",
         "withdrawn-len 0 path-attr-len 20 nlri-len 4 prefix 10.1.0.0/24"),
  FRAME (bgp_withdraw, "BGP UPDATE withdrawn-len 4", "withdraw 10.1.0.0/24"),
  FRAME (bgp_notification, "BGP NOTIFICATION code 6 (cease) subcode 2"),
  FRAME (stp_config, "02:00:00:00:00:02 > 01:80:c2:00:00:00 STP config root 8000.02:00:00:00:00:01 "
                     "cost 4 bridge 8000.02:00:00:00:00:02 port 0x8001"),
  FRAME (rstp, "RSTP root 8000.02:00:00:00:00:01 cost 20000",
         "port 0x8002 role designated flags [learning forwarding]"),
  FRAME (stp_tcn, "STP TCN"),
  FRAME (pvst_rstp, "PVST+ RSTP root 800a.02:00:00:00:00:01",
         "flags [learning forwarding agreement]"),
  FRAME (snap_cdp, "802.3 SNAP oui 0x00000c pid 0x2000"),
  FRAME (lldp, "02:00:00:00:00:02 > 01:80:c2:00:00:0e LLDP chassis 02:00:00:00:00:02 port eth1 "
               "ttl 120 system router1"),
  FRAME (vlan_arp, "vlan 10, 02:5c:17:47:f7:d4 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.1.1"),
  FRAME (qinq_icmp, "vlan 100, vlan 10 p 5, 10.0.1.11 > 10.0.2.13 ICMP echo request id 7 seq 2"),
  FRAME (ether_unknown, "02:5c:17:47:f7:d4 > 02:00:00:00:01:01 ethertype 0x1234, length 60"),
  FRAME (ether_mpls, "ethertype 0x8847 (MPLS)"),
};

#define NFRAMES (sizeof (frames) / sizeof (frames[0]))

/* ---- helpers -------------------------------------------------------------------------- */

static const char *
decode (const uint8_t *data, size_t caplen, size_t origlen)
{
  static char line[1024];
  size_t n = loom_decode_summary (data, caplen, origlen, line, sizeof (line));

  ck_assert_uint_eq (n, strlen (line));
  return line;
}

/* A fresh heap block of exactly @n bytes holding @data: a read past it is a read past
 * caplen, which ASan and valgrind both report. */
static uint8_t *
exact_copy (const uint8_t *data, size_t n)
{
  uint8_t *p;

  if (n == 0)
    return NULL;
  p = malloc (n);
  if (p == NULL)
    ck_abort_msg ("out of memory");
  memcpy (p, data, n);
  return p;
}

/* Check marks every passing ck_assert with a message to the parent process, which costs
 * a system call; the loops below run a million checks, so they fail through this. */
#define REQUIRE(cond, ...)                                                                         \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        ck_abort_msg (__VA_ARGS__);                                                                \
    }                                                                                              \
  while (0)

/* The contract of the output buffer, checked for one input: the line always ends with a
 * NUL inside @outlen, nothing past @outlen is touched, the return value is its length,
 * and a short buffer holds a prefix of what a long one holds. */
static void
check_output_contract (const uint8_t *data, size_t caplen, size_t origlen, const char *what)
{
  static const size_t sizes[] = { 1, 2, 3, 8, 17, 40, 80 };
  char full[2048], buf[128];
  size_t n, i, j, flen;

  flen = loom_decode_summary (data, caplen, origlen, full, sizeof (full));
  REQUIRE (flen == strlen (full) && flen < sizeof (full), "%s/%zu: returned %zu for \"%s\"", what,
           caplen, flen, full);
  for (i = 0; i < sizeof (sizes) / sizeof (sizes[0]); i++)
    {
      memset (buf, 0x5a, sizeof (buf));
      n = loom_decode_summary (data, caplen, origlen, buf, sizes[i]);
      REQUIRE (n < sizes[i] && n == strlen (buf), "%s/%zu: outlen %zu returned %zu", what, caplen,
               sizes[i], n);
      REQUIRE (n == (flen < sizes[i] - 1 ? flen : sizes[i] - 1) && memcmp (buf, full, n) == 0,
               "%s/%zu: outlen %zu gave \"%s\", not a prefix of \"%s\"", what, caplen, sizes[i],
               buf, full);
      for (j = sizes[i]; j < sizeof (buf); j++)
        REQUIRE (buf[j] == 0x5a, "%s/%zu: outlen %zu but byte %zu written", what, caplen, sizes[i],
                 j);
    }
}

/* xorshift64*: the same sequence on every libc, so a failure can be replayed. */
static uint64_t
rng_next (uint64_t *s)
{
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

static long
env_count (const char *name, long dflt)
{
  const char *v = getenv (name);
  return v != NULL && *v != '\0' ? strtol (v, NULL, 10) : dflt;
}

/* ---- tests ---------------------------------------------------------------------------- */

START_TEST (test_frames)
{
  size_t i, j;

  for (i = 0; i < NFRAMES; i++)
    {
      const char *line = decode (frames[i].data, frames[i].len, frames[i].len);
      for (j = 0; j < 4 && frames[i].expect[j] != NULL; j++)
        ck_assert_msg (strstr (line, frames[i].expect[j]) != NULL, "%s: expected \"%s\" in \"%s\"",
                       frames[i].name, frames[i].expect[j], line);
      ck_assert_msg (strstr (line, "[|") == NULL, "%s: whole frame reads as truncated: \"%s\"",
                     frames[i].name, line);
    }
}
END_TEST

/* The lines core/decode.h and the capture docs promise, whole. */
START_TEST (test_documented_lines)
{
  ck_assert_str_eq (decode (arp_request, sizeof (arp_request), sizeof (arp_request)),
                    "02:5c:17:47:f7:d4 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.1.1 tell 10.0.1.11");
  ck_assert_str_eq (decode (icmp_echo, sizeof (icmp_echo), sizeof (icmp_echo)),
                    "10.0.1.11 > 10.0.2.13 ICMP echo request id 7 seq 1 ttl 64, length 84");
  ck_assert_str_eq (decode (tcp_syn, sizeof (tcp_syn), sizeof (tcp_syn)),
                    "10.0.1.11.43210 > 10.0.2.13.80 TCP [S] seq 123 win 64240, length 0");
  ck_assert_str_eq (decode (dhcp_discover, sizeof (dhcp_discover), sizeof (dhcp_discover)),
                    "0.0.0.0.68 > 255.255.255.255.67 DHCP Discover xid 0x1234abcd chaddr "
                    "02:5c:17:47:f7:d4 requested 10.0.1.11, length 300");
  ck_assert_str_eq (decode (icmp6_ns, sizeof (icmp6_ns), sizeof (icmp6_ns)),
                    "fe80::1 > ff02::1:ff00:2 ICMPv6 neighbor solicitation who-has 2001:db8::2 "
                    "src lladdr 02:5c:17:47:f7:d4 hlim 255, length 72");
}
END_TEST

START_TEST (test_dhcp_message_types)
{
  static const char *const names[]
      = { "Discover", "Offer", "Request", "Decline", "Ack", "Nak", "Release", "Inform" };
  uint8_t f[sizeof (dhcp_ack)];
  char want[32];
  unsigned t;

  for (t = 1; t <= 8; t++)
    {
      memcpy (f, dhcp_ack, sizeof (f));
      f[42 + 240 + 2] = (uint8_t) t; /* option 53's value */
      snprintf (want, sizeof (want), "DHCP %s xid", names[t - 1]);
      ck_assert_ptr_nonnull (strstr (decode (f, sizeof (f), sizeof (f)), want));
    }
  f[42 + 240 + 2] = 42;
  ck_assert_ptr_nonnull (strstr (decode (f, sizeof (f), sizeof (f)), "DHCP type 42"));
}
END_TEST

START_TEST (test_truncation_markers)
{
  ck_assert_str_eq (decode (tcp_syn, 0, 74), "[|ether]");
  ck_assert_str_eq (decode (tcp_syn, 13, 74), "[|ether]");
  ck_assert_str_eq (decode (tcp_syn, 20, 74), "02:5c:17:47:f7:d4 > 02:00:00:00:01:01 IPv4 [|ip]");
  ck_assert_str_eq (decode (tcp_syn, 36, 74), "10.0.1.11 > 10.0.2.13 TCP [|tcp]");
  ck_assert_str_eq (decode (tcp_syn, 40, 74), "10.0.1.11.43210 > 10.0.2.13.80 TCP [|tcp]");
  ck_assert_str_eq (decode (tcp_syn, 60, 74),
                    "10.0.1.11.43210 > 10.0.2.13.80 TCP [S] seq 123 win 64240, length 0 [|tcp]");
  ck_assert_str_eq (decode (icmp_echo, 38, 98), "10.0.1.11 > 10.0.2.13 ICMP echo request [|icmp]");
  ck_assert_str_eq (decode (vlan_arp, 16, 46),
                    "02:5c:17:47:f7:d4 > ff:ff:ff:ff:ff:ff 802.1Q [|vlan]");
  ck_assert_ptr_nonnull (strstr (decode (dns_response, 60, sizeof (dns_response)),
                                 "DNS response id 4660 NOERROR [|dns]"));
  ck_assert_ptr_nonnull (strstr (
      decode (dns_response, sizeof (dns_response) - 2, sizeof (dns_response)), "answers 2 [|dns]"));
  ck_assert_ptr_nonnull (
      strstr (decode (dhcp_discover, 100, 342), "DHCP request xid 0x1234abcd [|dhcp]"));
  ck_assert_ptr_nonnull (strstr (decode (bgp_open, 80, sizeof (bgp_open)), ": BGP OPEN [|bgp]"));
  ck_assert_ptr_nonnull (
      strstr (decode (lldp, 28, sizeof (lldp)), "LLDP chassis 02:00:00:00:00:02 [|lldp]"));
  ck_assert_ptr_nonnull (
      strstr (decode (icmp6_ns, 70, sizeof (icmp6_ns)), "neighbor solicitation [|icmp6]"));
  ck_assert_ptr_nonnull (strstr (decode (ospf_hello, 50, sizeof (ospf_hello)),
                                 "OSPFv2 Hello router 1.1.1.1 area 0.0.0.0 [|ospf]"));
  ck_assert_ptr_nonnull (strstr (decode (stp_config, 25, 60), "STP config [|stp]"));
}
END_TEST

/* Lengths inside the packet are believed only as far as the capture goes, and lengths
 * that contradict their own header are reported, not followed. */
START_TEST (test_lying_lengths)
{
  uint8_t f[sizeof (tcp_push)];
  uint8_t d[sizeof (dns_query)];
  uint8_t o[sizeof (ospf_hello)];

  /* IPv4 total length larger than the capture: the payload is what was captured. */
  memcpy (f, tcp_push, sizeof (f));
  f[16] = 0x05;
  f[17] = 0xdc;
  ck_assert_ptr_nonnull (strstr (decode (f, sizeof (f), sizeof (f)), "length 1460"));
  /* Total length below the header length. */
  f[16] = 0;
  f[17] = 10;
  ck_assert_ptr_nonnull (strstr (decode (f, sizeof (f), sizeof (f)), "IPv4 [bad total length]"));
  /* TCP data offset below 5 words. */
  memcpy (f, tcp_push, sizeof (f));
  f[46] = 0x20;
  ck_assert_ptr_nonnull (strstr (decode (f, sizeof (f), sizeof (f)), "TCP [bad header length]"));
  /* UDP length below its own header. */
  memcpy (d, dns_query, sizeof (d));
  d[38] = 0;
  d[39] = 4;
  ck_assert_ptr_nonnull (strstr (decode (d, sizeof (d), sizeof (d)), "UDP [bad length]"));
  /* DNS label running past the end of the message. */
  memcpy (d, dns_query, sizeof (d));
  d[54] = 60;
  ck_assert_ptr_nonnull (strstr (decode (d, sizeof (d), sizeof (d)), "[|dns]"));
  /* OSPF length below the OSPF header. */
  memcpy (o, ospf_hello, sizeof (o));
  o[36] = 0;
  o[37] = 8;
  ck_assert_ptr_nonnull (strstr (decode (o, sizeof (o), sizeof (o)), "[bad length]"));
}
END_TEST

START_TEST (test_bgp_bad_marker)
{
  uint8_t f[sizeof (bgp_notification)];

  memcpy (f, bgp_notification, sizeof (f));
  f[54 + 3] = 0;
  ck_assert_ptr_nonnull (strstr (decode (f, sizeof (f), sizeof (f)), ": BGP [bad marker]"));
}
END_TEST

/* A segment full of KEEPALIVEs: the line names the first ones and says there are more. */
START_TEST (test_bgp_many_messages)
{
  static const uint8_t keepalive[19] = { BGP_MARKER, BE16 (19), 4 };
  uint8_t f[54 + 40 * sizeof (keepalive)];
  const char *line;
  size_t i;

  memcpy (f, bgp_open, 54);
  f[16] = (uint8_t) ((sizeof (f) - 14) >> 8);
  f[17] = (uint8_t) (sizeof (f) - 14);
  for (i = 0; i < 40; i++)
    memcpy (f + 54 + i * sizeof (keepalive), keepalive, sizeof (keepalive));
  line = decode (f, sizeof (f), sizeof (f));
  ck_assert_ptr_nonnull (strstr (line, "length 760: BGP KEEPALIVE; BGP KEEPALIVE; BGP KEEPALIVE"));
  ck_assert_ptr_nonnull (strstr (line, "; BGP KEEPALIVE; ..."));
}
END_TEST

/* Every prefix of every frame, as a capture with a small snaplen would store it. */
START_TEST (test_every_prefix)
{
  size_t i, n;

  for (i = 0; i < NFRAMES; i++)
    for (n = 0; n <= frames[i].len; n++)
      {
        uint8_t *p = exact_copy (frames[i].data, n);
        check_output_contract (p, n, frames[i].len, frames[i].name);
        free (p);
      }
}
END_TEST

START_TEST (test_random_frames)
{
  long count = env_count ("LOOM_DECODE_RANDOM", 200000), i;
  uint64_t seed = 0x6e65746c6f6f6dull; /* "netloom" */
  uint8_t buf[1600];

  for (i = 0; i < count; i++)
    {
      uint64_t r = rng_next (&seed);
      size_t len, k;
      uint8_t *p;

      switch (i % 4)
        {
        case 0: /* noise behind a plausible Ethernet type, so the IP decoders see it too */
        case 1:
          len = r % 4 ? r % 128 : r % sizeof (buf);
          for (k = 0; k < len; k++)
            buf[k] = (uint8_t) rng_next (&seed);
          if (len >= 14 && i % 4 == 1)
            {
              static const uint16_t types[]
                  = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x88cc, 0x0026 };
              uint16_t t = types[(r >> 32) % (sizeof (types) / sizeof (types[0]))];
              buf[12] = (uint8_t) (t >> 8);
              buf[13] = (uint8_t) t;
            }
          break;
        default: /* a real frame with a few bytes changed, maybe cut or extended */
          {
            const struct frame *f = &frames[(r >> 8) % NFRAMES];
            unsigned flips = 1 + (r >> 40) % 6;

            memcpy (buf, f->data, f->len);
            len = f->len;
            if (i % 4 == 3)
              {
                size_t extra = (r >> 20) % 64;
                len = (r >> 16) % 2 ? (r >> 24) % (f->len + 1) : f->len + extra;
                for (k = f->len; k < len; k++)
                  buf[k] = (uint8_t) rng_next (&seed);
              }
            while (len > 0 && flips-- > 0)
              {
                uint64_t m = rng_next (&seed);
                buf[m % len] = (uint8_t) (m >> 32);
              }
          }
          break;
        }
      p = exact_copy (buf, len);
      {
        char line[256], tiny[9];
        size_t n = loom_decode_summary (p, len, len, line, sizeof (line));
        size_t t = loom_decode_summary (p, len, len, tiny, sizeof (tiny));
        REQUIRE (n == strlen (line) && t == strlen (tiny) && memcmp (tiny, line, t) == 0,
                 "random frame %ld: \"%s\" / \"%s\"", i, line, tiny);
      }
      free (p);
    }
}
END_TEST

START_TEST (test_odd_arguments)
{
  char line[64];

  /* outlen 1 leaves room for the NUL only. */
  line[0] = 'x';
  ck_assert_uint_eq (loom_decode_summary (icmp_echo, sizeof (icmp_echo), 98, line, 1), 0);
  ck_assert_int_eq (line[0], '\0');
  /* An empty capture may come without a buffer. */
  ck_assert_uint_eq (loom_decode_summary (NULL, 0, 60, line, sizeof (line)), 8);
  ck_assert_str_eq (line, "[|ether]");
}
END_TEST

/* Seeds tests/fuzz/corpus/: one file per frame, named after it. */
START_TEST (test_write_corpus)
{
  const char *dir = getenv ("LOOM_DECODE_CORPUS_DIR");
  char path[4096];
  size_t i;

  if (dir == NULL || *dir == '\0')
    return;
  for (i = 0; i < NFRAMES; i++)
    {
      FILE *f;
      snprintf (path, sizeof (path), "%s/%s.bin", dir, frames[i].name);
      f = fopen (path, "wb");
      ck_assert_msg (f != NULL, "cannot write %s", path);
      ck_assert_uint_eq (fwrite (frames[i].data, 1, frames[i].len, f), frames[i].len);
      ck_assert_int_eq (fclose (f), 0);
    }
}
END_TEST

static Suite *
decode_suite (void)
{
  Suite *s = suite_create ("decode");
  TCase *tc = tcase_create ("protocols");

  tcase_add_test (tc, test_frames);
  tcase_add_test (tc, test_documented_lines);
  tcase_add_test (tc, test_dhcp_message_types);
  tcase_add_test (tc, test_truncation_markers);
  tcase_add_test (tc, test_lying_lengths);
  tcase_add_test (tc, test_bgp_bad_marker);
  tcase_add_test (tc, test_bgp_many_messages);
  tcase_add_test (tc, test_odd_arguments);
  tcase_add_test (tc, test_write_corpus);
  suite_add_tcase (s, tc);

  tc = tcase_create ("robustness");
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_every_prefix);
  tcase_add_test (tc, test_random_frames);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (decode_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
