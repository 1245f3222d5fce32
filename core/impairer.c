/* The userspace impairment path (see impairer.h): one ring for the lab, a min-heap of
 * frames waiting for their time, one timerfd set to the earliest, and one packet socket
 * per impaired end to send with. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "core/bpf.h"
#include "core/impairer.h"
#include "core/netns.h"
#include "core/nl.h"
#include "core/tc.h"
#include "core/util.h"

#define RING_SIZE (8u << 20)
#define META 16 /* u32 end, u32 len, u64 ktime */
#define MAX_QUEUED 100000 /* frames waiting, all ends together */

enum path
{
  PATH_NONE,
  PATH_TBF,       /* rate only: the kernel's token bucket */
  PATH_USERSPACE, /* anything else: the supervisor */
};

struct end
{
  bool on;
  enum path path;
  struct loom_impair p;
  int sock; /* packet socket to send with, bound to the interface */
  int ifindex;
  uint64_t next_free; /* rate: when the wire is free again (ns, monotonic) */
  struct loom_impair_stats st;
};

struct held
{
  uint64_t due;
  uint64_t seq; /* ties keep arrival order */
  uint32_t end;
  uint32_t len;
  uint8_t data[];
};

struct loom_impairer
{
  uint32_t n_ends;
  int ifindex_base;
  struct loom_bpf_ring ring;
  int prog_fd;
  int timer_fd;
  struct end *ends;
  struct held **heap;
  size_t n_heap, cap_heap;
  uint64_t seq;
  uint64_t rng;
  int netem; /* -1 not probed yet, 0 absent, 1 present */
};

static uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: cheap, good enough for dice. */
static uint32_t
dice (struct loom_impairer *im)
{
  im->rng ^= im->rng >> 12;
  im->rng ^= im->rng << 25;
  im->rng ^= im->rng >> 27;
  return (uint32_t) ((im->rng * 2685821657736338717ULL) >> 32);
}

/* True with probability ppm / 1e6. */
static bool
chance (struct loom_impairer *im, uint32_t ppm)
{
  return ppm && (uint64_t) dice (im) * 1000000ULL < (uint64_t) ppm * 4294967296ULL;
}

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R9 BPF_REG_9
#define R10 BPF_REG_10

/* The record's metadata: end (kept at fp-8), length and the time. */
static void
imp_meta (struct loom_bpf *p, const void *arg)
{
  (void) arg;
  loom_bpf_load (p, BPF_W, R0, R10, -8);
  loom_bpf_store (p, BPF_W, R9, 0, R0);
  loom_bpf_store (p, BPF_W, R9, 4, R7);
  loom_bpf_call (p, BPF_FUNC_ktime_get_ns);
  loom_bpf_store (p, BPF_DW, R9, 8, R0);
}

/* Copies the frame into the ring and takes it off the wire. Frames too big for the
 * largest class (offloads left on by someone) pass untouched. */
static void
build_prog (struct loom_bpf *p, const struct loom_impairer *im)
{
  static const uint32_t classes[] = { 256, 1536, 9216 };
  int pass = loom_bpf_new_label (p), take = loom_bpf_new_label (p);

  loom_bpf_mov_reg (p, R6, R1);
  loom_bpf_load (p, BPF_W, R0, R6, offsetof (struct __sk_buff, ifindex));
  loom_bpf_alu_imm (p, BPF_SUB, R0, im->ifindex_base);
  loom_bpf_jump (p, BPF_JGE, R0, (int32_t) im->n_ends, pass);
  loom_bpf_store (p, BPF_W, R10, -8, R0);
  loom_bpf_load (p, BPF_W, R7, R6, offsetof (struct __sk_buff, len));
  loom_bpf_jump (p, BPF_JLT, R7, 14, pass);
  loom_bpf_jump (p, BPF_JGT, R7, 9216, pass);
  {
    struct loom_bpf_ring_copy rc = {
      .ring_fd = im->ring.fd,
      .classes = classes,
      .n_classes = sizeof classes / sizeof classes[0],
      .meta_size = META,
      .len_reg = R7,
      .meta = imp_meta,
      .full_label = take, /* no room: the frame is lost */
      .failed_label = pass,
      .done_label = take,
    };
    loom_bpf_emit_ring_copy (p, &rc);
  }
  /* STOLEN, not SHOT: the sender is told the frame went (as it did, to us); SHOT
   * would make every send fail with ENOBUFS and TCP count it as congestion. */
  loom_bpf_label (p, take);
  loom_bpf_mov_imm (p, R0, TC_ACT_STOLEN);
  loom_bpf_exit (p);
  loom_bpf_label (p, pass);
  loom_bpf_mov_imm (p, R0, TC_ACT_UNSPEC);
  loom_bpf_exit (p);
  loom_bpf_finish (p);
}

