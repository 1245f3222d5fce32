/* The state journal (see journal.h): append-only lines, undone newest first. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/container.h"
#include "core/journal.h"
#include "core/netns.h"
#include "core/parallel.h"
#include "core/supervisor.h"
#include "core/util.h"

int
loom_journal_open (struct loom_journal *j, const char *path, loom_error_t *err)
{
  j->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (j->fd < 0)
    return loom_error_make (err, errno, "open journal %s", path);
  pthread_mutex_init (&j->lock, NULL);
  return 0;
}

void
loom_journal_close (struct loom_journal *j)
{
  if (j->fd >= 0)
    {
      close (j->fd);
      pthread_mutex_destroy (&j->lock);
    }
  j->fd = -1;
}

int
loom_journal_add (struct loom_journal *j, const char *type, const char *arg, loom_error_t *err)
{
  loom_autofree char *line = loom_xasprintf ("%s %s\n", type, arg);
  size_t len = strlen (line);
  ssize_t w;

  if (strchr (arg, '\n'))
    return loom_error_make (err, EINVAL, "journal: newline in '%s'", arg);
  pthread_mutex_lock (&j->lock);
  w = write (j->fd, line, len);
  pthread_mutex_unlock (&j->lock);
  if (w != (ssize_t) len)
    return loom_error_make (err, w < 0 ? errno : EIO, "write journal");
  return 0;
}

struct undo_ns
{
  char **names;
  bool *claim_only;   /* only claimed: the name may never have become ours */
  loom_error_t *errs; /* per name: undo keeps going past a failure */
};

static int
undo_ns_task (void *ctx, size_t i, struct loom_worker *w, loom_error_t *err)
{
  struct undo_ns *u = ctx;
  loom_netns_remove (u->names[i], u->claim_only[i], &u->errs[i]);
  return 0;
}

/* True when a line "netns <name>" follows index i (the claim succeeded). */
static bool
claim_confirmed (char **lines, size_t n, size_t i)
{
  const char *name = lines[i] + 6;
  size_t k;
  for (k = i + 1; k < n; k++)
    if (strncmp (lines[k], "netns ", 6) == 0 && strcmp (lines[k] + 6, name) == 0)
      return true;
  return false;
}

int
loom_journal_undo (const char *path, const char *lab, bool keep_data, int workers,
                   loom_error_t *err)
{
  loom_autofree char *data = NULL;
  loom_error_t first = NULL, e = NULL;
  char **lines = NULL, *save = NULL, *line;
  size_t n = 0, i;
  struct undo_ns u = { NULL };
  size_t n_ns = 0;

  if (loom_read_file (path, &data, NULL, &e) < 0)
    {
      bool missing = e->status == ENOENT;
      if (missing)
        {
          loom_error_release (&e);
          return 0;
        }
      loom_error_move (err, &e);
      return -1;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    LOOM_PUSH (lines, n, line);

  /* Processes first, so that they let go of what they hold (capture files). */
  for (i = n; i-- > 0;)
    if (strncmp (lines[i], "proc ", 5) == 0
        && loom_supervisor_kill (lab, (pid_t) atol (lines[i] + 5), &e) < 0)
      {
        if (first == NULL)
          loom_error_move (&first, &e);
        loom_error_release (&e);
      }

  /* Then the containers' cgroups: whatever still runs in them is killed (a supervisor
   * killed with -9 takes its containers' inits along, but not at once), and the
   * directories go. */
  for (i = n; i-- > 0;)
    if (strncmp (lines[i], "cgroup ", 7) == 0 && loom_cgroup_kill_rmdir (lines[i] + 7, &e) < 0)
      {
        if (first == NULL)
          loom_error_move (&first, &e);
        loom_error_release (&e);
      }

  /* Then namespaces, all at once: removing a namespace removes every link end in it,
   * far cheaper than deleting links one by one. Then files and directories, newest
   * first, so a directory is empty by the time its turn comes. */
  for (i = n; i-- > 0;)
    if (strncmp (lines[i], "netns ", 6) == 0
        || (strncmp (lines[i], "claim ", 6) == 0 && !claim_confirmed (lines, n, i)))
      {
        bool only = lines[i][0] == 'c';
        size_t before = n_ns;
        LOOM_PUSH (u.names, n_ns, lines[i] + 6);
        LOOM_PUSH (u.claim_only, before, only);
      }
  u.errs = loom_xcalloc (n_ns + 1, sizeof *u.errs);
  if (loom_parallel (n_ns, workers, undo_ns_task, &u, &e) < 0)
    loom_error_move (&first, &e);
  for (i = 0; i < n_ns; i++)
    {
      if (u.errs[i] && first == NULL)
        loom_error_move (&first, &u.errs[i]);
      loom_error_release (&u.errs[i]);
    }
  free (u.errs);

  for (i = n; i-- > 0;)
    {
      if (strncmp (lines[i], "file ", 5) == 0)
        {
          if (unlink (lines[i] + 5) < 0 && errno != ENOENT && first == NULL)
            loom_error_make (&first, errno, "remove %s", lines[i] + 5);
        }
      else if (strncmp (lines[i], "tree ", 5) == 0)
        {
          if (loom_rm_rf (lines[i] + 5, &e) < 0)
            {
              if (first == NULL)
                loom_error_move (&first, &e);
              loom_error_release (&e);
            }
        }
      else if (strncmp (lines[i], "data ", 5) == 0)
        {
          if (!keep_data && loom_rm_rf (lines[i] + 5, &e) < 0)
            {
              if (first == NULL)
                loom_error_move (&first, &e);
              loom_error_release (&e);
            }
        }
      else if (strncmp (lines[i], "dir ", 4) == 0)
        {
          /* Only if empty: whatever a user put there is theirs. */
          if (rmdir (lines[i] + 4) < 0 && errno != ENOENT && errno != ENOTEMPTY
              && errno != EEXIST && first == NULL)
            loom_error_make (&first, errno, "remove %s", lines[i] + 4);
        }
    }
  free (u.names);
  free (u.claim_only);
  free (lines);
  if (first)
    {
      loom_error_move (err, &first);
      return -1;
    }
  return 0;
}
