/* fork + setns + exec, with the child's failures reported back through a pipe so the
 * caller gets a real error instead of an exit status 127. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/spawn.h"
#include "core/util.h"

extern char **environ;

pid_t
loom_spawn_in_ns (const struct loom_spawn *s, loom_error_t *err)
{
  int status_pipe[2];
  pid_t pid;
  int child_errno = 0;
  ssize_t r;

  if (pipe2 (status_pipe, O_CLOEXEC) < 0)
    return loom_error_make (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (status_pipe[0]);
      close (status_pipe[1]);
      return loom_error_make (err, e, "fork");
    }
  if (pid == 0)
    {
      /* Child: only async-signal-safe calls from here on. */
      int e;
      close (status_pipe[0]);
      if (setns (s->nsfd, CLONE_NEWNET) < 0)
        goto fail;
      if (unshare (CLONE_NEWNS) == 0 && mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) == 0)
        {
          size_t b;
          if (umount2 ("/sys", MNT_DETACH) == 0)
            mount ("sysfs", "/sys", "sysfs", 0, NULL);
          for (b = 0; s->binds && s->binds[b] && s->binds[b + 1]; b += 2)
            mount (s->binds[b], s->binds[b + 1], NULL, MS_BIND, NULL);
        }
      if (s->stdin_fd >= 0 && dup2 (s->stdin_fd, 0) < 0)
        goto fail;
      if (s->stdout_fd >= 0 && dup2 (s->stdout_fd, 1) < 0)
        goto fail;
      if (s->stderr_fd >= 0 && dup2 (s->stderr_fd, 2) < 0)
        goto fail;
      execvpe (s->argv[0], s->argv, s->envp ? s->envp : environ);
    fail:
      e = errno;
      (void) !write (status_pipe[1], &e, sizeof e);
      _exit (127);
    }
  close (status_pipe[1]);
  do
    r = read (status_pipe[0], &child_errno, sizeof child_errno);
  while (r < 0 && errno == EINTR);
  close (status_pipe[0]);
  if (r == sizeof child_errno)
    {
      waitpid (pid, NULL, 0);
      return loom_error_make (err, child_errno, "cannot run '%s'", s->argv[0]);
    }
  return pid;
}

int
loom_wait_status (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return 127;
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 127;
}

char **
loom_env_merge (char *const *keys, char *const *values, size_t n)
{
  size_t count = 0, out = 0, i, k;
  char **env;

  while (environ[count])
    count++;
  env = loom_xcalloc (count + n + 1, sizeof *env);
  for (i = 0; i < count; i++)
    {
      bool overridden = false;
      for (k = 0; k < n && !overridden; k++)
        {
          size_t len = strlen (keys[k]);
          overridden = strncmp (environ[i], keys[k], len) == 0 && environ[i][len] == '=';
        }
      if (!overridden)
        env[out++] = loom_xstrdup (environ[i]);
    }
  for (k = 0; k < n; k++)
    env[out++] = loom_xasprintf ("%s=%s", keys[k], values[k]);
  env[out] = NULL;
  return env;
}

void
loom_strv_free (char **v)
{
  size_t i;
  if (v == NULL)
    return;
  for (i = 0; v[i]; i++)
    free (v[i]);
  free (v);
}
