/* VLAN ports from eBPF (see vlan.h). The programs are a handful of instructions, built
 * here with core/bpf.h, loaded with bpf(2) and attached as direct-action cls_bpf
 * filters on the port's clsact qdisc (core/tc.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "core/bpf.h"
#include "core/tc.h"
#include "core/util.h"
#include "core/vlan.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define SKB(field) ((int16_t) offsetof (struct __sk_buff, field))

struct prog
{
  struct loom_bpf b;
  int drop, pass;
};

static void
prog_init (struct prog *p)
{
  loom_bpf_init (&p->b);
  p->drop = loom_bpf_new_label (&p->b);
  p->pass = loom_bpf_new_label (&p->b);
}

static void
ret (struct prog *p, int32_t v)
{
  loom_bpf_mov_imm (&p->b, R0, v);
  loom_bpf_exit (&p->b);
}

/* Ends a program with the shared exits. */
static void
exits (struct prog *p)
{
  loom_bpf_label (&p->b, p->drop);
  ret (p, TC_ACT_SHOT);
  loom_bpf_label (&p->b, p->pass);
  ret (p, TC_ACT_OK);
  loom_bpf_finish (&p->b);
}

static void
build_access_ingress (struct prog *p, int vid)
{
  prog_init (p);
  loom_bpf_load (&p->b, BPF_W, R0, R1, SKB (vlan_present));
  loom_bpf_jump (&p->b, BPF_JNE, R0, 0, p->drop);
  loom_bpf_mov_imm (&p->b, R2, vid);
  loom_bpf_store (&p->b, BPF_W, R1, SKB (mark), R2);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->pass);
  exits (p);
}

static void
build_access_egress (struct prog *p, int vid)
{
  prog_init (p);
  loom_bpf_load (&p->b, BPF_W, R0, R1, SKB (mark));
  loom_bpf_jump (&p->b, BPF_JEQ, R0, 0, p->pass);
  loom_bpf_jump (&p->b, BPF_JNE, R0, vid, p->drop);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->pass);
  exits (p);
}

static void
build_trunk_ingress (struct prog *p, const int *vids, size_t n)
{
  int tagged, hit;
  size_t i;

  prog_init (p);
  tagged = loom_bpf_new_label (&p->b);
  hit = loom_bpf_new_label (&p->b);
  loom_bpf_mov_reg (&p->b, R6, R1);
  loom_bpf_load (&p->b, BPF_W, R0, R6, SKB (vlan_present));
  loom_bpf_jump (&p->b, BPF_JNE, R0, 0, tagged);
  loom_bpf_mov_imm (&p->b, R2, LOOM_VLAN_NATIVE);
  loom_bpf_store (&p->b, BPF_W, R6, SKB (mark), R2);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->pass);
  loom_bpf_label (&p->b, tagged);
  loom_bpf_load (&p->b, BPF_W, R7, R6, SKB (vlan_tci));
  loom_bpf_alu_imm (&p->b, BPF_AND, R7, 0x0fff);
  for (i = 0; i < n; i++)
    loom_bpf_jump (&p->b, BPF_JEQ, R7, vids[i], hit);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->drop);
  loom_bpf_label (&p->b, hit);
  loom_bpf_mov_reg (&p->b, R1, R6);
  loom_bpf_call (&p->b, BPF_FUNC_skb_vlan_pop);
  loom_bpf_jump (&p->b, BPF_JNE, R0, 0, p->drop);
  loom_bpf_store (&p->b, BPF_W, R6, SKB (mark), R7);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->pass);
  exits (p);
}

static void
build_trunk_egress (struct prog *p, const int *vids, size_t n)
{
  int hit;
  size_t i;

  prog_init (p);
  hit = loom_bpf_new_label (&p->b);
  loom_bpf_mov_reg (&p->b, R6, R1);
  loom_bpf_load (&p->b, BPF_W, R7, R6, SKB (mark));
  loom_bpf_jump (&p->b, BPF_JEQ, R7, 0, p->pass);
  loom_bpf_jump (&p->b, BPF_JEQ, R7, LOOM_VLAN_NATIVE, p->pass);
  for (i = 0; i < n; i++)
    if (vids[i] != LOOM_VLAN_NATIVE)
      loom_bpf_jump (&p->b, BPF_JEQ, R7, vids[i], hit);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->drop);
  loom_bpf_label (&p->b, hit);
  loom_bpf_mov_reg (&p->b, R1, R6);
  loom_bpf_mov_imm (&p->b, R2, htons (ETH_P_8021Q));
  loom_bpf_mov_reg (&p->b, R3, R7);
  loom_bpf_call (&p->b, BPF_FUNC_skb_vlan_push);
  loom_bpf_jump (&p->b, BPF_JNE, R0, 0, p->drop);
  loom_bpf_jump (&p->b, BPF_JA, 0, 0, p->pass);
  exits (p);
}

static int
attach_pair (struct nl_sock *sk, int ifindex, struct prog *in, struct prog *out,
             const char *in_name, const char *out_name, loom_error_t *err)
{
  loom_autoclose int in_fd = -1;
  loom_autoclose int out_fd = -1;

  if ((in_fd = loom_bpf_load_tc (&in->b, in_name, err)) < 0
      || (out_fd = loom_bpf_load_tc (&out->b, out_name, err)) < 0)
    return -1;
  if (loom_tc_clsact (sk, ifindex, err) < 0)
    return -1;
  if (loom_tc_bpf_filter (sk, ifindex, true, LOOM_TC_PRIO_VLAN, in_fd, in_name, err) < 0
      || loom_tc_bpf_filter (sk, ifindex, false, LOOM_TC_PRIO_VLAN, out_fd, out_name, err) < 0)
    return -1;
  return 0;
}

int
loom_vlan_access_port (struct nl_sock *sk, int ifindex, int vid, loom_error_t *err)
{
  struct prog in, out;
  build_access_ingress (&in, vid);
  build_access_egress (&out, vid);
  return attach_pair (sk, ifindex, &in, &out, "loom_access_in", "loom_access_out", err);
}

int
loom_vlan_trunk_port (struct nl_sock *sk, int ifindex, const int *vids, size_t n,
                      loom_error_t *err)
{
  struct prog in, out;
  if (n > 64)
    return loom_error_make (err, EINVAL, "a trunk carries at most 64 VLANs here");
  build_trunk_ingress (&in, vids, n);
  build_trunk_egress (&out, vids, n);
  return attach_pair (sk, ifindex, &in, &out, "loom_trunk_in", "loom_trunk_out", err);
}
