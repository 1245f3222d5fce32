/* eBPF capture (see bpfcap.h): the programs, built per link with the link's id and
 * direction as constants, and the ring buffer's consumer side. A frame is copied once:
 * the program reserves a record of the smallest size class that fits the frame, loads
 * the frame's bytes straight into it and submits it. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/bpf.h"
#include "core/bpfcap.h"
#include "core/pcapng.h"
#include "core/tc.h"
#include "core/util.h"

#define META_SIZE 24 /* u32 link, u32 dir, u32 len, u32 caplen, u64 ktime */

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define R10 BPF_REG_10

static int64_t
clock_offset (void)
{
  struct timespec real, mono;
  clock_gettime (CLOCK_REALTIME, &real);
  clock_gettime (CLOCK_MONOTONIC, &mono);
  return (int64_t) (real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
}

static void build_prog (struct loom_bpf *p, const struct loom_bpfcap *c, int dir);

int
loom_bpfcap_open (struct loom_bpfcap *c, uint32_t n_links, int ifindex_base, uint32_t snaplen,
                  size_t ring_size, loom_error_t *err)
{
  struct loom_bpf *p;

  memset (c, 0, sizeof *c);
  c->ring.fd = c->drops_fd = c->wake_fd = c->prog_in = c->prog_out = -1;
  c->ifindex_base = ifindex_base;
  c->n_links = n_links ? n_links : 1;
  c->snaplen = snaplen > LOOM_BPFCAP_SNAPLEN_MAX ? LOOM_BPFCAP_SNAPLEN_MAX : snaplen;
  if (loom_bpf_ring_open (&c->ring, ring_size, "loom_capring", err) < 0)
    return -1;
  c->drops_fd = loom_bpf_map_create (BPF_MAP_TYPE_ARRAY, 4, 8, c->n_links, "loom_capdrops", err);
  if (c->drops_fd < 0)
    return -1;
  c->wake_fd = loom_bpf_map_create (BPF_MAP_TYPE_ARRAY, 4, 8, 1, "loom_capwake", err);
  if (c->wake_fd < 0)
    return -1;
  c->mono_to_real = clock_offset ();
  p = loom_xmalloc (sizeof *p);
  loom_bpf_init (p);
  build_prog (p, c, LOOM_DIR_INBOUND);
  c->prog_in = loom_bpf_load_tc (p, "loom_cap_in", err);
  if (c->prog_in >= 0)
    {
      loom_bpf_init (p);
      build_prog (p, c, LOOM_DIR_OUTBOUND);
      c->prog_out = loom_bpf_load_tc (p, "loom_cap_out", err);
    }
  free (p);
  return c->prog_out >= 0 ? 0 : -1;
}

struct cap_prog
{
  const struct loom_bpfcap *c;
  int dir;
};

/* The record's metadata: link (kept at fp-8), direction, length, captured length and
 * the time. */
static void
cap_meta (struct loom_bpf *p, const void *arg)
{
  const struct cap_prog *cp = arg;

  loom_bpf_load (p, BPF_W, R0, R10, -8);
  loom_bpf_store (p, BPF_W, R9, 0, R0);
  loom_bpf_store_imm (p, BPF_W, R9, 4, cp->dir);
  loom_bpf_store (p, BPF_W, R9, 8, R7);
  loom_bpf_store (p, BPF_W, R9, 12, R8);
  loom_bpf_call (p, BPF_FUNC_ktime_get_ns);
  loom_bpf_store (p, BPF_DW, R9, 16, R0);
}

/* Wakes the supervisor once a batch has gathered (it also drains on a short timer),
 * and then once per batch: only when the consumer position moved since the last
 * wakeup. A wakeup is an interrupt raised on the sending CPU; one per frame, while
 * the supervisor is busy anyway, cost the senders more than the copy. Two CPUs may
 * both wake it now and then: harmless. */
static void
cap_flags (struct loom_bpf *p, const void *arg)
{
  const struct cap_prog *cp = arg;
  int wake = loom_bpf_new_label (p), quiet = loom_bpf_new_label (p), done = loom_bpf_new_label (p);

  loom_bpf_ld_map (p, R1, cp->c->ring.fd);
  loom_bpf_mov_imm (p, R2, BPF_RB_AVAIL_DATA);
  loom_bpf_call (p, BPF_FUNC_ringbuf_query);
  loom_bpf_jump (p, BPF_JLE, R0, (int32_t) LOOM_BPFCAP_WAKE_AT (cp->c->ring.size), quiet);
  loom_bpf_ld_map (p, R1, cp->c->ring.fd);
  loom_bpf_mov_imm (p, R2, BPF_RB_CONS_POS);
  loom_bpf_call (p, BPF_FUNC_ringbuf_query);
  loom_bpf_mov_reg (p, R7, R0);
  loom_bpf_store_imm (p, BPF_W, R10, -16, 0);
  loom_bpf_ld_map (p, R1, cp->c->wake_fd);
  loom_bpf_mov_reg (p, R2, R10);
  loom_bpf_alu_imm (p, BPF_ADD, R2, -16);
  loom_bpf_call (p, BPF_FUNC_map_lookup_elem);
  loom_bpf_jump (p, BPF_JEQ, R0, 0, wake);
  loom_bpf_load (p, BPF_DW, R1, R0, 0);
  loom_bpf_jump_reg (p, BPF_JEQ, R1, R7, quiet);
  loom_bpf_store (p, BPF_DW, R0, 0, R7);
  loom_bpf_label (p, wake);
  loom_bpf_mov_imm (p, R2, BPF_RB_FORCE_WAKEUP);
  loom_bpf_jump (p, BPF_JA, 0, 0, done);
  loom_bpf_label (p, quiet);
  loom_bpf_mov_imm (p, R2, BPF_RB_NO_WAKEUP);
  loom_bpf_label (p, done);
}

/* The program for one direction of every link: the link is the interface's index
 * minus ifindex_base, kept on the stack at fp-8 (r6-r9 are all taken). */
static void
build_prog (struct loom_bpf *p, const struct loom_bpfcap *c, int dir)
{
  /* Size classes: a record is reserved at the smallest that holds the frame (the
   * ring does not waste 64 KiB on an ARP request); TCP's super-frames spread over
   * the larger ones. */
  static const uint32_t all[]
      = { 128, 512, 1536, 4096, 9216, 16384, 24576, 32768, 49152, 65536, LOOM_BPFCAP_SNAPLEN_MAX };
  uint32_t classes[sizeof all / sizeof all[0]];
  struct cap_prog cp = { c, dir };
  int out = loom_bpf_new_label (p), drop = loom_bpf_new_label (p);
  uint32_t snap = c->snaplen;
  size_t i, n = 0;

  for (i = 0; i < sizeof all / sizeof all[0] && all[i] < snap; i++)
    classes[n++] = all[i];
  classes[n++] = snap;

  loom_bpf_mov_reg (p, R6, R1);
  loom_bpf_load (p, BPF_W, R0, R6, offsetof (struct __sk_buff, ifindex));
  loom_bpf_alu_imm (p, BPF_SUB, R0, c->ifindex_base);
  loom_bpf_jump (p, BPF_JGE, R0, (int32_t) c->n_links, out);
  loom_bpf_store (p, BPF_W, R10, -8, R0);
  loom_bpf_load (p, BPF_W, R7, R6, offsetof (struct __sk_buff, len));
  /* r8 = caplen = min (len, snaplen), and at least 1 */
  loom_bpf_mov_reg (p, R8, R7);
  {
    int ok = loom_bpf_new_label (p);
    loom_bpf_jump (p, BPF_JLE, R8, (int32_t) snap, ok);
    loom_bpf_mov_imm (p, R8, (int32_t) snap);
    loom_bpf_label (p, ok);
  }
  loom_bpf_jump (p, BPF_JLT, R8, 1, out);

  {
    struct loom_bpf_ring_copy rc = {
      .ring_fd = c->ring.fd,
      .classes = classes,
      .n_classes = n,
      .meta_size = META_SIZE,
      .len_reg = R8,
      .meta = cap_meta,
      .flags = cap_flags,
      .arg = &cp,
      .full_label = drop,
      .failed_label = out,
      .done_label = out,
    };
    loom_bpf_emit_ring_copy (p, &rc);
  }

  /* No room in the ring: count it against the link. */
  loom_bpf_label (p, drop);
  loom_bpf_ld_map (p, R1, c->drops_fd);
  loom_bpf_mov_reg (p, R2, R10);
  loom_bpf_alu_imm (p, BPF_ADD, R2, -8);
  loom_bpf_call (p, BPF_FUNC_map_lookup_elem);
  loom_bpf_jump (p, BPF_JEQ, R0, 0, out);
  loom_bpf_mov_imm (p, R1, 1);
  loom_bpf_emit (p, BPF_STX | BPF_ATOMIC | BPF_DW, R0, R1, 0, BPF_ADD);
  /* Hand the frame on to whatever else is attached (VLAN programs), untouched. */
  loom_bpf_label (p, out);
  loom_bpf_mov_imm (p, R0, TC_ACT_UNSPEC);
  loom_bpf_exit (p);
  loom_bpf_finish (p);
}

int
loom_bpfcap_attach (struct loom_bpfcap *c, struct nl_sock *sk, int ifindex, loom_error_t *err)
{
  if (loom_tc_clsact (sk, ifindex, err) < 0
      || loom_tc_bpf_filter (sk, ifindex, true, LOOM_TC_PRIO_CAPTURE, c->prog_in, "loom_cap_in",
                             err)
             < 0
      || loom_tc_bpf_filter (sk, ifindex, false, LOOM_TC_PRIO_CAPTURE, c->prog_out,
                             "loom_cap_out", err)
             < 0)
    return -1;
  return 0;
}

int
loom_bpfcap_fd (const struct loom_bpfcap *c)
{
  return c->ring.fd;
}

bool
loom_bpfcap_pending (const struct loom_bpfcap *c)
{
  return loom_bpf_ring_pending (&c->ring);
}

struct consume_ctx
{
  struct loom_bpfcap *c;
  loom_bpfcap_cb cb;
  void *ctx;
};

/* One ring record: the program's metadata, then the frame. */
static void
on_record (const uint8_t *rec, uint32_t len, void *ctx)
{
  struct consume_ctx *x = ctx;
  struct loom_frame fr;
  uint32_t link_id, dir, caplen;
  uint64_t kt;

  if (len < META_SIZE)
    return;
  memcpy (&link_id, rec, 4);
  memcpy (&dir, rec + 4, 4);
  memcpy (&fr.origlen, rec + 8, 4);
  memcpy (&caplen, rec + 12, 4);
  memcpy (&kt, rec + 16, 8);
  fr.caplen = caplen > len - META_SIZE ? len - META_SIZE : caplen;
  fr.data = rec + META_SIZE;
  fr.dir = (int) dir;
  fr.ts_ns = kt + x->c->mono_to_real;
  if (link_id < x->c->n_links)
    x->cb (link_id, &fr, x->ctx);
}

int
loom_bpfcap_read (struct loom_bpfcap *c, loom_bpfcap_cb cb, void *ctx, int max)
{
  struct consume_ctx x = { c, cb, ctx };
  return loom_bpf_ring_read (&c->ring, on_record, &x, max);
}

void
loom_bpfcap_release (struct loom_bpfcap *c)
{
  loom_bpf_ring_release (&c->ring);
}

uint64_t
loom_bpfcap_drops (const struct loom_bpfcap *c, uint32_t link_id)
{
  union bpf_attr attr;
  uint64_t v = 0;

  memset (&attr, 0, sizeof attr);
  attr.map_fd = c->drops_fd;
  attr.key = (uintptr_t) &link_id;
  attr.value = (uintptr_t) &v;
  if (syscall (SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof attr) < 0)
    return 0;
  return v;
}

void
loom_bpfcap_close (struct loom_bpfcap *c)
{
  loom_bpf_ring_close (&c->ring);
  if (c->drops_fd >= 0)
    close (c->drops_fd);
  if (c->wake_fd >= 0)
    close (c->wake_fd);
  if (c->prog_in >= 0)
    close (c->prog_in);
  if (c->prog_out >= 0)
    close (c->prog_out);
  c->drops_fd = c->wake_fd = c->prog_in = c->prog_out = -1;
}
