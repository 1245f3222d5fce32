/* Errors in netloom: a fallible function takes `loom_error_t *err` last and returns a
 * negative int (or NULL). On failure it fills *err with an errno and a message; callers
 * add context on the way up with loom_error_wrap() and the front end prints it once. */
#ifndef LOOM_ERROR_H
#define LOOM_ERROR_H

#include <stdarg.h>

struct loom_error_s
{
  int status; /* errno value, 0 when there is none */
  char *msg;
};
typedef struct loom_error_s *loom_error_t;

/* Fills *err (if err and *err is empty) and returns -1. */
int loom_error_make (loom_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Prefixes the message in *err with context ("context: old message"). Returns -1. */
int loom_error_wrap (loom_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Frees *err and sets it to NULL. */
void loom_error_release (loom_error_t *err);
/* Moves *src into *dst (freeing what dst had). */
void loom_error_move (loom_error_t *dst, loom_error_t *src);
/* Text of the error: the message, plus ": strerror(status)" when status is set. The
 * returned string is owned by the caller. */
char *loom_error_text (const loom_error_t err);

#endif
