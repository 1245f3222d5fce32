/* Always-on link capture without a socket per link. Each captured veth end gets two
 * tiny eBPF programs (tc ingress and egress, at LOOM_TC_PRIO_CAPTURE) that copy every
 * frame, up to the snap length, into ONE ring buffer shared by the whole lab; the
 * supervisor drains it from a single fd. Per link this costs two programs and three
 * netlink requests at start, and nothing at teardown (the programs go with the
 * namespaces) — where packet sockets cost an RCU grace period each to close. */
#ifndef LOOM_BPFCAP_H
#define LOOM_BPFCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bpf.h"
#include "core/capture.h"
#include "core/error.h"

struct nl_sock;

#define LOOM_BPFCAP_RING_DEFAULT (16u << 20)
#define LOOM_BPFCAP_RING_MIN (8u << 20)
/* The programs wake the supervisor once this much waits in a ring of size s. */
#define LOOM_BPFCAP_WAKE_AT(s) ((s) / 8)
#define LOOM_BPFCAP_SNAPLEN_MAX 262144

struct loom_bpfcap
{
  struct loom_bpf_ring ring;
  int drops_fd;
  int wake_fd; /* consumer position at the last wakeup */
  uint32_t n_links;
  uint32_t snaplen;
  int64_t mono_to_real; /* add to bpf_ktime_get_ns() for wall-clock time */
  int ifindex_base;
  int prog_in;
  int prog_out;
};

/**
 * loom_bpfcap_open() - create the lab's ring (a power of two), the per-link drop
 * counters and the two capture programs.
 * @ifindex_base: a captured interface with index ifindex_base + k is link k
 *                (k < n_links); see LOOM_IFINDEX_LINKS.
 */
int loom_bpfcap_open (struct loom_bpfcap *c, uint32_t n_links, int ifindex_base, uint32_t snaplen,
                      size_t ring_size, loom_error_t *err);
/* Starts capturing both directions of an interface (in the socket's namespace).
 * Replaces what an earlier supervisor attached there. */
int loom_bpfcap_attach (struct loom_bpfcap *c, struct nl_sock *sk, int ifindex, loom_error_t *err);
/* The fd to poll: readable when frames wait. */
int loom_bpfcap_fd (const struct loom_bpfcap *c);

typedef int (*loom_bpfcap_cb) (uint32_t link_id, const struct loom_frame *fr, void *ctx);
/* Hands up to max waiting frames to cb, in the order the programs submitted them.
 * fr->data points into the ring and stays valid until loom_bpfcap_release(): the
 * caller may queue it for writing (zero-copy) and release once it is written.
 * Returns how many. */
int loom_bpfcap_read (struct loom_bpfcap *c, loom_bpfcap_cb cb, void *ctx, int max);
/* Gives the ring room of every frame read so far back to the programs. */
void loom_bpfcap_release (struct loom_bpfcap *c);
/* Whether frames wait in the ring. The programs wake the fd only once a batch has
 * gathered, so the consumer also checks this on a short timer. */
bool loom_bpfcap_pending (const struct loom_bpfcap *c);
#define LOOM_BPFCAP_FLUSH_MS 50
/* Frames of a link the ring had no room for, since the start. */
uint64_t loom_bpfcap_drops (const struct loom_bpfcap *c, uint32_t link_id);
void loom_bpfcap_close (struct loom_bpfcap *c);

#endif
