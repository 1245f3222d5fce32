/* The eBPF assembler and loader (see bpf.h): instructions go into a fixed array, jumps
 * name labels, and loom_bpf_finish() turns labels into offsets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/bpf.h"
#include "core/util.h"

void
loom_bpf_init (struct loom_bpf *p)
{
  memset (p, 0, sizeof *p);
  memset (p->label_at, -1, sizeof p->label_at);
}

int
loom_bpf_new_label (struct loom_bpf *p)
{
  if (p->n_labels >= LOOM_BPF_MAX_LABELS)
    abort ();
  return p->n_labels++;
}

void
loom_bpf_label (struct loom_bpf *p, int label)
{
  p->label_at[label] = p->n;
}

void
loom_bpf_emit (struct loom_bpf *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
               int32_t imm)
{
  struct bpf_insn in = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  if (p->n >= LOOM_BPF_MAX_INSNS)
    abort ();
  p->insn[p->n++] = in;
}

void
loom_bpf_jump (struct loom_bpf *p, uint8_t op, uint8_t dst, int32_t imm, int label)
{
  p->fix_insn[p->n_fix] = p->n;
  p->fix_label[p->n_fix++] = label;
  loom_bpf_emit (p, BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}

void
loom_bpf_jump_reg (struct loom_bpf *p, uint8_t op, uint8_t dst, uint8_t src, int label)
{
  p->fix_insn[p->n_fix] = p->n;
  p->fix_label[p->n_fix++] = label;
  loom_bpf_emit (p, BPF_JMP | op | BPF_X, dst, src, 0, 0);
}

void
loom_bpf_mov_imm (struct loom_bpf *p, int dst, int32_t imm)
{
  loom_bpf_emit (p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

void
loom_bpf_mov_reg (struct loom_bpf *p, int dst, int src)
{
  loom_bpf_emit (p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

void
loom_bpf_alu_imm (struct loom_bpf *p, uint8_t op, int dst, int32_t imm)
{
  loom_bpf_emit (p, BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}

void
loom_bpf_alu_reg (struct loom_bpf *p, uint8_t op, int dst, int src)
{
  loom_bpf_emit (p, BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}

void
loom_bpf_load (struct loom_bpf *p, uint8_t size, int dst, int src, int16_t off)
{
  loom_bpf_emit (p, BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}

void
loom_bpf_store (struct loom_bpf *p, uint8_t size, int dst, int16_t off, int src)
{
  loom_bpf_emit (p, BPF_STX | BPF_MEM | size, dst, src, off, 0);
}

void
loom_bpf_store_imm (struct loom_bpf *p, uint8_t size, int dst, int16_t off, int32_t imm)
{
  loom_bpf_emit (p, BPF_ST | BPF_MEM | size, dst, 0, off, imm);
}

void
loom_bpf_ld_map (struct loom_bpf *p, int dst, int map_fd)
{
  loom_bpf_emit (p, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, map_fd);
  loom_bpf_emit (p, 0, 0, 0, 0, 0);
}

void
loom_bpf_call (struct loom_bpf *p, int helper)
{
  loom_bpf_emit (p, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

void
loom_bpf_exit (struct loom_bpf *p)
{
  loom_bpf_emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

void
loom_bpf_finish (struct loom_bpf *p)
{
  int i;
  for (i = 0; i < p->n_fix; i++)
    {
      if (p->label_at[p->fix_label[i]] < 0)
        abort (); /* a jump to a label never placed: a bug in the program's builder */
      p->insn[p->fix_insn[i]].off = p->label_at[p->fix_label[i]] - p->fix_insn[i] - 1;
    }
}

void
loom_bpf_emit_ring_copy (struct loom_bpf *p, const struct loom_bpf_ring_copy *rc)
{
  int copied = loom_bpf_new_label (p), failed = loom_bpf_new_label (p);
  size_t i;

  for (i = 0; i < rc->n_classes; i++)
    {
      int next = loom_bpf_new_label (p);

      if (i + 1 < rc->n_classes)
        loom_bpf_jump (p, BPF_JGT, rc->len_reg, (int32_t) rc->classes[i], next);
      loom_bpf_ld_map (p, BPF_REG_1, rc->ring_fd);
      loom_bpf_mov_imm (p, BPF_REG_2, (int32_t) (rc->meta_size + rc->classes[i]));
      loom_bpf_mov_imm (p, BPF_REG_3, 0);
      loom_bpf_call (p, BPF_FUNC_ringbuf_reserve);
      loom_bpf_jump (p, BPF_JEQ, BPF_REG_0, 0, rc->full_label);
      loom_bpf_mov_reg (p, BPF_REG_9, BPF_REG_0);
      rc->meta (p, rc->arg);
      loom_bpf_mov_reg (p, BPF_REG_1, BPF_REG_6);
      loom_bpf_mov_imm (p, BPF_REG_2, 0);
      loom_bpf_mov_reg (p, BPF_REG_3, BPF_REG_9);
      loom_bpf_alu_imm (p, BPF_ADD, BPF_REG_3, (int32_t) rc->meta_size);
      loom_bpf_mov_reg (p, BPF_REG_4, rc->len_reg);
      loom_bpf_call (p, BPF_FUNC_skb_load_bytes);
      loom_bpf_jump (p, BPF_JNE, BPF_REG_0, 0, failed);
      loom_bpf_jump (p, BPF_JA, 0, 0, copied);
      loom_bpf_label (p, next);
    }
  /* The paths of all classes join here: the verifier follows each on its own, with
   * R9 a record of that class's size. */
  loom_bpf_label (p, copied);
  if (rc->flags)
    rc->flags (p, rc->arg);
  else
    loom_bpf_mov_imm (p, BPF_REG_2, 0);
  loom_bpf_mov_reg (p, BPF_REG_1, BPF_REG_9);
  loom_bpf_call (p, BPF_FUNC_ringbuf_submit);
  loom_bpf_jump (p, BPF_JA, 0, 0, rc->done_label);
  loom_bpf_label (p, failed);
  loom_bpf_mov_reg (p, BPF_REG_1, BPF_REG_9);
  loom_bpf_mov_imm (p, BPF_REG_2, 0);
  loom_bpf_call (p, BPF_FUNC_ringbuf_discard);
  loom_bpf_jump (p, BPF_JA, 0, 0, rc->failed_label);
}

