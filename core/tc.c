/* clsact and cls_bpf over rtnetlink (see tc.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <string.h>

#include "core/fault.h"
#include "core/tc.h"
#include "core/util.h"

static struct nl_msg *
tc_msg (int type, int flags, int ifindex, uint32_t handle, uint32_t parent, uint32_t info)
{
  struct nl_msg *msg = nlmsg_alloc_simple (type, NLM_F_REQUEST | NLM_F_ACK | flags);
  struct tcmsg tc = {
    .tcm_family = AF_UNSPEC,
    .tcm_ifindex = ifindex,
    .tcm_handle = handle,
    .tcm_parent = parent,
    .tcm_info = info,
  };
  if (msg == NULL || nlmsg_append (msg, &tc, sizeof tc, NLMSG_ALIGNTO) < 0)
    abort ();
  return msg;
}

int
loom_tc_clsact (struct nl_sock *sk, int ifindex, loom_error_t *err)
{
  struct nl_msg *msg = tc_msg (RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
                               TC_H_MAKE (TC_H_CLSACT, 0), TC_H_CLSACT, 0);
  int r;

  if (nla_put_string (msg, TCA_KIND, "clsact") < 0)
    abort ();
  if (loom_fault_check ("add clsact qdisc", err) < 0)
    {
      nlmsg_free (msg);
      return -1;
    }
  r = nl_send_sync (sk, msg);
  if (r < 0 && r != -NLE_EXIST)
    return loom_error_make (err, 0, "add clsact qdisc: %s", nl_geterror (r));
  return 0;
}

int
loom_tc_bpf_filter (struct nl_sock *sk, int ifindex, bool ingress, int prio, int prog_fd,
                    const char *name, loom_error_t *err)
{
  struct nl_msg *msg = tc_msg (
      RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, ifindex, 1,
      TC_H_MAKE (TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS),
      TC_H_MAKE ((uint32_t) prio << 16, htons (ETH_P_ALL)));
  struct nlattr *opts;
  int r;

  if (nla_put_string (msg, TCA_KIND, "bpf") < 0 || !(opts = nla_nest_start (msg, TCA_OPTIONS))
      || nla_put_u32 (msg, TCA_BPF_FD, prog_fd) < 0 || nla_put_string (msg, TCA_BPF_NAME, name) < 0
      || nla_put_u32 (msg, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0)
    abort ();
  nla_nest_end (msg, opts);
  if (loom_fault_check ("attach eBPF filter", err) < 0)
    {
      nlmsg_free (msg);
      return -1;
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return loom_error_make (err, 0, "attach %s filter %s: %s", ingress ? "ingress" : "egress", name,
                            nl_geterror (r));
  return 0;
}

int
loom_tc_filter_del (struct nl_sock *sk, int ifindex, bool ingress, int prio, loom_error_t *err)
{
  struct nl_msg *msg
      = tc_msg (RTM_DELTFILTER, 0, ifindex, 0,
                TC_H_MAKE (TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS),
                TC_H_MAKE ((uint32_t) prio << 16, htons (ETH_P_ALL)));
  int r = nl_send_sync (sk, msg);
  if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NOADDR)
    return loom_error_make (err, 0, "remove filter: %s", nl_geterror (r));
  return 0;
}

int
loom_tc_tbf (struct nl_sock *sk, int ifindex, uint64_t rate_bps, loom_error_t *err)
{
  struct nl_msg *msg = tc_msg (RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
                               TC_H_MAKE (1u << 16, 0), TC_H_ROOT, 0);
  uint64_t bytes_ps = rate_bps / 8;
  /* Burst: 10 ms at the rate, at least ten full frames (smaller buckets make TCP lose
   * more than the rate takes); queue: 200 ms at the rate. */
  uint32_t burst = (uint32_t) (bytes_ps / 100 > 10 * 1514 ? bytes_ps / 100 : 10 * 1514);
  uint32_t limit = (uint32_t) (bytes_ps / 5 > 20 * 1514 ? bytes_ps / 5 : 20 * 1514);
  struct tc_tbf_qopt q = { 0 };
  struct nlattr *opts;
  int r;

  q.rate.rate = bytes_ps > 0xffffffffULL ? 0xffffffff : (uint32_t) bytes_ps;
  q.limit = limit;
  if (nla_put_string (msg, TCA_KIND, "tbf") < 0 || !(opts = nla_nest_start (msg, TCA_OPTIONS))
      || nla_put (msg, TCA_TBF_PARMS, sizeof q, &q) < 0
      || (bytes_ps > 0xffffffffULL && nla_put_u64 (msg, TCA_TBF_RATE64, bytes_ps) < 0)
      || nla_put_u32 (msg, TCA_TBF_BURST, burst) < 0)
    abort ();
  nla_nest_end (msg, opts);
  if (loom_fault_check ("add tbf qdisc", err) < 0)
    {
      nlmsg_free (msg);
      return -1;
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return loom_error_make (err, 0, "add tbf qdisc: %s", nl_geterror (r));
  return 0;
}

