/* `netloom console NAME NODE`: the serial console of a VM. On a terminal it is raw and
 * interactive (Ctrl-] leaves, as in telnet); from a pipe it sends what it reads and
 * prints what the guest says, and --expect/--timeout let scripts wait for an answer.
 * Several consoles may be attached to one VM at once; all see the same output and all
 * can type. --log prints the whole serial log instead. */
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/supervisor.h"
#include "core/util.h"

#define DETACH_KEY 0x1d /* Ctrl-] */
#define SEEN_MAX 65536  /* output kept for --expect */

static struct termios saved;
static bool raw_on;

static void
restore_tty (void)
{
  if (raw_on)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  raw_on = false;
}

static void
on_signal (int sig)
{
  restore_tty ();
  signal (sig, SIG_DFL);
  raise (sig);
}

static int
make_raw (void)
{
  struct termios t;

  if (tcgetattr (STDIN_FILENO, &saved) < 0)
    return -1;
  t = saved;
  cfmakeraw (&t);
  if (tcsetattr (STDIN_FILENO, TCSANOW, &t) < 0)
    return -1;
  raw_on = true;
  atexit (restore_tty);
  signal (SIGTERM, on_signal);
  signal (SIGHUP, on_signal);
  return 0;
}

static bool
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, buf, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      buf += w;
      len -= w;
    }
  return true;
}

/* The node must be a VM; says what it is otherwise. Returns its lab directory. */
static int
vm_labdir (const char *cmd, const char *lab, const char *node, char **labdir)
{
  loom_error_t err = NULL;
  json_t *state = loom_lab_state_load (lab, &err), *n;
  size_t i;
  int r = -1;

  if (state == NULL)
    return loom_cli_fail_err (cmd, &err);
  json_array_foreach (json_object_get (state, "nodes"), i, n)
    {
      const char *name = json_string_value (json_object_get (n, "name"));
      const char *kind = json_string_value (json_object_get (n, "kind"));
      if (!name || strcmp (name, node) != 0)
        continue;
      if (!json_object_get (n, "vm"))
        r = loom_cli_fail (cmd,
                           "node '%s' is a %s, not a VM: it has no console (use: netloom shell "
                           "%s %s)",
                           node, kind ? kind : "node", lab, node);
      else
        {
          const char *d = json_string_value (json_object_get (state, "labdir"));
          *labdir = loom_xstrdup (d ? d : ".");
          r = LOOM_EXIT_OK;
        }
    }
  json_decref (state);
  return r;
}

