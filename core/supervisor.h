/* The per-lab supervisor: one background process per deployed lab that owns what must
 * keep running after the CLI exits — today the capture of every link. It is the
 * `netloom supervise` command, started by deploy (or `netloom supervisor LAB start`),
 * stopped by destroy, and answers a small JSON protocol on
 * /run/netloom/<lab>/supervisor.sock: one request object per line, one response
 * object per line ({"cmd": "status"}, {"cmd": "captures"}, {"cmd": "stop"}). */
#ifndef LOOM_SUPERVISOR_H
#define LOOM_SUPERVISOR_H

#include <jansson.h>
#include <sys/types.h>

#include "core/error.h"

/* Runs the supervisor of a deployed lab until it is stopped (SIGTERM, "stop", or the
 * lab's state directory disappearing). Writes "ok\n" to ready_fd (then closes it) once
 * every capture is in place, or "error: ...\n" when it cannot start. Returns the
 * process exit status. */
int loom_supervisor_run (const char *lab, int ready_fd);

/**
 * loom_supervisor_spawn() - start the supervisor of a lab and wait until it is ready.
 * @exe: the netloom binary (NULL: $NETLOOM_EXE, else this program).
 * @journal_fd: the lab's journal; the supervisor records its own pid there before it
 *              does anything else, so destroy finds it even if we die right now.
 * @log_path: where its stdout and stderr go.
 *
 * The supervisor is detached (its own session, not our child). Returns its pid.
 */
pid_t loom_supervisor_spawn (const char *lab, const char *exe, int journal_fd,
                             const char *log_path, loom_error_t *err);

/* Sends one request to a lab's supervisor and returns its response (new reference).
 * Fails quickly when the supervisor is not running. */
json_t *loom_supervisor_call (const char *lab, json_t *request, loom_error_t *err);
/* The same with a bound of its own, for requests that take long ("start-routers"). */
json_t *loom_supervisor_call_timeout (const char *lab, json_t *request, int timeout_ms,
                                      loom_error_t *err);

/* Stops the process recorded as a lab's supervisor: checks that pid really is that
 * lab's supervisor, sends SIGTERM, waits for it to exit (SIGKILL after a grace time). */
int loom_supervisor_kill (const char *lab, pid_t pid, loom_error_t *err);

#endif