int
loom_tc_root_del (struct nl_sock *sk, int ifindex, loom_error_t *err)
{
  struct nl_msg *msg = tc_msg (RTM_DELQDISC, 0, ifindex, 0, TC_H_ROOT, 0);
  int r = nl_send_sync (sk, msg);
  if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_INVAL && r != -NLE_NOADDR)
    return loom_error_make (err, 0, "remove root qdisc: %s", nl_geterror (r));
  return 0;
}

bool
loom_tc_has_qdisc_kind (struct nl_sock *sk, int ifindex, const char *kind)
{
  /* Ask for one as the root qdisc and remove it again: the only way to know whether
   * the kernel has the kind (its module may be missing, as netem is here). */
  struct nl_msg *msg = tc_msg (RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
                               TC_H_MAKE (0x4c4f0000u, 0), TC_H_ROOT, 0);
  int r;

  if (nla_put_string (msg, TCA_KIND, kind) < 0)
    abort ();
  if (strcmp (kind, "netem") == 0)
    {
      struct tc_netem_qopt q = { .limit = 1000 };
      nla_put (msg, TCA_OPTIONS, sizeof q, &q);
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return false;
  loom_tc_root_del (sk, ifindex, NULL);
  return true;
}

/* One direction of a wire: everything arriving on @from leaves through @to. */
static int
mirred_redirect (struct nl_sock *sk, int from, int to, loom_error_t *err)
{
  struct nl_msg *msg = tc_msg (RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, from, 0,
                               TC_H_MAKE (TC_H_CLSACT, TC_H_MIN_INGRESS),
                               TC_H_MAKE ((uint32_t) LOOM_TC_PRIO_WIRE << 16, htons (ETH_P_ALL)));
  struct
  {
    struct tc_u32_sel sel;
    struct tc_u32_key key;
  } sel = { .sel = { .flags = TC_U32_TERMINAL, .nkeys = 1 } }; /* match u32 0 0 at 0 */
  struct tc_mirred parm = {
    .action = TC_ACT_STOLEN,
    .eaction = TCA_EGRESS_REDIR,
    .ifindex = (uint32_t) to,
  };
  struct nlattr *opts, *acts, *act, *aopts;
  int r;

  if (nla_put_string (msg, TCA_KIND, "u32") < 0 || !(opts = nla_nest_start (msg, TCA_OPTIONS))
      || nla_put (msg, TCA_U32_SEL, sizeof sel, &sel) < 0
      || !(acts = nla_nest_start (msg, TCA_U32_ACT)) || !(act = nla_nest_start (msg, 1))
      || nla_put_string (msg, TCA_ACT_KIND, "mirred") < 0
      || !(aopts = nla_nest_start (msg, TCA_ACT_OPTIONS))
      || nla_put (msg, TCA_MIRRED_PARMS, sizeof parm, &parm) < 0)
    abort ();
  nla_nest_end (msg, aopts);
  nla_nest_end (msg, act);
  nla_nest_end (msg, acts);
  nla_nest_end (msg, opts);
  if (loom_fault_check ("add mirred redirect", err) < 0)
    {
      nlmsg_free (msg);
      return -1;
    }
  r = nl_send_sync (sk, msg);
  if (r < 0)
    return loom_error_make (err, 0, "redirect ifindex %d to %d: %s", from, to, nl_geterror (r));
  return 0;
}

int
loom_tc_mirred_wire (struct nl_sock *sk, int ifindex_a, int ifindex_b, loom_error_t *err)
{
  if (loom_tc_clsact (sk, ifindex_a, err) < 0 || loom_tc_clsact (sk, ifindex_b, err) < 0
      || mirred_redirect (sk, ifindex_a, ifindex_b, err) < 0
      || mirred_redirect (sk, ifindex_b, ifindex_a, err) < 0)
    return -1;
  return 0;
}
