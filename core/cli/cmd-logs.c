/* `netloom logs NAME NODE [-f]`: what a node's processes printed — a container's
 * command (logs/<node>.log); for other kinds the output of the lab file's exec:
 * commands (logs/<node>.exec.log) and a router's FRR daemons (logs/<node>.<daemon>.log).
 * -f follows the files as they grow (inotify, no polling) until Ctrl-C or until the lab
 * is destroyed. */
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

struct log_file
{
  char *path;
  char *label; /* "zebra" when the node has several logs, else NULL */
  int fd;
  int wd;
  off_t off;
};

/* Copies what the file has past its offset to stdout, under a header when the node has
 * several logs and another one printed last. */
static int
copy_new (struct log_file *f, struct log_file **last)
{
  char buf[65536];
  ssize_t r;

  while ((r = pread (f->fd, buf, sizeof buf, f->off)) > 0)
    {
      if (f->label && *last != f)
        printf ("%s==> %s <==\n", *last ? "\n" : "", f->label);
      *last = f;
      if (fwrite (buf, 1, (size_t) r, stdout) != (size_t) r)
        return -1;
      f->off += r;
    }
  fflush (stdout);
  return r < 0 ? -1 : 0;
}

static int
logs_exec (struct loom_args *args)
{
  const char *cmd = args->cmd->name, *node = args->argv[1];
  loom_error_t err = NULL;
  json_t *state = loom_lab_state_load (args->lab, &err), *n = NULL, *it, *d;
  loom_autofree char *statedir = NULL;
  const char *labdir;
  struct log_file files[16];
  struct log_file *last = NULL;
  size_t nf = 0, i;
  bool container;
  int ret = LOOM_EXIT_OK;

  if (state == NULL)
    return loom_cli_fail_err (cmd, &err);
  labdir = json_string_value (json_object_get (state, "labdir"));
  json_array_foreach (json_object_get (state, "nodes"), i, it)
    if (strcmp (json_string_value (json_object_get (it, "name")) ?: "", node) == 0)
      n = it;
  container = n && json_object_get (n, "container");
  {
    char *paths[16], *labels[16];
    size_t np = 0;
    paths[np] = loom_xasprintf ("%s/logs/%s.%s", labdir ? labdir : ".", node,
                                container ? "log" : "exec.log");
    labels[np++] = loom_xstrdup ("exec:");
    json_array_foreach (json_object_get (json_object_get (n, "frr"), "daemons"), i, d)
      if (np < 16 && json_is_string (d))
        {
          paths[np] = loom_xasprintf ("%s/logs/%s.%s.log", labdir ? labdir : ".", node,
                                      json_string_value (d));
          labels[np++] = loom_xstrdup (json_string_value (d));
        }
    for (i = 0; i < np; i++)
      {
        int fd = open (paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0 && (errno != ENOENT || container))
          {
            ret = loom_cli_fail (cmd, "cannot open %s: %s", paths[i], strerror (errno));
            fd = -1;
          }
        if (fd < 0)
          {
            free (paths[i]);
            free (labels[i]);
            continue;
          }
        files[nf++] = (struct log_file){ paths[i], labels[i], fd, -1, 0 };
      }
  }
  json_decref (state);
  if (ret != LOOM_EXIT_OK)
    goto out;
  if (nf == 0)
    {
      ret = loom_cli_fail (cmd,
                           "node '%s' has no log: only containers, nodes with exec: commands "
                           "in the lab file and routers running FRR have one",
                           node);
      goto out;
    }
  /* One file speaks for itself; several get a header each. */
  if (nf == 1)
    {
      free (files[0].label);
      files[0].label = NULL;
    }
  for (i = 0; i < nf; i++)
    if (copy_new (&files[i], &last) < 0)
      {
        ret = LOOM_EXIT_FAILURE;
        goto out;
      }
  if (!loom_args_has (args, "follow"))
    goto out;

  /* Follow: the files grow (IN_MODIFY); the lab's state directory going away means the
   * lab was destroyed. */
  {
    loom_autoclose int ino = inotify_init1 (IN_CLOEXEC);
    int ws;
    statedir = loom_state_dir (args->lab);
    if (ino < 0)
      {
        ret = loom_cli_fail (cmd, "inotify: %s", strerror (errno));
        goto out;
      }
    for (i = 0; i < nf; i++)
      files[i].wd = inotify_add_watch (ino, files[i].path, IN_MODIFY);
    ws = inotify_add_watch (ino, statedir, IN_DELETE_SELF | IN_MOVE_SELF);
    if (ws < 0)
      {
        ret = loom_cli_fail (cmd, "watch %s: %s", statedir, strerror (errno));
        goto out;
      }
    /* What was written between the first read and the watches. */
    for (i = 0; i < nf; i++)
      copy_new (&files[i], &last);
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
            ret = loom_cli_fail (cmd, "inotify: %s", strerror (errno));
            goto out;
          }
        for (p = buf; p < buf + r;)
          {
            struct inotify_event *ev = (struct inotify_event *) p;
            if (ev->wd == ws && (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)))
              gone = true;
            for (i = 0; i < nf; i++)
              if (ev->wd == files[i].wd && copy_new (&files[i], &last) < 0)
                {
                  ret = LOOM_EXIT_FAILURE;
                  goto out;
                }
            p += sizeof *ev + ev->len;
          }
        if (gone)
          {
            for (i = 0; i < nf; i++)
              copy_new (&files[i], &last);
            if (loom_cli_verbosity >= 0)
              fprintf (stderr, "netloom: logs: lab '%s' was destroyed\n", args->lab);
            break;
          }
      }
  }
out:
  for (i = 0; i < nf; i++)
    {
      close (files[i].fd);
      free (files[i].path);
      free (files[i].label);
    }
  return ret;
}

const struct loom_cmd loom_cmd_logs = {
  .name = "logs",
  .usage = "[OPTIONS] NAME|FILE NODE",
  .summary = "Print what a node's processes printed (a container's output)",
  .help = "Prints a container's log: the output of its command, stdout and stderr, as\n"
          "they came (logs/<node>.log in the lab directory). For other kinds it prints\n"
          "the output of the lab file's exec: commands and, for a router, its FRR\n"
          "daemons' logs, each under a '==> name <==' header. With -f it keeps printing\n"
          "what is added until Ctrl-C, or until the lab is destroyed.\n",
  .example = "  netloom logs lab1 web\n"
             "  netloom logs lab1 web -f\n"
             "  netloom logs ospf r1\n",
  .opts = logs_opts,
  .min_args = 2,
  .max_args = 2,
  .flags = LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG,
  .exec = logs_exec,
};
