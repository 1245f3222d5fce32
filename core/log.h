/* Logging: the library never prints. It calls the handler a front end sets (the CLI
 * prints to stderr, the GUI shows it in its log view). Safe to call from any thread. */
#ifndef LOOM_LOG_H
#define LOOM_LOG_H

enum loom_log_level
{
  LOOM_LOG_DEBUG,
  LOOM_LOG_INFO,
  LOOM_LOG_WARNING,
  LOOM_LOG_ERROR,
};

typedef void (*loom_log_fn) (enum loom_log_level level, const char *msg, void *data);

void loom_log_set_handler (loom_log_fn fn, void *data);
void loom_log (enum loom_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
