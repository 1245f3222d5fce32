/* The error contract (see error.h): one allocation per error, context prepended. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/util.h"

int
loom_error_make (loom_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || *err != NULL)
    return -1;
  *err = loom_xcalloc (1, sizeof (**err));
  (*err)->status = status;
  va_start (ap, fmt);
  if (vasprintf (&(*err)->msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return -1;
}

int
loom_error_wrap (loom_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *joined;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    abort ();
  va_end (ap);
  joined = loom_xasprintf ("%s: %s", ctx, (*err)->msg);
  free (ctx);
  free ((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

void
loom_error_release (loom_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
loom_error_move (loom_error_t *dst, loom_error_t *src)
{
  loom_error_release (dst);
  *dst = *src;
  *src = NULL;
}

char *
loom_error_text (const loom_error_t err)
{
  if (err == NULL)
    return loom_xstrdup ("unknown error");
  if (err->status)
    return loom_xasprintf ("%s: %s", err->msg, strerror (err->status));
  return loom_xstrdup (err->msg);
}
