/* A tiny eBPF assembler and loader. netloom's programs are a few dozen instructions
 * (VLAN tagging on switch ports, copying frames into the capture ring), so they are
 * written here in C with labels resolved at the end — no compiler, no libbpf. */
#ifndef LOOM_BPF_H
#define LOOM_BPF_H

#include <linux/bpf.h>
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

#endif
