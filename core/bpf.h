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
#define LOOM_BPF_MAX_LABELS 32

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
};

int loom_bpf_ring_open (struct loom_bpf_ring *r, size_t size, const char *name,
                        loom_error_t *err);
void loom_bpf_ring_close (struct loom_bpf_ring *r);
/* Whether records wait. */
bool loom_bpf_ring_pending (const struct loom_bpf_ring *r);
/* Hands up to max waiting records to cb (which must not keep rec). Returns how many. */
typedef void (*loom_bpf_ring_cb) (const uint8_t *rec, uint32_t len, void *ctx);
int loom_bpf_ring_consume (struct loom_bpf_ring *r, loom_bpf_ring_cb cb, void *ctx, int max);

#endif
