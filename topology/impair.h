/* Link impairments: what a link does to the frames one of its ends sends — delay,
 * jitter, loss, duplication, corruption, reordering and a rate limit, as netem and tbf
 * would. Pure data and its text forms ("delay=50ms loss=1%"), shared by the lab-file
 * parser and the `netloom link ... set` command. */
#ifndef LOOM_TOPOLOGY_IMPAIR_H
#define LOOM_TOPOLOGY_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loom_impair
{
  uint64_t delay_ns;  /* added to every frame */
  uint64_t jitter_ns; /* uniformly random in [-jitter, +jitter] around the delay */
  uint32_t loss;      /* parts per million of frames dropped */
  uint32_t duplicate; /* ppm of frames sent twice */
  uint32_t corrupt;   /* ppm of frames with one bit flipped */
  uint32_t reorder;   /* ppm of frames sent at once, ahead of delayed ones */
  uint64_t rate_bps;  /* bits per second; 0: no limit */
};

/* True when nothing is set (the link is a plain wire). */
bool loom_impair_is_none (const struct loom_impair *im);

/**
 * loom_impair_set() - set one parameter from its text form.
 * @key: delay, jitter, loss, duplicate, corrupt, reorder or rate.
 * @value: a duration ("50ms", "1.5s", "200us"), a percentage ("1%", "0.5%", "30"), or a
 *         rate ("10mbit", "1gbit", "500kbit", "100bit", "12mbps" = 12 MB/s).
 * @why: on failure, what was expected (a static string).
 *
 * Returns 0, or -1 for an unknown key or a bad value.
 */
int loom_impair_set (struct loom_impair *im, const char *key, const char *value, const char **why);

/* Parses "key=value key=value ..." (as on the command line). */
int loom_impair_parse (struct loom_impair *im, const char *const *args, size_t n, const char **why,
                       const char **bad_arg);

/* Formats the parameters that are set ("delay=50ms loss=1%"); "none" when none are.
 * Writes at most len bytes (NUL-terminated). */
void loom_impair_format (const struct loom_impair *im, char *out, size_t len);

#endif