static int
console_exec (struct loom_args *args)
{
  const char *node = args->argv[1];
  const char *expect = loom_args_get (args, "expect");
  const char *timeout_s = loom_args_get (args, "timeout");
  bool no_input = loom_args_has (args, "no-input");
  bool tty = isatty (STDIN_FILENO) && !no_input;
  loom_autofree char *labdir = NULL;
  loom_autofree char *seen = NULL;
  loom_autoclose int fd = -1;
  loom_error_t err = NULL;
  size_t n_seen = 0;
  regex_t re;
  bool have_re = false, stdin_open = !no_input, matched = false;
  double deadline = -1;
  int r;

  r = vm_labdir (args->cmd->name, args->lab, node, &labdir);
  if (r != LOOM_EXIT_OK)
    return r;
  if (loom_args_has (args, "log"))
    {
      loom_autofree char *path = loom_xasprintf ("%s/logs/%s.console.log", labdir, node);
      loom_autofree char *data = NULL;
      size_t len = 0;
      if (loom_read_file (path, &data, &len, &err) < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      return write_all (STDOUT_FILENO, data, len) ? LOOM_EXIT_OK : LOOM_EXIT_FAILURE;
    }
  if (timeout_s)
    {
      long t = loom_cli_parse_count (timeout_s, 86400);
      if (t < 0)
        return loom_cli_usage_error (
            args->cmd->name, "--timeout wants whole seconds (0 to 86400), not '%s'", timeout_s);
      deadline = loom_now () + (double) t;
    }
  if (expect)
    {
      if (regcomp (&re, expect, REG_EXTENDED | REG_NOSUB) != 0)
        return loom_cli_usage_error (args->cmd->name, "--expect: '%s' is not a regular expression",
                                     expect);
      have_re = true;
      seen = loom_xmalloc (SEEN_MAX + 1);
      if (deadline < 0)
        deadline = loom_now () + 60;
    }
  fd = loom_vm_console_open (args->lab, node, &err);
  if (fd < 0)
    {
      if (have_re)
        regfree (&re);
      return loom_cli_fail_err (args->cmd->name, &err);
    }
  if (loom_args_has (args, "replay"))
    {
      /* This boot's output so far, from the serial log (read after connecting, so
       * nothing falls between; a line may show twice). */
      json_t *req = json_pack ("{s:s}", "cmd", "status");
      json_t *st = loom_supervisor_call (args->lab, req, NULL);
      json_t *v = json_object_get (json_object_get (st, "vms"), node);
      const char *log = json_string_value (json_object_get (v, "log"));
      long long off = json_integer_value (json_object_get (v, "boot_offset"));
      loom_autofree char *data = NULL;
      size_t len = 0;

      json_decref (req);
      if (log && loom_read_file (log, &data, &len, NULL) == 0 && (size_t) off <= len)
        {
          size_t from = off, i;
          if (len - from > SEEN_MAX)
            from = len - SEEN_MAX;
          write_all (STDOUT_FILENO, data + from, len - from);
          if (have_re)
            {
              for (i = from; i < len; i++)
                seen[n_seen++] = data[i] ? data[i] : ' ';
              seen[n_seen] = '\0';
              matched = regexec (&re, seen, 0, NULL, 0) == 0;
            }
        }
      json_decref (st);
    }
  if (tty && !matched)
    {
      if (make_raw () < 0)
        tty = false;
      else if (loom_cli_verbosity >= 0)
        fprintf (stderr,
                 "netloom: console of %s in lab '%s'; Ctrl-] leaves. Press Enter for a "
                 "prompt.\r\n",
                 node, args->lab);
    }
  signal (SIGPIPE, SIG_IGN);

  while (!matched)
    {
      struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
                             { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN } };
      char buf[4096];
      ssize_t got;
      int wait_ms = -1;

      if (deadline >= 0)
        {
          wait_ms = (int) ((deadline - loom_now ()) * 1000);
          if (wait_ms <= 0)
            break;
        }
      /* From a pipe without anything to wait for, the session ends with the input. */
      if (!stdin_open && !no_input && deadline < 0)
        break;
      if (poll (p, 2, wait_ms) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[0].revents)
        {
          got = read (fd, buf, sizeof buf);
          if (got <= 0)
            break; /* the supervisor went away */
          if (!write_all (STDOUT_FILENO, buf, got))
            break;
          if (have_re)
            {
              /* Keep the newest output, as text for the regex (NULs would end it). */
              ssize_t i;
              if (n_seen + got > SEEN_MAX)
                {
                  size_t drop = n_seen + got - SEEN_MAX;
                  memmove (seen, seen + drop, n_seen - drop);
                  n_seen -= drop;
                }
              for (i = 0; i < got; i++)
                seen[n_seen++] = buf[i] ? buf[i] : ' ';
              seen[n_seen] = '\0';
              if (regexec (&re, seen, 0, NULL, 0) == 0)
                {
                  matched = true;
                  break;
                }
            }
        }
      if (p[1].revents)
        {
          got = read (STDIN_FILENO, buf, sizeof buf);
          if (got <= 0)
            {
              stdin_open = false;
              continue;
            }
          if (tty)
            {
              char *k = memchr (buf, DETACH_KEY, got);
              if (k)
                {
                  if (k > buf)
                    write_all (fd, buf, k - buf);
                  break;
                }
            }
          if (!write_all (fd, buf, got))
            break;
        }
    }
  restore_tty ();
  if (tty && loom_cli_verbosity >= 0)
    fprintf (stderr, "\nnetloom: left the console of %s\n", node);
  if (have_re)
    {
      regfree (&re);
      if (!matched)
        return loom_cli_fail (args->cmd->name, "the console of %s did not show /%s/ in time", node,
                              expect);
    }
  return LOOM_EXIT_OK;
}

static const struct loom_cmd_opt console_opts[] = {
  { "log", 'l', NULL, "print the VM's whole serial log and exit" },
  { "replay", 'r', NULL, "first print what the guest printed since it booted" },
  { "no-input", 'n', NULL, "only watch: send nothing to the guest" },
  { "expect", 'e', "REGEX", "exit 0 once the guest's output matches REGEX (ERE)" },
  { "timeout", 't', "SECONDS", "give up after SECONDS (exit 1); --expect's default is 60" },
  { NULL, 0, NULL, NULL },
};

const struct loom_cmd loom_cmd_console = {
  .name = "console",
  .usage = "[OPTIONS] NAME|FILE NODE",
  .summary = "Attach to a VM's serial console",
  .help = "Connects this terminal to the VM's serial console (raw mode; the terminal is\n"
          "restored on exit). Ctrl-] leaves; the VM keeps running. Several consoles can\n"
          "be attached at once: each sees everything the guest prints, and what any of\n"
          "them types goes to the guest. When stdin is not a terminal, what it brings is\n"
          "sent as it is and the guest's output is printed; the session ends at the end\n"
          "of the input, or with --expect / --timeout when those are given. Everything\n"
          "the guest printed since it started is in netloom-<lab>/logs/<node>.console.log\n"
          "(--log prints it; --replay prints this boot's part first, and --expect\n"
          "sees it too).\n",
  .example = "  netloom console multi-vm vm1\n"
             "  echo 'ping -c 1 10.0.1.12' | netloom console multi-vm vm1 --expect '1 packets "
             "received'\n"
             "  netloom console --log multi-vm vm1\n",
  .opts = console_opts,
  .min_args = 2,
  .max_args = 2,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG | LOOM_CMD_NODE_ARG,
  .exec = console_exec,
};
