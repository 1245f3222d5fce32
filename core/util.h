/* Small helpers shared by every part of netloom: allocation that aborts on failure,
 * cleanup attributes, string building and file helpers. */
#ifndef LOOM_UTIL_H
#define LOOM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"

void *loom_xmalloc (size_t n);
void *loom_xcalloc (size_t n, size_t size);
void *loom_xrealloc (void *p, size_t n);
char *loom_xstrdup (const char *s);
char *loom_xstrndup (const char *s, size_t n);
char *loom_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Appends one element to a growable array: LOOM_PUSH (arr, n, value). */
#define LOOM_PUSH(arr, n, value)                                                              \
  do                                                                                          \
    {                                                                                         \
      (arr) = loom_xrealloc ((arr), sizeof (*(arr)) * ((n) + 1));                             \
      (arr)[(n)++] = (value);                                                                 \
    }                                                                                         \
  while (0)

static inline void
loom_freep (void *p)
{
  free (*(void **) p);
}
static inline void
loom_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void
loom_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}
#define loom_autofree __attribute__ ((cleanup (loom_freep)))
#define loom_autoclose __attribute__ ((cleanup (loom_closep)))
#define loom_autofclose __attribute__ ((cleanup (loom_fclosep)))

/* Steals a pointer: returns *pp and sets it to NULL. */
#define loom_steal(pp)                                                                        \
  ({                                                                                          \
    __typeof__ (*(pp)) _v = *(pp);                                                            \
    *(pp) = NULL;                                                                             \
    _v;                                                                                       \
  })

/* Writes data to path (created 0644, truncated). */
int loom_write_file (const char *path, const char *data, size_t len, loom_error_t *err);
/* Reads a whole file; *out is NUL-terminated and owned by the caller. */
int loom_read_file (const char *path, char **out, size_t *len, loom_error_t *err);
/* mkdir -p with mode; existing directories are fine. */
int loom_mkdir_p (const char *path, int mode, loom_error_t *err);
/* Removes a tree (no symlink following). Missing is fine. */
int loom_rm_rf (const char *path, loom_error_t *err);
/* Opens @path (creating it 0644 when @create) and takes an exclusive flock on it, waiting
 * for whoever holds it. Returns the fd, owned by the caller (closing it unlocks), or -1. */
int loom_lock_file (const char *path, bool create, loom_error_t *err);
/* Monotonic time in seconds. */
double loom_now (void);

#endif
