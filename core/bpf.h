/* A tiny eBPF assembler and loader. netloom's programs are a few dozen instructions
 * (VLAN tagging on switch ports, copying frames into the capture ring), so they are
 * written here in C with labels resolved at the end — no compiler, no libbpf. */
#ifndef LOOM_BPF_H
#define LOOM_BPF_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define LOOM_BPF_MAX_INSNS 512
#define LOOM_BPF_MAX_LABELS 64

struct loom_bpf
{
  struct bpf_insn insn[LOOM_BPF_MAX_INSNS];
  int n;
  int label_at[LOOM_BPF_MAX_LABELS];
  int fix_insn[LOOM_BPF_MAX_INSNS];
  int fix_label[LOOM_BPF_MAX_INSNS];
  int n_fix;
  int n_labels;
};

void loom_bpf_init (struct loom_bpf *p);
/* A new label, to place later with loom_bpf_label(). */
int loom_bpf_new_label (struct loom_bpf *p);
void loom_bpf_label (struct loom_bpf *p, int label);
void loom_bpf_emit (struct loom_bpf *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                    int32_t imm);
/* Conditional or unconditional (BPF_JA) jump to a label, comparing dst with imm. */
void loom_bpf_jump (struct loom_bpf *p, uint8_t op, uint8_t dst, int32_t imm, int label);
/* Jump comparing two registers. */
void loom_bpf_jump_reg (struct loom_bpf *p, uint8_t op, uint8_t dst, uint8_t src, int label);
void loom_bpf_mov_imm (struct loom_bpf *p, int dst, int32_t imm);
void loom_bpf_mov_reg (struct loom_bpf *p, int dst, int src);
void loom_bpf_alu_imm (struct loom_bpf *p, uint8_t op, int dst, int32_t imm);
void loom_bpf_alu_reg (struct loom_bpf *p, uint8_t op, int dst, int src);
/* dst = *(size *)(src + off); size is BPF_B, BPF_H, BPF_W or BPF_DW. */
void loom_bpf_load (struct loom_bpf *p, uint8_t size, int dst, int src, int16_t off);
void loom_bpf_store (struct loom_bpf *p, uint8_t size, int dst, int16_t off, int src);
void loom_bpf_store_imm (struct loom_bpf *p, uint8_t size, int dst, int16_t off, int32_t imm);
/* dst = the map behind map_fd (a 64-bit pseudo load). */
void loom_bpf_ld_map (struct loom_bpf *p, int dst, int map_fd);
void loom_bpf_call (struct loom_bpf *p, int helper);
void loom_bpf_exit (struct loom_bpf *p);
/* Resolves the labels; call once, after the last instruction. */
void loom_bpf_finish (struct loom_bpf *p);

/* The "copy this frame into a ring record" sequence that capture and impairment share:
 * reserve a record of the smallest size class that holds len_reg bytes (a reservation's
 * size must be a constant), let meta() store the program's metadata at the record's
 * start, bpf_skb_load_bytes the frame after it, and submit. The record is in R9.
 * The caller has bounded len_reg to [1, the last class] (the verifier needs it) and
 * keeps in R6 the skb. */
struct loom_bpf_ring_copy
{
  int ring_fd;
  const uint32_t *classes; /* frame bytes per class, ascending */
  size_t n_classes;
  uint32_t meta_size; /* bytes before the frame; a multiple of 8 */
  int len_reg;        /* bytes to copy: R7 or R8 */
  /* Stores the metadata at R9 + 0 .. meta_size. May use R0-R5; len_reg is intact. */
  void (*meta) (struct loom_bpf *p, const void *arg);
  /* Optional: leaves the submit flags in R2 (0 when NULL). May use R0-R5, R7 and R8. */
  void (*flags) (struct loom_bpf *p, const void *arg);
  const void *arg;
  int full_label;   /* no room in the ring: nothing was reserved */
  int failed_label; /* the copy failed: the record was discarded */
  int done_label;   /* submitted */
};
void loom_bpf_emit_ring_copy (struct loom_bpf *p, const struct loom_bpf_ring_copy *rc);

/* Loads a tc (sched_cls) program; returns its fd. The verifier's log is in the error. */
int loom_bpf_load_tc (struct loom_bpf *p, const char *name, loom_error_t *err);
/* Creates a map; returns its fd. */
int loom_bpf_map_create (enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
                         uint32_t max_entries, const char *name, loom_error_t *err);

/* A BPF ring buffer map and its consumer side, mapped into this process. */
struct loom_bpf_ring
{
  int fd;
  size_t size; /* a power of two, a multiple of the page size */
  size_t page;
  void *cons; /* consumer page (read-write) */
  void *prod; /* producer page + the data mapped twice in a row (read-only) */
  unsigned long read_pos; /* records before this were handed out (>= the consumer pos) */
};

int loom_bpf_ring_open (struct loom_bpf_ring *r, size_t size, const char *name,
                        loom_error_t *err);
void loom_bpf_ring_close (struct loom_bpf_ring *r);
/* Whether records wait. */
bool loom_bpf_ring_pending (const struct loom_bpf_ring *r);
/* Hands up to max waiting records to cb (which must not keep rec). Returns how many. */
typedef void (*loom_bpf_ring_cb) (const uint8_t *rec, uint32_t len, void *ctx);
int loom_bpf_ring_consume (struct loom_bpf_ring *r, loom_bpf_ring_cb cb, void *ctx, int max);
/* Zero-copy reading: hands up to max waiting records to cb like consume, but leaves
 * them in the ring, so rec stays valid (the producers cannot reuse its slot) until
 * loom_bpf_ring_release(). Returns how many. */
int loom_bpf_ring_read (struct loom_bpf_ring *r, loom_bpf_ring_cb cb, void *ctx, int max);
/* Gives every record read so far back to the producers. */
void loom_bpf_ring_release (struct loom_bpf_ring *r);

#endif
