/* Shared by the unit tests: where the fixtures in tests/unit/data are. */
#ifndef LOOM_TESTDATA_H
#define LOOM_TESTDATA_H

#include <check.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* tests/unit/data/<name>, found from the working directory (make runs from the top) or
 * from the test binary's path (build/tests/unit/test_*). Owned by the caller. */
static inline char *
data_path (const char *name)
{
  char exe[PATH_MAX];
  ssize_t n;
  char *dir, *p;
  int up;

  if (access ("tests/unit/data", R_OK) == 0)
    return loom_xasprintf ("tests/unit/data/%s", name);
  n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  ck_assert_int_gt (n, 0);
  exe[n] = '\0';
  dir = loom_xstrdup (exe);
  for (up = 0; up < 4 && (p = strrchr (dir, '/')); up++)
    *p = '\0';
  p = loom_xasprintf ("%s/tests/unit/data/%s", dir, name);
  free (dir);
  return p;
}

#endif
