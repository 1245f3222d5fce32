/* The state journal: one line per object a lab creates, appended *before* the object
 * is created. Undoing it (after a failed deploy, or by destroy after a crash or kill -9)
 * removes exactly those objects, newest first, and nothing else.
 *
 * Lines: "netns <name>", "dir <absolute path>", "file <absolute path>", "tree <path>"
 * (removed with its contents), "data <path>" (kept by destroy, removed by destroy
 * --cleanup and by a failed deploy), "proc <pid>" (the supervisor), "cgroup <path>" (a
 * container's cgroup: what runs in it is killed, then it is removed). */
#ifndef LOOM_JOURNAL_H
#define LOOM_JOURNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "core/error.h"

struct loom_journal
{
  int fd;
  pthread_mutex_t lock;
};

int loom_journal_open (struct loom_journal *j, const char *path, loom_error_t *err);
void loom_journal_close (struct loom_journal *j);
/* Appends "<type> <arg>\n" in one write; safe from several threads. */
int loom_journal_add (struct loom_journal *j, const char *type, const char *arg,
                      loom_error_t *err);

/**
 * loom_journal_undo() - remove every object the journal at @path lists, newest first.
 *
 * Processes are stopped first (only if they still are @lab's supervisor: pids get
 * reused), then namespaces are removed in parallel. Missing objects are fine (already gone). Keeps
 * going past errors and returns the first. A missing journal is an empty one.
 */
int loom_journal_undo (const char *path, const char *lab, bool keep_data, int workers,
                       loom_error_t *err);

#endif
