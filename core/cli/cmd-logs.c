/* `netloom logs NAME NODE [-f]`: what a node's processes printed — a container's
 * command (logs/<node>.log), or for other kinds the output of the lab file's exec:
 * commands (logs/<node>.exec.log). -f follows the file as it grows (inotify, no polling)
 * until Ctrl-C or until the lab is destroyed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/state.h"
#include "core/util.h"

static const struct loom_cmd_opt logs_opts[] = {
  { "follow", 'f', NULL, "keep printing what is added, until Ctrl-C or the lab is destroyed" },
  { NULL, 0, NULL, NULL },
};

/* Copies what the file has past *off to stdout. */
static int
copy_new (int fd, off_t *off)
{
  char buf[65536];
  ssize_t r;

  while ((r = pread (fd, buf, sizeof buf, *off)) > 0)
    {
      if (fwrite (buf, 1, (size_t) r, stdout) != (size_t) r)
        return -1;
      *off += r;
    }
  fflush (stdout);
  return r < 0 ? -1 : 0;
}

static int
logs_exec (struct loom_args *args)
{
  const char *cmd = args->cmd->name, *node = args->argv[1];
  loom_error_t err = NULL;
  json_t *state = loom_lab_state_load (args->lab, &err), *n, *it;
  loom_autofree char *path = NULL;
  loom_autofree char *statedir = NULL;
  const char *labdir;
  loom_autoclose int fd = -1;
  off_t off = 0;
  size_t i;
  bool container = false;

  if (state == NULL)
    return loom_cli_fail_err (cmd, &err);
  labdir = json_string_value (json_object_get (state, "labdir"));
  n = NULL;
  json_array_foreach (json_object_get (state, "nodes"), i, it)
    if (strcmp (json_string_value (json_object_get (it, "name")) ?: "", node) == 0)
      n = it;
  container = n && json_object_get (n, "container");
  path = loom_xasprintf ("%s/logs/%s.%s", labdir ? labdir : ".", node,
                         container ? "log" : "exec.log");
  json_decref (state);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT && !container)
        return loom_cli_fail (cmd,
                              "node '%s' has no log: only containers (and nodes with exec: "
                              "commands in the lab file) have one",
                              node);
      return loom_cli_fail (cmd, "cannot open %s: %s", path, strerror (errno));
    }
  if (copy_new (fd, &off) < 0)
    return LOOM_EXIT_FAILURE;
  if (!loom_args_has (args, "follow"))
    return LOOM_EXIT_OK;

  /* Follow: the file grows (IN_MODIFY); the lab's state directory going away means the
   * lab was destroyed. */
  {
    loom_autoclose int ino = inotify_init1 (IN_CLOEXEC);
    int wf, ws;
    statedir = loom_state_dir (args->lab);
    if (ino < 0)
      return loom_cli_fail (cmd, "inotify: %s", strerror (errno));
    wf = inotify_add_watch (ino, path, IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF);
    ws = inotify_add_watch (ino, statedir, IN_DELETE_SELF | IN_MOVE_SELF);
    if (wf < 0 || ws < 0)
      return loom_cli_fail (cmd, "watch %s: %s", wf < 0 ? path : statedir, strerror (errno));
    /* What was written between the first read and the watch. */
    if (copy_new (fd, &off) < 0)
      return LOOM_EXIT_FAILURE;
    for (;;)
      {
        char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
        ssize_t r = read (ino, buf, sizeof buf);
        bool gone = false;
        char *p;

        if (r < 0)
          {
            if (errno == EINTR)
              continue;
            return loom_cli_fail (cmd, "inotify: %s", strerror (errno));
          }
        for (p = buf; p < buf + r;)
          {
            struct inotify_event *ev = (struct inotify_event *) p;
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
              gone = true;
            p += sizeof *ev + ev->len;
          }
        if (copy_new (fd, &off) < 0)
          return LOOM_EXIT_FAILURE;
        if (gone)
          {
            if (loom_cli_verbosity >= 0)
              fprintf (stderr, "netloom: logs: lab '%s' was destroyed\n", args->lab);
            return LOOM_EXIT_OK;
          }
      }
  }
}

const struct loom_cmd loom_cmd_logs = {
  .name = "logs",
  .usage = "[OPTIONS] NAME|FILE NODE",
  .summary = "Print what a node's processes printed (a container's output)",
  .help = "Prints a container's log: the output of its command, stdout and stderr, as\n"
          "they came (logs/<node>.log in the lab directory). For other kinds it prints\n"
          "the output of the lab file's exec: commands, when there were any. With -f it\n"
          "keeps printing what is added until Ctrl-C, or until the lab is destroyed.\n",
  .example = "  netloom logs lab1 web\n"
             "  netloom logs lab1 web -f\n",
  .opts = logs_opts,
  .min_args = 2,
  .max_args = 2,
  .flags = LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG,
  .exec = logs_exec,
};
