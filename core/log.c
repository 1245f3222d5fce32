/* The log handler the front end installs; messages are formatted here once. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

static loom_log_fn handler;
static void *handler_data;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
loom_log_set_handler (loom_log_fn fn, void *data)
{
  pthread_mutex_lock (&log_lock);
  handler = fn;
  handler_data = data;
  pthread_mutex_unlock (&log_lock);
}

void
loom_log (enum loom_log_level level, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  if (handler == NULL)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  pthread_mutex_lock (&log_lock);
  if (handler)
    handler (level, msg, handler_data);
  pthread_mutex_unlock (&log_lock);
  free (msg);
}
