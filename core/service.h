/* Services of the lab supervisor: the parts of a lab that keep running (container init
 * processes, QEMU guests, the NAT node's slirp, published-port proxies). Each is one
 * const struct loom_service in an explicit table in core/supervisor.c; a service keeps
 * its own state behind a private pointer and hooks its file descriptors and children
 * into the supervisor's one epoll loop with the calls below. Nothing here blocks: a
 * service waits for events, never sleeps. */
#ifndef LOOM_SERVICE_H
#define LOOM_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct loom_sup; /* the supervisor (core/supervisor.c) */

typedef void (*loom_sup_fd_fn) (struct loom_sup *s, void *ctx, int fd, uint32_t events);
typedef void (*loom_sup_exit_fn) (struct loom_sup *s, void *ctx, pid_t pid, int status);

/* Calls @fn when @fd has @events (EPOLLIN ...). Re-adding an fd changes its events. */
int loom_sup_watch (struct loom_sup *s, int fd, uint32_t events, loom_sup_fd_fn fn, void *ctx,
                    loom_error_t *err);
/* Stops watching @fd (does not close it). Safe to call from the fd's own callback. */
void loom_sup_unwatch (struct loom_sup *s, int fd);
/* Calls @fn once when child @pid exits (status as waitpid gives it). */
void loom_sup_child (struct loom_sup *s, pid_t pid, loom_sup_exit_fn fn, void *ctx);

/* The lab's state (state.json as deployed, borrowed; replaced when the CLI changes the
 * lab, so copy what must outlive a callback). */
json_t *loom_sup_state (struct loom_sup *s);
const char *loom_sup_lab (struct loom_sup *s);
const char *loom_sup_statedir (struct loom_sup *s); /* /run/netloom/<lab> */
const char *loom_sup_labdir (struct loom_sup *s);   /* ./netloom-<lab> next to the lab file */
/* Appends "<type> <arg>" to the lab's journal before the service creates the object,
 * so destroy removes it even after kill -9 of the supervisor. */
int loom_sup_journal (struct loom_sup *s, const char *type, const char *arg, loom_error_t *err);
/* A line in the supervisor's log (logs/supervisor.log). */
void loom_sup_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

struct loom_service
{
  const char *name;
  /* Starts what the lab's state asks of this service: at deploy ("start-nodes", once
   * the nodes' addresses are in place) or when the supervisor starts on a running lab.
   * *priv is the service's own (NULL before). An error fails the deploy, which rolls
   * back. */
  int (*start) (struct loom_sup *s, void **priv, loom_error_t *err);
  /* Stops everything the service started (the supervisor is stopping). */
  void (*stop) (struct loom_sup *s, void *priv);
  /* Answers a request ({"cmd": ...}) that is this service's; returns NULL when @cmd is
   * not. Only root reaches it unless @privileged is false and the service allows. */
  json_t *(*handle) (struct loom_sup *s, void *priv, const char *cmd, json_t *req,
                     bool privileged);
  /* A node is stopped or started (`netloom node LAB NODE stop|start`); 0 when the node
   * is not this service's. */
  int (*node_set) (struct loom_sup *s, void *priv, const char *node, bool start,
                   loom_error_t *err);
  /* Adds the service's part to the "status" answer (e.g. per-node process state). */
  void (*status) (struct loom_sup *s, void *priv, json_t *out);
};

#endif
