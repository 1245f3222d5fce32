/* Text forms of link impairments (see impair.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topology/impair.h"

bool
loom_impair_is_none (const struct loom_impair *im)
{
  return im->delay_ns == 0 && im->jitter_ns == 0 && im->loss == 0 && im->duplicate == 0
         && im->corrupt == 0 && im->reorder == 0 && im->rate_bps == 0;
}

/* A number with a unit suffix; returns the suffix. */
static const char *
number (const char *s, double *v)
{
  char *end;
  *v = strtod (s, &end);
  if (end == s || !isfinite (*v) || *v < 0)
    return NULL;
  return end;
}

static int
duration (const char *s, uint64_t *ns)
{
  double v;
  const char *u = number (s, &v);

  if (u == NULL)
    return -1;
  if (strcmp (u, "s") == 0)
    v *= 1e9;
  else if (strcmp (u, "ms") == 0 || *u == '\0')
    v *= 1e6;
  else if (strcmp (u, "us") == 0)
    v *= 1e3;
  else if (strcmp (u, "ns") != 0)
    return -1;
  if (v > 60e9)
    return -1;
  *ns = (uint64_t) (v + 0.5);
  return 0;
}

static int
percent (const char *s, uint32_t *ppm)
{
  double v;
  const char *u = number (s, &v);

  if (u == NULL || (*u != '\0' && strcmp (u, "%") != 0) || v > 100)
    return -1;
  *ppm = (uint32_t) (v * 10000 + 0.5);
  return 0;
}

static int
rate (const char *s, uint64_t *bps)
{
  static const struct
  {
    const char *unit;
    double mult;
  } units[] = {
    { "bit", 1 },   { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
    { "bps", 8 },   { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 },
  };
  double v;
  const char *u = number (s, &v);
  size_t i;

  if (u == NULL)
    return -1;
  for (i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcasecmp (u, units[i].unit) == 0)
      {
        v *= units[i].mult;
        if (v < 8 || v > 1e12)
          return -1;
        *bps = (uint64_t) (v + 0.5);
        return 0;
      }
  return -1;
}

int
loom_impair_set (struct loom_impair *im, const char *key, const char *value, const char **why)
{
  int r;

  if (strcmp (key, "delay") == 0 || strcmp (key, "jitter") == 0)
    {
      r = duration (value, strcmp (key, "delay") == 0 ? &im->delay_ns : &im->jitter_ns);
      *why = "a duration like 50ms, 1.5s or 200us (at most 60s)";
    }
  else if (strcmp (key, "loss") == 0)
    r = percent (value, &im->loss), *why = "a percentage like 1% or 0.5%";
  else if (strcmp (key, "duplicate") == 0)
    r = percent (value, &im->duplicate), *why = "a percentage like 1% or 0.5%";
  else if (strcmp (key, "corrupt") == 0)
    r = percent (value, &im->corrupt), *why = "a percentage like 1% or 0.5%";
  else if (strcmp (key, "reorder") == 0)
    r = percent (value, &im->reorder), *why = "a percentage like 1% or 0.5%";
  else if (strcmp (key, "rate") == 0)
    r = rate (value, &im->rate_bps), *why = "a rate like 10mbit, 1gbit or 500kbit";
  else
    {
      *why = "one of delay, jitter, loss, duplicate, corrupt, reorder, rate";
      return -1;
    }
  return r;
}

int
loom_impair_parse (struct loom_impair *im, const char *const *args, size_t n, const char **why,
                   const char **bad_arg)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      char key[32];
      const char *eq = strchr (args[i], '=');
      size_t klen = eq ? (size_t) (eq - args[i]) : 0;

      *bad_arg = args[i];
      if (eq == NULL || klen == 0 || klen >= sizeof key)
        {
          *why = "key=value, e.g. delay=50ms";
          return -1;
        }
      memcpy (key, args[i], klen);
      key[klen] = '\0';
      if (loom_impair_set (im, key, eq + 1, why) < 0)
        return -1;
    }
  return 0;
}

/* Appends " key=<v><unit>" (no space before the first). */
static void
append (char *out, size_t len, const char *key, double v, const char *unit)
{
  size_t used = strlen (out);
  if (used >= len)
    return;
  snprintf (out + used, len - used, "%s%s=%g%s", used ? " " : "", key, v, unit);
}

void
loom_impair_format (const struct loom_impair *im, char *out, size_t len)
{
  if (len == 0)
    return;
  out[0] = '\0';
  if (im->delay_ns)
    append (out, len, "delay", im->delay_ns / 1e6, "ms");
  if (im->jitter_ns)
    append (out, len, "jitter", im->jitter_ns / 1e6, "ms");
  if (im->loss)
    append (out, len, "loss", im->loss / 1e4, "%");
  if (im->duplicate)
    append (out, len, "duplicate", im->duplicate / 1e4, "%");
  if (im->corrupt)
    append (out, len, "corrupt", im->corrupt / 1e4, "%");
  if (im->reorder)
    append (out, len, "reorder", im->reorder / 1e4, "%");
  if (im->rate_bps)
    append (out, len, "rate", im->rate_bps / 1e3, "kbit");
  if (out[0] == '\0')
    snprintf (out, len, "none");
}
