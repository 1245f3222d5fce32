/* VLAN ports from eBPF (see vlan.h). The programs are a handful of instructions, built
 * here with a tiny assembler, loaded with bpf(2) and attached as direct-action cls_bpf
 * filters on the port's clsact qdisc over rtnetlink. */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/util.h"
#include "core/vlan.h"

#define MAX_INSNS 256
#define MAX_LABELS 8

struct prog
{
  struct bpf_insn insn[MAX_INSNS];
  int n;
  int label_at[MAX_LABELS]; /* instruction index of each label, -1 until placed */
  int fix_insn[MAX_INSNS];  /* jumps waiting for a label */
  int fix_label[MAX_INSNS];
  int n_fix;
};

enum
{
  L_DROP,
  L_PASS,
  L_TAGGED,
  L_HIT,
};

static void
emit (struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn in = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  if (p->n >= MAX_INSNS)
    abort ();
  p->insn[p->n++] = in;
}

static void
jump (struct prog *p, uint8_t op, uint8_t dst, int32_t imm, int label)
{
  p->fix_insn[p->n_fix] = p->n;
  p->fix_label[p->n_fix++] = label;
  emit (p, BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}

static void
label (struct prog *p, int l)
{
  p->label_at[l] = p->n;
}

static void
resolve (struct prog *p)
{
  int i;
  for (i = 0; i < p->n_fix; i++)
    p->insn[p->fix_insn[i]].off = p->label_at[p->fix_label[i]] - p->fix_insn[i] - 1;
}

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R6 BPF_REG_6
#define R7 BPF_REG_7
#define SKB(field) ((int16_t) offsetof (struct __sk_buff, field))

static void
mov_imm (struct prog *p, int dst, int32_t imm)
{
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
static void
mov_reg (struct prog *p, int dst, int src)
{
  emit (p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
static void
load32 (struct prog *p, int dst, int src, int16_t off)
{
  emit (p, BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
static void
store32 (struct prog *p, int dst, int16_t off, int src)
{
  emit (p, BPF_STX | BPF_MEM | BPF_W, dst, src, off, 0);
}
static void
ret (struct prog *p, int32_t v)
{
  mov_imm (p, R0, v);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void
prog_init (struct prog *p)
{
  memset (p, 0, sizeof *p);
  memset (p->label_at, -1, sizeof p->label_at);
}

/* Ends a program with the shared exits. */
static void
exits (struct prog *p)
{
  label (p, L_DROP);
  ret (p, TC_ACT_SHOT);
  label (p, L_PASS);
  ret (p, TC_ACT_OK);
  resolve (p);
}

static void
build_access_ingress (struct prog *p, int vid)
{
  prog_init (p);
  load32 (p, R0, R1, SKB (vlan_present));
  jump (p, BPF_JNE, R0, 0, L_DROP);
  mov_imm (p, R2, vid);
  store32 (p, R1, SKB (mark), R2);
  jump (p, BPF_JA, 0, 0, L_PASS);
  exits (p);
}

static void
build_access_egress (struct prog *p, int vid)
{
  prog_init (p);
  load32 (p, R0, R1, SKB (mark));
  jump (p, BPF_JEQ, R0, 0, L_PASS);
  jump (p, BPF_JNE, R0, vid, L_DROP);
  jump (p, BPF_JA, 0, 0, L_PASS);
  exits (p);
}

static void
build_trunk_ingress (struct prog *p, const int *vids, size_t n)
{
  size_t i;

  prog_init (p);
  mov_reg (p, R6, R1);
  load32 (p, R0, R6, SKB (vlan_present));
  jump (p, BPF_JNE, R0, 0, L_TAGGED);
  mov_imm (p, R2, LOOM_VLAN_NATIVE);
  store32 (p, R6, SKB (mark), R2);
  jump (p, BPF_JA, 0, 0, L_PASS);
  label (p, L_TAGGED);
  load32 (p, R7, R6, SKB (vlan_tci));
  emit (p, BPF_ALU64 | BPF_AND | BPF_K, R7, 0, 0, 0x0fff);
  for (i = 0; i < n; i++)
    jump (p, BPF_JEQ, R7, vids[i], L_HIT);
  jump (p, BPF_JA, 0, 0, L_DROP);
  label (p, L_HIT);
  mov_reg (p, R1, R6);
  emit (p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_vlan_pop);
  jump (p, BPF_JNE, R0, 0, L_DROP);
  store32 (p, R6, SKB (mark), R7);
  jump (p, BPF_JA, 0, 0, L_PASS);
  exits (p);
}

static void
build_trunk_egress (struct prog *p, const int *vids, size_t n)
{
  size_t i;

  prog_init (p);
  mov_reg (p, R6, R1);
  load32 (p, R7, R6, SKB (mark));
  jump (p, BPF_JEQ, R7, 0, L_PASS);
  jump (p, BPF_JEQ, R7, LOOM_VLAN_NATIVE, L_PASS);
  for (i = 0; i < n; i++)
    if (vids[i] != LOOM_VLAN_NATIVE)
      jump (p, BPF_JEQ, R7, vids[i], L_HIT);
  jump (p, BPF_JA, 0, 0, L_DROP);
  label (p, L_HIT);
  mov_reg (p, R1, R6);
  mov_imm (p, R2, htons (ETH_P_8021Q));
  mov_reg (p, R3, R7);
  emit (p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_vlan_push);
  jump (p, BPF_JNE, R0, 0, L_DROP);
  jump (p, BPF_JA, 0, 0, L_PASS);
  exits (p);
}

static int
prog_load (struct prog *p, const char *name, loom_error_t *err)
{
  char log[4096] = "";
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  attr.insns = (uintptr_t) p->insn;
  attr.insn_cnt = p->n;
  attr.license = (uintptr_t) "GPL";
  attr.log_buf = (uintptr_t) log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  snprintf (attr.prog_name, sizeof attr.prog_name, "%s", name);
  fd = syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd < 0)
    return loom_error_make (err, errno, "load VLAN program %s%s%s", name, log[0] ? ": " : "",
                            log);
  return fd;
}

static int
send_sync (struct nl_sock *sk, struct nl_msg *msg, const char *what, loom_error_t *err)
{
  int r;
  if (loom_fault_check (what, err) < 0)
    {
      nlmsg_free (msg);
      return -1;
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return loom_error_make (err, 0, "%s: %s", what, nl_geterror (r));
  return 0;
}

static int
clsact_add (struct nl_sock *sk, int ifindex, loom_error_t *err)
{
  struct nl_msg *msg
      = nlmsg_alloc_simple (RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct tcmsg tc = {
    .tcm_family = AF_UNSPEC,
    .tcm_ifindex = ifindex,
    .tcm_handle = TC_H_MAKE (TC_H_CLSACT, 0),
    .tcm_parent = TC_H_CLSACT,
  };
  if (msg == NULL || nlmsg_append (msg, &tc, sizeof tc, NLMSG_ALIGNTO) < 0
      || nla_put_string (msg, TCA_KIND, "clsact") < 0)
    abort ();
  return send_sync (sk, msg, "add clsact qdisc", err);
}

static int
filter_add (struct nl_sock *sk, int ifindex, bool ingress, int prog_fd, const char *name,
            loom_error_t *err)
{
  struct nl_msg *msg
      = nlmsg_alloc_simple (RTM_NEWTFILTER, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct tcmsg tc = {
    .tcm_family = AF_UNSPEC,
    .tcm_ifindex = ifindex,
    .tcm_handle = 1,
    .tcm_parent = TC_H_MAKE (TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS),
    .tcm_info = TC_H_MAKE (1 << 16, htons (ETH_P_ALL)),
  };
  struct nlattr *opts;

  if (msg == NULL || nlmsg_append (msg, &tc, sizeof tc, NLMSG_ALIGNTO) < 0
      || nla_put_string (msg, TCA_KIND, "bpf") < 0 || !(opts = nla_nest_start (msg, TCA_OPTIONS))
      || nla_put_u32 (msg, TCA_BPF_FD, prog_fd) < 0 || nla_put_string (msg, TCA_BPF_NAME, name) < 0
      || nla_put_u32 (msg, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0)
    abort ();
  nla_nest_end (msg, opts);
  return send_sync (sk, msg, ingress ? "attach VLAN ingress filter" : "attach VLAN egress filter",
                    err);
}

static int
attach_pair (struct nl_sock *sk, int ifindex, struct prog *in, struct prog *out,
             const char *in_name, const char *out_name, loom_error_t *err)
{
  loom_autoclose int in_fd = -1;
  loom_autoclose int out_fd = -1;

  if ((in_fd = prog_load (in, in_name, err)) < 0 || (out_fd = prog_load (out, out_name, err)) < 0)
    return -1;
  if (clsact_add (sk, ifindex, err) < 0)
    return -1;
  if (filter_add (sk, ifindex, true, in_fd, in_name, err) < 0
      || filter_add (sk, ifindex, false, out_fd, out_name, err) < 0)
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
