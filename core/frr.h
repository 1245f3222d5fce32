/* FRR on router nodes, the running side: each router's daemons are started by the lab's
 * supervisor inside the node's namespace with FRR's pathspace (-N <namespace name>), so
 * their sockets live in /var/run/frr/<ns>/ and their configuration in /etc/frr/<ns>/.
 * Logs go to the lab directory. The daemons die with the supervisor (PDEATHSIG), so a
 * crash leaves no orphan, and come back when it is started again. */
#ifndef LOOM_FRR_H
#define LOOM_FRR_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"

#define LOOM_FRR_DAEMON_DIR "/usr/lib/frr"
#define LOOM_FRR_CONF_ROOT "/etc/frr"
#define LOOM_FRR_RUN_ROOT "/var/run/frr"
#define LOOM_FRR_MAX_DAEMONS 12

/* Whether FRR is installed (zebra and vtysh are there). */
bool loom_frr_available (void);

/* The daemons an frr.conf needs: zebra and staticd always, then one per protocol it
 * configures ("router ospf" -> ospfd ...). Fills names (static strings); returns n. */
size_t loom_frr_daemons (const char *conf, const char *names[LOOM_FRR_MAX_DAEMONS]);

/* Writes /etc/frr/<ns>/frr.conf and vtysh.conf for FRR's user. */
int loom_frr_write_config (const char *ns, const char *conf, loom_error_t *err);

struct loom_frr_node
{
  const char *node;    /* node name, for logs */
  const char *ns;      /* namespace name = FRR pathspace */
  const char *logdir;  /* where <node>.<daemon>.log go */
  const char *daemons[LOOM_FRR_MAX_DAEMONS];
  size_t n_daemons;
  pid_t pids[LOOM_FRR_MAX_DAEMONS];
};

/**
 * loom_frr_start() - start a router's daemons and load its configuration.
 *
 * Starts every daemon in the node's namespace, waits (on inotify, bounded) until each
 * has its vty socket, then loads /etc/frr/<ns>/frr.conf with `vtysh -b`. On failure the
 * daemons started are stopped again.
 */
int loom_frr_start (struct loom_frr_node *fn, loom_error_t *err);

/* Stops a router's daemons (SIGTERM, then SIGKILL after a grace time) and reaps them. */
void loom_frr_stop (struct loom_frr_node *fn);

#endif
