/* A tiny fork-join pool: run fn over n items on worker threads. Workers are threads of
 * their own so they may move between network namespaces (setns and unshare act on one
 * thread) without disturbing the caller. */
#ifndef LOOM_PARALLEL_H
#define LOOM_PARALLEL_H

#include <stddef.h>

#include "core/error.h"

struct nl_sock;

struct loom_worker
{
  /* A netlink socket in the caller's namespace, opened on first use by
   * loom_worker_host_sock() and closed when the worker ends. */
  struct nl_sock *host_sk;
};

typedef int (*loom_task_fn) (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err);

/* Default number of workers for kernel work on this machine. */
int loom_parallel_default_workers (void);

/**
 * loom_parallel() - run fn(ctx, i) for i in [0, n) on up to @workers threads.
 *
 * Stops handing out items after the first failure, waits for the items already running
 * and returns -1 with that first error. Returns 0 when every item succeeded.
 */
int loom_parallel (size_t n, int workers, loom_task_fn fn, void *ctx, loom_error_t *err);

struct nl_sock *loom_worker_host_sock (struct loom_worker *w, loom_error_t *err);

#endif
