/* Test-only fault injection. With NETLOOM_FAULT_STEP=N in the environment, the N-th
 * step of a deploy (every namespace, netlink request, sysctl, file and exec counts as
 * one) fails with an "injected fault" error, or, with NETLOOM_FAULT_CRASH=1, kills the
 * process with SIGKILL right there. Tests use it to prove that rollback and destroy
 * leave nothing behind whatever step goes wrong. Unset, it costs one branch. */
#ifndef LOOM_FAULT_H
#define LOOM_FAULT_H

#include "core/error.h"

/* Reads the environment and resets the step counter (called when a deploy starts). */
void loom_fault_reset (void);
/* Counts one step; fails it when it is the chosen one. */
int loom_fault_check (const char *what, loom_error_t *err);
/* Steps counted since the last reset. */
int loom_fault_steps (void);

#endif