struct loom_impairer *
loom_impairer_new (uint32_t n_ends, int ifindex_base, loom_error_t *err)
{
  struct loom_impairer *im = loom_xcalloc (1, sizeof *im);
  struct loom_bpf *p;
  uint32_t i;

  im->n_ends = n_ends;
  im->ifindex_base = ifindex_base;
  im->ring.fd = im->prog_fd = im->timer_fd = -1;
  im->netem = -1;
  im->ends = loom_xcalloc (n_ends + 1, sizeof *im->ends);
  for (i = 0; i < n_ends; i++)
    im->ends[i].sock = -1;
  if (getrandom (&im->rng, sizeof im->rng, 0) != sizeof im->rng || im->rng == 0)
    im->rng = 0x9e3779b97f4a7c15ULL ^ now_ns ();
  if (loom_bpf_ring_open (&im->ring, RING_SIZE, "loom_impair", err) < 0)
    goto fail;
  p = loom_xmalloc (sizeof *p);
  loom_bpf_init (p);
  build_prog (p, im);
  im->prog_fd = loom_bpf_load_tc (p, "loom_impair", err);
  free (p);
  if (im->prog_fd < 0)
    goto fail;
  im->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (im->timer_fd < 0)
    {
      loom_error_make (err, errno, "timerfd");
      goto fail;
    }
  return im;
fail:
  loom_impairer_free (im);
  return NULL;
}

void
loom_impairer_free (struct loom_impairer *im)
{
  uint32_t i;
  size_t k;

  if (im == NULL)
    return;
  for (i = 0; i < im->n_ends; i++)
    if (im->ends[i].sock >= 0)
      close (im->ends[i].sock);
  for (k = 0; k < im->n_heap; k++)
    free (im->heap[k]);
  free (im->heap);
  loom_bpf_ring_close (&im->ring);
  if (im->prog_fd >= 0)
    close (im->prog_fd);
  if (im->timer_fd >= 0)
    close (im->timer_fd);
  free (im->ends);
  free (im);
}

int
loom_impairer_ring_fd (const struct loom_impairer *im)
{
  return im->ring.fd;
}

int
loom_impairer_timer_fd (const struct loom_impairer *im)
{
  return im->timer_fd;
}

/* Transmit offloads on or off: an impaired end's frames must be complete (checksums
 * computed, no TSO/GSO super-frames) when the program copies them. */
