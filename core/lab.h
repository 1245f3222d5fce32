/* The deploy/destroy engine and the lab state it keeps — the public API that the CLI
 * and the GUI use. A deployed lab has a state directory, /run/netloom/<lab>/ (the root
 * can be moved with $NETLOOM_RUN_DIR), holding:
 *   journal     every kernel object and file, written before it is created;
 *   state.json  the resolved lab (nodes, namespaces, interfaces, addresses, links);
 *   lock        flock()ed by whoever deploys or destroys the lab.
 * and a lab directory next to the lab file, ./netloom-<lab>/, holding topology-data.json
 * and logs/. */
#ifndef LOOM_LAB_H
#define LOOM_LAB_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"
#include "topology/model.h"

#define LOOM_RUN_DIR_DEFAULT "/run/netloom"

/* The state root: $NETLOOM_RUN_DIR or /run/netloom. */
const char *loom_run_dir (void);

/* Namespace name of a node: "<prefix>-<lab>-<node>" ("<lab>-<node>" when prefix is
 * empty). Owned by the caller. */
char *loom_node_netns_name (const struct loom_lab *lab, const struct loom_node *node);

/**
 * loom_lab_check_supported() - report what this build cannot deploy.
 *
 * Adds one error per node whose kind needs support that is not there yet (container,
 * vm, nat), with the node's file:line:col. Returns the number of errors added.
 */
size_t loom_lab_check_supported (const struct loom_lab *lab, struct loom_diags *diags);

struct loom_deploy_opts
{
  int workers;     /* parallel workers; 0 = automatic */
  const char *exe; /* the netloom binary, for the supervisor; NULL: $NETLOOM_EXE or this
                    * program */
};

/**
 * loom_lab_deploy() - build a lab: namespaces, links, addresses, routes, exec.
 *
 * Every object is journaled before it is created; on any failure everything the deploy
 * created is removed again and *err says which step failed. Fails if a lab of that
 * name is deployed (or left behind by a crash: destroy it first).
 */
int loom_lab_deploy (const struct loom_lab *lab, const struct loom_deploy_opts *opts,
                     loom_error_t *err);

enum
{
  LOOM_DESTROY_CLEANUP = 1 << 0, /* also remove the lab directory (./netloom-<lab>/) */
};

/**
 * loom_lab_destroy() - remove exactly what the named lab created, from its journal.
 *
 * Works after a crash or kill -9 of a deploy. Never touches objects the journal does
 * not list. Errors if no lab of that name exists.
 */
int loom_lab_destroy (const char *name, unsigned flags, loom_error_t *err);

/**
 * loom_lab_cleanup_file() - remove the lab directory (./netloom-<lab>/, the captures
 * destroy kept) of a lab that is not deployed, found through its lab file.
 * @removed: receives the directory removed (owned by the caller), or NULL when there
 *           was none.
 */
int loom_lab_cleanup_file (const char *lab_file, char **removed, loom_error_t *err);

/* What a lab file says about where its lab keeps things (name, labdir, capture
 * settings, links with their capture directories) — for a lab that is not deployed
 * any more, whose captures are still there. */
json_t *loom_lab_state_from_file (const char *lab_file, loom_error_t *err);

/* Names of the labs that have state (deployed, or left by a crash); sorted. *names is a
 * NULL-terminated array owned by the caller (free each, then the array). */
int loom_lab_list (char ***names, loom_error_t *err);

/**
 * loom_lab_state_load() - the state of a deployed lab.
 *
 * Returns a new reference to the state.json object, with each node's "state" refreshed
 * from the system ("running" when its namespace exists, "missing" otherwise), the
 * top-level "status" ("running", "degraded", "deploying", "failed") and "supervisor"
 * ({"state": "running", "pid", "packets", ...} from asking it, or {"state": "not
 * running"}). NULL and *err when the lab does not exist.
 */
json_t *loom_lab_state_load (const char *name, loom_error_t *err);

/* Finds the lab (by name, or by the lab file it was deployed from) and returns its name.
 * Lets `destroy FILE` and `destroy NAME` both work. Owned by the caller. */
char *loom_lab_resolve (const char *name_or_file, loom_error_t *err);

/**
 * loom_node_spawn() - run a command inside a node of a deployed lab.
 * @argv: the command (execvp); NULL-terminated.
 *
 * The child shares our stdin, stdout and stderr (exec, shell).
 * The child enters the node's namespaces (network now; more for containers later),
 * gets its own mount namespace with /sys remounted for the node's network namespace, and
 * the node's env. Returns the child's pid, or -1 with *err.
 */
pid_t loom_node_spawn (const char *lab, const char *node, char *const argv[],
                       loom_error_t *err);

/**
 * loom_lab_supervisor_start() - start the supervisor of a deployed lab again (after
 * it died or was stopped). Fails if it is running. Returns its pid.
 */
pid_t loom_lab_supervisor_start (const char *name, const char *exe, loom_error_t *err);

/* Stops a lab's supervisor (the lab keeps running, without capture). */
int loom_lab_supervisor_stop (const char *name, loom_error_t *err);

/* Pulls (up = false) or puts back a link's cable: both ends go down or up. The link is
 * named by either end, "node:if". */
int loom_lab_link_set (const char *lab, const char *endpoint, bool up, loom_error_t *err);

/**
 * loom_lab_node_set() - stop or start a node.
 *
 * Stop ends the node's processes (its routing daemons, and what users started in it)
 * and takes its interfaces down. Start brings the interfaces up again with the same
 * links and addresses, puts its routes back and restarts its routing daemons.
 */
int loom_lab_node_set (const char *lab, const char *node, bool start, loom_error_t *err);

/**
 * loom_lab_impair_set() - change what a link end's egress suffers, at run time.
 * @args: "key=value" settings (delay=50ms loss=1% ...), merged into the end's current
 *        ones; none (n == 0) removes them all.
 *
 * Saved in the lab's state and applied by its supervisor.
 */
int loom_lab_impair_set (const char *lab, const char *endpoint, const char *const *args, size_t n,
                         loom_error_t *err);

/**
 * loom_lab_vm_control() - suspend, resume or reset a VM node (QMP stop, cont,
 * system_reset, through the lab's supervisor).
 * @action: "suspend", "resume" or "reset".
 */
int loom_lab_vm_control (const char *lab, const char *node, const char *action,
                         loom_error_t *err);

/* Connects to a VM node's serial console (the supervisor's console socket): bytes read
 * are what the guest prints, bytes written are its keyboard. Returns the fd. */
int loom_vm_console_open (const char *lab, const char *node, loom_error_t *err);

/* Waits for a child and returns its exit status as a shell would ($?: 128+signal when
 * killed). */
int loom_wait_status (pid_t pid);

#endif
