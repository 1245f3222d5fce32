/* The fork-join pool behind parallel deploy and destroy. Items are handed out through
 * one atomic counter; the first error stops the hand-out. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core/nl.h"
#include "core/parallel.h"
#include "core/util.h"

struct pool
{
  size_t n;
  atomic_size_t next;
  atomic_bool failed;
  loom_task_fn fn;
  void *ctx;
  pthread_mutex_t lock;
  loom_error_t first_err;
};

int
loom_parallel_default_workers (void)
{
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  /* Most of a worker's time is spent waiting on the kernel (RTNL, RCU), so a few more
   * workers than cores keeps the cores busy. */
  if (cpus < 1)
    cpus = 1;
  return cpus * 2 > 16 ? 16 : (int) cpus * 2;
}

struct nl_sock *
loom_worker_host_sock (struct loom_worker *w, loom_error_t *err)
{
  if (w->host_sk == NULL)
    w->host_sk = loom_nl_open (err);
  return w->host_sk;
}

static void *
worker_main (void *arg)
{
  struct pool *p = arg;
  struct loom_worker w = { 0 };

  while (!atomic_load (&p->failed))
    {
      loom_error_t err = NULL;
      size_t i = atomic_fetch_add (&p->next, 1);

      if (i >= p->n)
        break;
      if (p->fn (p->ctx, i, &w, &err) < 0)
        {
          pthread_mutex_lock (&p->lock);
          if (p->first_err == NULL)
            {
              if (err == NULL)
                loom_error_make (&err, 0, "task %zu failed", i);
              loom_error_move (&p->first_err, &err);
            }
          pthread_mutex_unlock (&p->lock);
          loom_error_release (&err);
          atomic_store (&p->failed, true);
        }
    }
  if (w.host_sk)
    loom_nl_close (w.host_sk);
  return NULL;
}

int
loom_parallel (size_t n, int workers, loom_task_fn fn, void *ctx, loom_error_t *err)
{
  struct pool p = { .n = n, .fn = fn, .ctx = ctx, .lock = PTHREAD_MUTEX_INITIALIZER };
  pthread_t *threads;
  int i, started = 0;

  if (n == 0)
    return 0;
  if (workers <= 0)
    workers = loom_parallel_default_workers ();
  if ((size_t) workers > n)
    workers = (int) n;
  atomic_init (&p.next, 0);
  atomic_init (&p.failed, false);
  threads = loom_xcalloc (workers, sizeof *threads);
  for (i = 0; i < workers; i++)
    if (pthread_create (&threads[i], NULL, worker_main, &p) == 0)
      started++;
    else
      break;
  if (started == 0)
    {
      free (threads);
      return loom_error_make (err, EAGAIN, "start worker threads");
    }
  for (i = 0; i < started; i++)
    pthread_join (threads[i], NULL);
  free (threads);
  if (p.first_err)
    {
      loom_error_move (err, &p.first_err);
      return -1;
    }
  return 0;
}