static int
offloads (int ifindex, const char *ifname, bool on, loom_error_t *err)
{
  static const uint32_t cmds[] = { ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO };
  loom_autoclose int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  size_t i;

  if (fd < 0)
    return loom_error_make (err, errno, "socket");
  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    {
      struct ethtool_value v = { .cmd = cmds[i], .data = on };
      struct ifreq ifr = { 0 };
      snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
      ifr.ifr_data = (void *) &v;
      if (ioctl (fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP)
        return loom_error_make (err, errno, "%s offloads of %s", on ? "restore" : "turn off",
                                ifname);
    }
  (void) ifindex;
  return 0;
}

/* Whether the settings need the userspace path (a rate alone does not). */
static bool
needs_userspace (const struct loom_impair *p)
{
  return p->delay_ns || p->jitter_ns || p->loss || p->duplicate || p->corrupt || p->reorder;
}

int
loom_impairer_set (struct loom_impairer *im, const char *netns, const char *ifname, int ifindex,
                   const struct loom_impair *params, loom_error_t *err)
{
  loom_autoclose int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  loom_autoclose int nsfd = loom_netns_open (netns, err);
  uint32_t id = (uint32_t) (ifindex - im->ifindex_base);
  struct end *e;
  struct nl_sock *sk = NULL;
  bool on = !loom_impair_is_none (params);
  int r = -1;

  if (id >= im->n_ends)
    return loom_error_make (err, EINVAL, "interface %s is on no link", ifname);
  if (nsfd < 0 || self < 0 || loom_netns_enter (nsfd, err) < 0)
    return -1;
  e = &im->ends[id];
  sk = loom_nl_open (err);
  if (sk == NULL)
    goto out;
  if (im->netem < 0)
    im->netem = loom_tc_has_qdisc_kind (sk, ifindex, "netem");
  /* Undo what the previous setting used, then apply the new one. A rate alone is the
   * kernel's tbf; anything else takes the userspace path (netem would do it in the
   * kernel, and this kernel has none). */
  if (e->path == PATH_USERSPACE && (!on || !needs_userspace (params)))
    {
      if (loom_tc_filter_del (sk, ifindex, false, LOOM_TC_PRIO_IMPAIR, err) < 0
          || offloads (ifindex, ifname, true, err) < 0
          || loom_nl_link_set_gso_max_segs (sk, ifindex, 65535, err) < 0)
        goto out;
      e->path = PATH_NONE;
    }
  if (e->path == PATH_TBF && (!on || needs_userspace (params)))
    {
      if (loom_tc_root_del (sk, ifindex, err) < 0)
        goto out;
      e->path = PATH_NONE;
    }
  if (on && !needs_userspace (params))
    {
      if (loom_tc_tbf (sk, ifindex, params->rate_bps, err) < 0)
        goto out;
      e->path = PATH_TBF;
    }
  else if (on)
    {
      if (e->sock < 0)
        {
          struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };
          int one = 1;
          /* Protocol 0: it sends, it never receives. Bypassing the qdisc also skips
           * tc egress, so what it sends is not taken again. */
          e->sock = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
          if (e->sock < 0 || bind (e->sock, (struct sockaddr *) &sll, sizeof sll) < 0
              || setsockopt (e->sock, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
            {
              loom_error_make (err, errno, "packet socket on %s", ifname);
              goto out;
            }
        }
      /* One segment per frame: the stack must not hand us TSO/GSO super-frames (the
       * ethtool switches alone do not stop TCP from building them). */
      if (offloads (ifindex, ifname, false, err) < 0
          || loom_nl_link_set_gso_max_segs (sk, ifindex, 1, err) < 0
          || loom_tc_clsact (sk, ifindex, err) < 0
          || loom_tc_bpf_filter (sk, ifindex, false, LOOM_TC_PRIO_IMPAIR, im->prog_fd,
                                 "loom_impair", err)
                 < 0)
        goto out;
      e->path = PATH_USERSPACE;
    }
  if (on && !e->on)
    memset (&e->st, 0, sizeof e->st);
  e->p = *params;
  e->ifindex = ifindex;
  e->on = on;
  r = 0;
out:
  if (sk)
    loom_nl_close (sk);
  if (setns (self, CLONE_NEWNET) < 0)
    abort ();
  return r;
}

/* ---- the heap of held frames ------------------------------------------------------ */

static bool
before (const struct held *a, const struct held *b)
{
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_push (struct loom_impairer *im, struct held *h)
{
  size_t i;
  if (im->n_heap == im->cap_heap)
    {
      im->cap_heap = im->cap_heap ? im->cap_heap * 2 : 256;
      im->heap = loom_xrealloc (im->heap, im->cap_heap * sizeof *im->heap);
    }
  i = im->n_heap++;
  while (i > 0 && before (h, im->heap[(i - 1) / 2]))
    {
      im->heap[i] = im->heap[(i - 1) / 2];
      i = (i - 1) / 2;
    }
  im->heap[i] = h;
}

static struct held *
heap_pop (struct loom_impairer *im)
{
  struct held *top = im->heap[0], *last = im->heap[--im->n_heap];
  size_t i = 0;

  while (2 * i + 1 < im->n_heap)
    {
      size_t c = 2 * i + 1;
      if (c + 1 < im->n_heap && before (im->heap[c + 1], im->heap[c]))
        c++;
      if (!before (im->heap[c], last))
        break;
      im->heap[i] = im->heap[c];
      i = c;
    }
  if (im->n_heap)
    im->heap[i] = last;
  return top;
}

static void fix_checksum (uint8_t *f, uint32_t len);

/* Queues a copy of the frame until due; corrupt: flip one bit past the Ethernet
 * header (after the checksum is right, so the receiver sees a bad one). */
static void
hold (struct loom_impairer *im, struct end *e, uint32_t id, const uint8_t *data, uint32_t len,
      uint64_t due, bool corrupt)
{
  struct held *h;

  if (im->n_heap >= MAX_QUEUED)
    {
      e->st.dropped++;
      return;
    }
  h = loom_xmalloc (sizeof *h + len);
  h->due = due;
  h->seq = im->seq++;
  h->end = id;
  h->len = len;
  memcpy (h->data, data, len);
  fix_checksum (h->data, len);
  if (corrupt && len > 14)
    {
      h->data[14 + dice (im) % (len - 14)] ^= (uint8_t) (1u << (dice (im) % 8));
      e->st.corrupted++;
    }
  heap_push (im, h);
}

/* Internet checksum over a buffer, added to sum. */
static uint32_t
csum_add (uint32_t sum, const uint8_t *p, size_t len)
{
  size_t i;
  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) (p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (uint32_t) (p[len - 1] << 8);
  return sum;
}

static uint16_t
csum_fold (uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

/* Frames leave the stack before their TCP/UDP checksum is filled in (the device or
 * the last step before it would do that, and we take them earlier): compute it here,
 * from scratch, for IPv4 and IPv6. A frame whose checksum was complete comes out the
 * same. */
static void
fix_checksum (uint8_t *f, uint32_t len)
{
  uint32_t off = 14, sum;
  uint16_t type;
  uint8_t proto;
  uint32_t l4, l4len;
  int coff;

  if (len < 14)
    return;
  type = (uint16_t) (f[12] << 8 | f[13]);
  while ((type == 0x8100 || type == 0x88a8) && len >= off + 4)
    {
      type = (uint16_t) (f[off + 2] << 8 | f[off + 3]);
      off += 4;
    }
  if (type == 0x0800 && len >= off + 20)
    {
      uint32_t ihl = (f[off] & 0x0f) * 4u, tot = (uint32_t) (f[off + 2] << 8 | f[off + 3]);
      if ((f[off + 6] & 0x3f) || f[off + 7] || ihl < 20 || tot < ihl || off + tot > len)
        return; /* fragments keep what they have */
      proto = f[off + 9];
      l4 = off + ihl;
      l4len = tot - ihl;
      sum = csum_add (0, f + off + 12, 8);
    }
  else if (type == 0x86dd && len >= off + 40)
    {
      uint32_t plen = (uint32_t) (f[off + 4] << 8 | f[off + 5]);
      proto = f[off + 6];
      l4 = off + 40;
      l4len = plen;
      if (l4 + l4len > len)
        return;
      sum = csum_add (0, f + off + 8, 32);
    }
  else
    return;
  if (proto == 6 && l4len >= 20)
    coff = 16;
  else if (proto == 17 && l4len >= 8)
    coff = 6;
  else
    return;
  sum += proto + l4len;
  f[l4 + coff] = f[l4 + coff + 1] = 0;
  sum = csum_add (sum, f + l4, l4len);
  {
    uint16_t c = csum_fold (sum);
    if (c == 0 && proto == 17)
      c = 0xffff;
    f[l4 + coff] = (uint8_t) (c >> 8);
    f[l4 + coff + 1] = (uint8_t) c;
  }
}

/* One frame taken off the wire: decide its fate. */
static void
take (struct loom_impairer *im, uint32_t id, const uint8_t *data, uint32_t len, uint64_t ktime)
{
  struct end *e = &im->ends[id];
  const struct loom_impair *p = &e->p;
  uint64_t due = ktime;
  int copies = 1, k;

  e->st.frames++;
  if (chance (im, p->loss))
    {
      e->st.lost++;
      return;
    }
  if (chance (im, p->duplicate))
    {
      copies = 2;
      e->st.duplicated++;
    }
  if (chance (im, p->reorder))
    e->st.reordered++; /* sent at once, ahead of the delayed */
  else
    {
      int64_t j = 0;
      if (p->jitter_ns)
        j = (int64_t) (dice (im) % (2 * p->jitter_ns + 1)) - (int64_t) p->jitter_ns;
      due += (int64_t) p->delay_ns + j > 0 ? (uint64_t) ((int64_t) p->delay_ns + j) : 0;
    }
  for (k = 0; k < copies; k++)
    {
      uint64_t t = due;
      if (p->rate_bps)
        {
          /* A token bucket of one frame: the wire carries one frame at a time. */
          uint64_t tx = (uint64_t) len * 8ULL * 1000000000ULL / p->rate_bps;
          if (e->next_free > t)
            t = e->next_free;
          e->next_free = t + tx;
          /* More than a second of backlog: the queue is full, as tbf's would be. */
          if (t > ktime + 1000000000ULL + p->delay_ns + p->jitter_ns)
            {
              e->st.dropped++;
              continue;
            }
        }
      hold (im, e, id, data, len, t, k == 0 && chance (im, p->corrupt));
    }
}

static void
arm (struct loom_impairer *im)
{
  struct itimerspec its = { { 0, 0 }, { 0, 0 } };
  if (im->n_heap)
    {
      uint64_t due = im->heap[0]->due;
      if (due == 0)
        due = 1;
      its.it_value.tv_sec = due / 1000000000ULL;
      its.it_value.tv_nsec = due % 1000000000ULL;
    }
  timerfd_settime (im->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* One ring record: the program's metadata, then the frame. */
static void
on_record (const uint8_t *rec, uint32_t len, void *ctx)
{
  struct loom_impairer *im = ctx;
  uint32_t id, flen;
  uint64_t kt;

  if (len < META)
    return;
  memcpy (&id, rec, 4);
  memcpy (&flen, rec + 4, 4);
  memcpy (&kt, rec + 8, 8);
  if (flen > len - META)
    flen = len - META;
  if (id < im->n_ends && im->ends[id].sock >= 0)
    take (im, id, rec + META, flen, kt);
}

void
loom_impairer_run (struct loom_impairer *im)
{
  uint64_t ticks, now;

  (void) !read (im->timer_fd, &ticks, sizeof ticks);
  while (loom_bpf_ring_consume (&im->ring, on_record, im, 4096) > 0)
    ;
  now = now_ns ();
  while (im->n_heap && im->heap[0]->due <= now)
    {
      struct held *h = heap_pop (im);
      struct end *e = &im->ends[h->end];
      if (e->sock >= 0 && send (e->sock, h->data, h->len, 0) == (ssize_t) h->len)
        e->st.sent++;
      else
        e->st.dropped++;
      free (h);
    }
  arm (im);
}

const char *
loom_impairer_path (const struct loom_impairer *im, int ifindex)
{
  uint32_t id = (uint32_t) (ifindex - im->ifindex_base);
  if (id >= im->n_ends || !im->ends[id].on)
    return NULL;
  if (im->ends[id].path == PATH_TBF)
    return "kernel (tbf)";
  return im->netem > 0 ? "userspace (supervisor; netem is there but not used yet)"
                       : "userspace (supervisor; this kernel has no netem)";
}

bool
loom_impairer_stats (const struct loom_impairer *im, int ifindex, struct loom_impair_stats *out)
{
  uint32_t id = (uint32_t) (ifindex - im->ifindex_base);
  if (id >= im->n_ends || !im->ends[id].on)
    return false;
  *out = im->ends[id].st;
  return true;
}
