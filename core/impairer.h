/* The userspace impairment path (these machines' kernel has no netem): frames an
 * impaired link end sends are taken off the wire by an eBPF program on its tc egress
 * hook and handed to the lab's supervisor through a BPF ring buffer; the supervisor
 * drops, corrupts, duplicates, delays, reorders and paces them, then puts them back on
 * the wire with a packet socket on the same interface (bypassing tc, so they are not
 * taken again). Links without impairments never go through it. */
#ifndef LOOM_IMPAIRER_H
#define LOOM_IMPAIRER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "topology/impair.h"

struct loom_impairer;

/* n_ends: how many link ends the lab has (2 per link); an end's index is its ifindex
 * minus ifindex_base. */
struct loom_impairer *loom_impairer_new (uint32_t n_ends, int ifindex_base, loom_error_t *err);
void loom_impairer_free (struct loom_impairer *im);

/* Sets (or, with an empty impairment, removes) what the end sends through. A rate
 * alone is the kernel's tbf qdisc; anything else attaches the program in the end's
 * namespace and turns the interface's transmit offloads off while it is impaired (the
 * frames must leave whole). */
int loom_impairer_set (struct loom_impairer *im, const char *netns, const char *ifname,
                       int ifindex, const struct loom_impair *params, loom_error_t *err);

/* The fds to watch: the ring (frames arrive) and the timer (frames are due). */
int loom_impairer_ring_fd (const struct loom_impairer *im);
int loom_impairer_timer_fd (const struct loom_impairer *im);
/* Call when either fd is readable (and on a timer tick): takes frames in, sends those
 * that are due, re-arms the timer. */
void loom_impairer_run (struct loom_impairer *im);

struct loom_impair_stats
{
  uint64_t frames, sent, lost, duplicated, corrupted, reordered, dropped;
};
/* Counters of an end (by ifindex); false when the end is not impaired. */
bool loom_impairer_stats (const struct loom_impairer *im, int ifindex,
                          struct loom_impair_stats *out);

/* Which path an impaired end's frames take ("kernel (tbf)", "userspace ..."); NULL
 * when the end is not impaired. */
const char *loom_impairer_path (const struct loom_impairer *im, int ifindex);

#endif
