/* The container runtime: `kind: container` (containerlab's `linux`) nodes without an
 * engine. The lab supervisor starts one init process per container (the service
 * loom_service_containers): it joins the node's network namespace and gets PID, mount,
 * UTS, IPC and cgroup namespaces of its own, an overlay root file system (image layers
 * or a `rootfs:` directory below, a per-node upper directory in the lab's state
 * directory), binds, volumes, /etc/hosts, and memory/CPU limits in a cgroup (v2, or the
 * v1 memory and cpu hierarchies). Everything is mounted inside the container's own mount
 * namespace, so the host never sees a mount and nothing is left when it dies.
 *
 * The supervisor writes <statedir>/containers/<node>/init.json while a container runs
 * (its init's pid, environment, working directory, user, cgroups); exec and shell use it
 * to enter every namespace of the container. */
#ifndef LOOM_CONTAINER_H
#define LOOM_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

/* Per-container directory under the lab's state directory. Owned by the caller. */
char *loom_container_dir (const char *statedir, const char *node);

/* A command to run inside a running container (exec, shell, the lab file's exec:). */
struct loom_container_exec
{
  char *const *argv;      /* execvp-style, NULL-terminated; looked up on the container's PATH */
  char *const *extra_env; /* "KEY=VALUE" added to the container's env; NULL: none */
  int stdin_fd, stdout_fd, stderr_fd; /* -1: inherit */
};

/**
 * loom_container_spawn() - run a command inside every namespace of a running container.
 * @statedir: the lab's state directory; @node: the container node.
 *
 * The child joins the container's cgroups, enters its network, mount, PID, UTS, IPC and
 * cgroup namespaces (through a pidfd of its init), forks so the PID namespace applies,
 * takes the container's environment, working directory and user, and runs argv. The
 * pid returned is a helper that exits with the command's status (or dies of its
 * signal); wait for it with loom_wait_status(). -1 with *err when the container is not
 * running or the command cannot be started.
 */
pid_t loom_container_spawn (const char *statedir, const char *node,
                            const struct loom_container_exec *x, loom_error_t *err);

/**
 * loom_cgroup_kill_rmdir() - kill every process of a cgroup directory and remove it.
 *
 * cgroup.kill where the kernel has it, else SIGKILL to each pid in cgroup.procs, waiting
 * (bounded, on pidfds) until they are gone. A missing directory is fine. Used by the
 * journal's undo ("cgroup <path>" lines) and by the runtime.
 */
int loom_cgroup_kill_rmdir (const char *path, loom_error_t *err);

/* A human line about a container's status object (the supervisor's "containers"
 * entry): "exited 137 — killed: out of memory (limit 32 MiB)". Owned by the caller. */
char *loom_container_describe (json_t *status);

#endif
