/* Allocation, string and file helpers used across netloom. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "core/util.h"

void *
loom_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
loom_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
loom_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
loom_xstrdup (const char *s)
{
  char *p;
  if (s == NULL)
    return NULL;
  p = strdup (s);
  if (p == NULL)
    abort ();
  return p;
}

char *
loom_xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (p == NULL)
    abort ();
  return p;
}

char *
loom_xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

int
loom_write_file (const char *path, const char *data, size_t len, loom_error_t *err)
{
  loom_autoclose int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return loom_error_make (err, errno, "open %s", path);
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return loom_error_make (err, errno, "write %s", path);
        }
      data += w;
      len -= w;
    }
  return 0;
}

int
loom_read_file (const char *path, char **out, size_t *len, loom_error_t *err)
{
  loom_autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, n = 0;
  char *buf;

  if (fd < 0)
    return loom_error_make (err, errno, "open %s", path);
  buf = loom_xmalloc (cap);
  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        buf = loom_xrealloc (buf, cap *= 2);
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          free (buf);
          return loom_error_make (err, errno, "read %s", path);
        }
      if (r == 0)
        break;
      n += r;
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
loom_mkdir_p (const char *path, int mode, loom_error_t *err)
{
  loom_autofree char *p = loom_xstrdup (path);
  char *s;

  for (s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, mode) < 0 && errno != EEXIST)
          return loom_error_make (err, errno, "mkdir %s", p);
        *s = '/';
      }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return loom_error_make (err, errno, "mkdir %s", p);
  return 0;
}

static int
rm_rf_at (int at, const char *name, loom_error_t *err)
{
  struct stat st;
  if (fstatat (at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : loom_error_make (err, errno, "stat %s", name);
  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      DIR *d;
      struct dirent *de;
      if (fd < 0)
        return loom_error_make (err, errno, "open %s", name);
      d = fdopendir (fd);
      if (d == NULL)
        {
          close (fd);
          return loom_error_make (err, errno, "opendir %s", name);
        }
      while ((de = readdir (d)))
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          if (rm_rf_at (dirfd (d), de->d_name, err) < 0)
            {
              closedir (d);
              return -1;
            }
        }
      closedir (d);
      if (unlinkat (at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return loom_error_make (err, errno, "rmdir %s", name);
      return 0;
    }
  if (unlinkat (at, name, 0) < 0 && errno != ENOENT)
    return loom_error_make (err, errno, "unlink %s", name);
  return 0;
}

int
loom_rm_rf (const char *path, loom_error_t *err)
{
  return rm_rf_at (AT_FDCWD, path, err);
}

int
loom_lock_file (const char *path, bool create, loom_error_t *err)
{
  int fd = open (path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);

  if (fd < 0)
    return loom_error_make (err, errno, "open %s", path);
  if (flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      close (fd);
      return loom_error_make (err, e, "lock %s", path);
    }
  return fd;
}

double
loom_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
