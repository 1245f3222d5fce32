/* Running programs inside a node: fork, enter the node's namespaces, exec. Used for the
 * lab file's exec: commands and for `netloom exec` / `shell`. */
#ifndef LOOM_SPAWN_H
#define LOOM_SPAWN_H

#include <sys/types.h>

#include "core/error.h"

struct loom_spawn
{
  int nsfd;            /* network namespace to enter */
  char *const *argv;   /* execvp-style, NULL-terminated */
  char *const *envp;   /* full environment; NULL: inherit */
  int stdin_fd;        /* -1: inherit */
  int stdout_fd;       /* -1: inherit */
  int stderr_fd;       /* -1: inherit */
  /* Bind mounts made in the child's own mount namespace: {source, target} pairs,
   * ended by NULL (e.g. a router's /var/run/frr/<ns> on /var/run/frr, so plain
   * `vtysh` finds the node's daemons). NULL: none. */
  char *const *binds;
};

/**
 * loom_spawn_in_ns() - start argv inside a network namespace.
 *
 * The child gets its own mount namespace with /sys remounted, so tools that read
 * /sys/class/net see the node's interfaces (as `ip netns exec` does). Returns the pid,
 * or -1 with *err when the program could not be started (not found, ...).
 */
pid_t loom_spawn_in_ns (const struct loom_spawn *s, loom_error_t *err);

/* Builds an environment: ours plus the given KEY=VALUE pairs (overriding). The array
 * and its strings are owned by the caller (loom_strv_free). */
char **loom_env_merge (char *const *extra_keys, char *const *extra_values, size_t n);
void loom_strv_free (char **v);

#endif