int
loom_bpf_load_tc (struct loom_bpf *p, const char *name, loom_error_t *err)
{
  char log[8192] = "";
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  attr.insns = (uintptr_t) p->insn;
  attr.insn_cnt = p->n;
  attr.license = (uintptr_t) "GPL";
  snprintf (attr.prog_name, sizeof attr.prog_name, "%s", name);
  fd = syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd >= 0)
    return fd;
  /* Again with the verifier's log, only when it failed (the log costs time). */
  attr.log_buf = (uintptr_t) log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  fd = syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd >= 0)
    return fd;
  return loom_error_make (err, errno, "load eBPF program %s%s%s", name, log[0] ? ": " : "", log);
}

int
loom_bpf_map_create (enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
                     uint32_t max_entries, const char *name, loom_error_t *err)
{
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.map_type = type;
  attr.key_size = key_size;
  attr.value_size = value_size;
  attr.max_entries = max_entries;
  snprintf (attr.map_name, sizeof attr.map_name, "%s", name);
  fd = syscall (SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  if (fd < 0)
    return loom_error_make (err, errno, "create eBPF map %s", name);
  return fd;
}

int
loom_bpf_ring_open (struct loom_bpf_ring *r, size_t size, const char *name, loom_error_t *err)
{
  memset (r, 0, sizeof *r);
  r->page = sysconf (_SC_PAGESIZE);
  r->size = size;
  r->fd = loom_bpf_map_create (BPF_MAP_TYPE_RINGBUF, 0, 0, size, name, err);
  if (r->fd < 0)
    return -1;
  r->cons = mmap (NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
  r->prod = mmap (NULL, r->page + 2 * size, PROT_READ, MAP_SHARED, r->fd, r->page);
  if (r->cons == MAP_FAILED || r->prod == MAP_FAILED)
    {
      int e = errno;
      loom_bpf_ring_close (r);
      return loom_error_make (err, e, "map ring buffer %s", name);
    }
  return 0;
}

void
loom_bpf_ring_close (struct loom_bpf_ring *r)
{
  if (r->prod && r->prod != MAP_FAILED)
    munmap (r->prod, r->page + 2 * r->size);
  if (r->cons && r->cons != MAP_FAILED)
    munmap (r->cons, r->page);
  if (r->fd > 0)
    close (r->fd);
  r->prod = r->cons = NULL;
  r->fd = -1;
}

bool
loom_bpf_ring_pending (const struct loom_bpf_ring *r)
{
  if (r->prod == NULL)
    return false;
  return __atomic_load_n ((unsigned long *) r->prod, __ATOMIC_ACQUIRE) != r->read_pos;
}

/* Walks the records after r->read_pos; with release, hands each slot back as soon as
 * cb returns. */
static int
ring_walk (struct loom_bpf_ring *r, loom_bpf_ring_cb cb, void *ctx, int max, bool release)
{
  unsigned long *cons_pos = r->cons, *prod_pos = r->prod;
  uint8_t *data = (uint8_t *) r->prod + r->page;
  unsigned long pos = r->read_pos;
  unsigned long prod = __atomic_load_n (prod_pos, __ATOMIC_ACQUIRE);
  int n = 0;

  while (pos < prod && n < max)
    {
      uint32_t *hdr = (uint32_t *) (data + (pos & (r->size - 1)));
      uint32_t len = __atomic_load_n (hdr, __ATOMIC_ACQUIRE);
      uint32_t clean = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

      if (len & BPF_RINGBUF_BUSY_BIT)
        break; /* still being written */
      /* The data is mapped twice in a row, so a record that wraps reads straight. */
      if (!(len & BPF_RINGBUF_DISCARD_BIT))
        {
          cb ((const uint8_t *) hdr + BPF_RINGBUF_HDR_SZ, clean, ctx);
          n++;
        }
      pos += (clean + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
      r->read_pos = pos;
      if (release)
        __atomic_store_n (cons_pos, pos, __ATOMIC_RELEASE);
    }
  return n;
}

int
loom_bpf_ring_consume (struct loom_bpf_ring *r, loom_bpf_ring_cb cb, void *ctx, int max)
{
  return ring_walk (r, cb, ctx, max, true);
}

int
loom_bpf_ring_read (struct loom_bpf_ring *r, loom_bpf_ring_cb cb, void *ctx, int max)
{
  return ring_walk (r, cb, ctx, max, false);
}

void
loom_bpf_ring_release (struct loom_bpf_ring *r)
{
  if (r->cons)
    __atomic_store_n ((unsigned long *) r->cons, r->read_pos, __ATOMIC_RELEASE);
}
