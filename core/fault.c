/* Test-only fault injection (see fault.h). */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/fault.h"

static atomic_int counter;
static int fault_at;
static int crash;

void
loom_fault_reset (void)
{
  const char *at = getenv ("NETLOOM_FAULT_STEP");
  const char *c = getenv ("NETLOOM_FAULT_CRASH");

  fault_at = at ? atoi (at) : 0;
  crash = c && *c && *c != '0';
  atomic_store (&counter, 0);
}

int
loom_fault_check (const char *what, loom_error_t *err)
{
  int n = atomic_fetch_add (&counter, 1) + 1;

  if (fault_at <= 0 || n != fault_at)
    return 0;
  if (crash)
    kill (getpid (), SIGKILL);
  return loom_error_make (err, 0, "injected fault at step %d (%s)", n, what);
}

int
loom_fault_steps (void)
{
  return atomic_load (&counter);
}
