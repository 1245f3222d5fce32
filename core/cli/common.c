/* Helpers every netloom command shares, so that they all speak the same way: errors
 * printed once as "netloom: <command>: <message>", diagnostics as "file:line:col:",
 * help pages built from the command entries, loading a lab file, finding a deployed lab,
 * and the inspect table. The table reads state.json defensively — a field that is
 * missing or of the wrong type shows as "-" — because the state may come from an older
 * or newer netloom, or from a deploy that crashed half way. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "core/cli/cli.h"
#include "core/container.h"
#include "core/image.h"
#include "core/lab.h"
#include "core/log.h"
#include "core/util.h"

int loom_cli_verbosity;
double loom_cli_start_time;

static const struct loom_cmd_opt common_opts[] = {
  { "help", 'h', NULL, "show this help" },
  { "verbose", 'v', NULL, "print debug logs" },
  { "quiet", 'q', NULL, "print only errors" },
  { NULL, 0, NULL, NULL },
};

static int
opt_index (const struct loom_args *args, const char *long_name)
{
  const struct loom_cmd_opt *o = args->cmd->opts;
  int i;

  for (i = 0; o && o[i].long_name && i < LOOM_CMD_MAX_OPTS; i++)
    if (strcmp (o[i].long_name, long_name) == 0)
      return i;
  /* A typo in a command's own option name is a bug, not a user error. */
  abort ();
}

bool
loom_args_has (const struct loom_args *args, const char *long_name)
{
  return args->set[opt_index (args, long_name)];
}

const char *
loom_args_get (const struct loom_args *args, const char *long_name)
{
  return args->value[opt_index (args, long_name)];
}

static void
vprint_error (const char *cmd, const char *fmt, va_list ap)
{
  fflush (stdout);
  if (cmd)
    fprintf (stderr, "netloom: %s: ", cmd);
  else
    fputs ("netloom: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
}

int
loom_cli_fail (const char *cmd, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vprint_error (cmd, fmt, ap);
  va_end (ap);
  return LOOM_EXIT_FAILURE;
}

int
loom_cli_fail_err (const char *cmd, loom_error_t *err)
{
  loom_autofree char *text = loom_error_text (*err);

  loom_error_release (err);
  return loom_cli_fail (cmd, "%s", text);
}

int
loom_cli_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vprint_error (cmd, fmt, ap);
  va_end (ap);
  if (cmd)
    fprintf (stderr, "Try 'netloom %s --help' for more information.\n", cmd);
  else
    fputs ("Try 'netloom help' for more information.\n", stderr);
  return LOOM_EXIT_USAGE;
}

void
loom_cli_wrap_lab (loom_error_t *err, const char *what, const char *lab)
{
  loom_autofree char *quoted = loom_xasprintf ("'%s'", lab);

  if (*err && strstr ((*err)->msg, quoted) == NULL)
    loom_error_wrap (err, "%s lab %s", what, quoted);
}

void
loom_cli_print_usage (FILE *out)
{
  size_t i;

  fputs ("usage: netloom [-v | -q] COMMAND [ARGS...]\n\n"
         "Build network labs - hosts, routers, switches, containers, VMs and the links\n"
         "between them - out of Linux network namespaces, veth pairs, bridges and QEMU,\n"
         "from a YAML lab file. Every link is captured.\n\n"
         "Commands:\n",
         out);
  for (i = 0; loom_cmds[i]; i++)
    {
      const struct loom_cmd *c = loom_cmds[i];
      if (c->flags & LOOM_CMD_HIDDEN)
        continue;
      loom_autofree char *names
          = c->alias ? loom_xasprintf ("%s (%s)", c->name, c->alias) : loom_xstrdup (c->name);
      fprintf (out, "  %-16s %s\n", names, c->summary);
    }
  fputs ("\nGlobal options (before the command, or after it):\n"
         "  -h, --help       show this help\n"
         "      --version    print the version\n"
         "  -v, --verbose    print debug logs\n"
         "  -q, --quiet      print only errors\n\n"
         "Environment:\n"
         "  NETLOOM_RUN_DIR    where lab state lives (default " LOOM_RUN_DIR_DEFAULT ")\n"
         "  NETLOOM_IMAGE_DIR  the container image store (default " LOOM_IMAGE_DIR_DEFAULT ")\n"
         "  NETLOOM_VM_DIR     where the built-in VM guest is (see docs/cli.md)\n\n"
         "Run 'netloom help COMMAND' for a command's options and an example.\n",
         out);
}

static void
print_opts (const struct loom_cmd_opt *o, FILE *out)
{
  for (; o && o->long_name; o++)
    {
      char flag[8] = "    ";
      loom_autofree char *left = NULL;

      if (o->short_name)
        snprintf (flag, sizeof flag, "-%c, ", o->short_name);
      left = loom_xasprintf ("%s--%s%s%s", flag, o->long_name, o->metavar ? " " : "",
                             o->metavar ? o->metavar : "");
      fprintf (out, "  %-22s %s\n", left, o->help);
    }
}

void
loom_cli_print_cmd_help (const struct loom_cmd *cmd, FILE *out)
{
  const char *sep = *cmd->usage ? " " : "";

  fprintf (out, "usage: netloom %s%s%s\n", cmd->name, sep, cmd->usage);
  if (cmd->alias)
    fprintf (out, "       netloom %s%s%s\n", cmd->alias, sep, cmd->usage);
  fprintf (out, "\n%s.\n", cmd->summary);
  if (cmd->help)
    fprintf (out, "\n%s", cmd->help);
  fputs ("\nOptions:\n", out);
  print_opts (cmd->opts, out);
  print_opts (common_opts, out);
  if (cmd->flags & LOOM_CMD_NEEDS_ROOT)
    fputs ("\nNeeds root (it creates or enters network namespaces).\n", out);
  if (cmd->example)
    fprintf (out, "\nExample:\n%s", cmd->example);
}

long
loom_cli_parse_count (const char *text, long max)
{
  char *end;
  long v;

  if (text == NULL || *text < '0' || *text > '9')
    return -1;
  errno = 0;
  v = strtol (text, &end, 10);
  if (errno || *end || v > max)
    return -1;
  return v;
}

void
loom_cli_log_handler (enum loom_log_level level, const char *msg, void *data)
{
  (void) data;
  switch (level)
    {
    case LOOM_LOG_DEBUG:
      if (loom_cli_verbosity > 0)
        fprintf (stderr, "netloom: debug: [%8.3f] %s\n", loom_now () - loom_cli_start_time, msg);
      break;
    case LOOM_LOG_INFO:
      if (loom_cli_verbosity >= 0)
        fprintf (stderr, "netloom: %s\n", msg);
      break;
    case LOOM_LOG_WARNING:
      fprintf (stderr, "netloom: warning: %s\n", msg);
      break;
    default:
      fprintf (stderr, "netloom: error: %s\n", msg);
      break;
    }
}

void
loom_cli_print_diags (const struct loom_diags *diags)
{
  size_t i;

  fflush (stdout);
  for (i = 0; i < diags->n; i++)
    {
      loom_autofree char *line = loom_diag_format (&diags->items[i]);
      fprintf (stderr, "%s\n", line);
    }
}

int
loom_cli_load_lab (const char *cmd, const char *path, struct loom_lab **out)
{
  struct loom_diags diags = { 0 };
  struct loom_lab *lab;
  size_t n_errors;

  lab = loom_topology_load (path, &diags);
  /* Only a lab that parsed can be asked what it needs; a file with errors already
   * fails, and its parse errors are what the user must fix first. */
  if (lab)
    loom_lab_check_supported (lab, &diags);
  loom_cli_print_diags (&diags);
  n_errors = diags.n_errors;
  loom_diags_clear (&diags);
  if (lab && n_errors == 0)
    {
      *out = lab;
      return LOOM_EXIT_OK;
    }
  if (lab)
    loom_lab_free (lab);
  if (n_errors == 0)
    loom_cli_fail (cmd, "cannot load lab file %s", path);
  return LOOM_EXIT_USAGE;
}

bool
loom_cli_is_lab_file (const char *text)
{
  size_t len = strlen (text);
  struct stat st;

  if (strchr (text, '/'))
    return true;
  if ((len > 4 && strcmp (text + len - 4, ".yml") == 0)
      || (len > 5 && strcmp (text + len - 5, ".yaml") == 0))
    return true;
  return stat (text, &st) == 0 && S_ISREG (st.st_mode);
}

bool
loom_cli_lab_exists (const char *name)
{
  loom_error_t err = NULL;
  char **names = NULL;
  bool found = false;
  size_t i;

  if (loom_lab_list (&names, &err) < 0)
    {
      loom_error_release (&err);
      return false;
    }
  for (i = 0; names && names[i]; i++)
    {
      if (strcmp (names[i], name) == 0)
        found = true;
      free (names[i]);
    }
  free (names);
  return found;
}

int
loom_cli_resolve_lab (const char *cmd, const char *name_or_file, char **out)
{
  loom_error_t err = NULL;
  char *name;

  name = loom_lab_resolve (name_or_file, &err);
  if (name)
    {
      *out = name;
      return LOOM_EXIT_OK;
    }
  /* A deploy that crashed before writing state.json leaves a lab that only its name
   * finds; read the name from the file so `destroy FILE` still cleans it up. */
  if (loom_cli_is_lab_file (name_or_file) && access (name_or_file, R_OK) == 0)
    {
      struct loom_diags diags = { 0 };
      struct loom_lab *lab = loom_topology_load (name_or_file, &diags);

      loom_diags_clear (&diags);
      if (lab && loom_cli_lab_exists (lab->name))
        {
          *out = loom_xstrdup (lab->name);
          loom_lab_free (lab);
          loom_error_release (&err);
          return LOOM_EXIT_OK;
        }
      if (lab)
        loom_lab_free (lab);
    }
  return loom_cli_fail_err (cmd, &err);
}

int
loom_cli_run_in_node (const char *cmd, const char *lab, const char *node, char *const argv[])
{
  struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
  loom_error_t err = NULL;
  pid_t pid;
  int status;

  /* Nothing of ours may sit in a stdio buffer that the child could duplicate. */
  fflush (NULL);
  pid = loom_node_spawn (lab, node, argv, &err);
  if (pid < 0)
    {
      loom_error_wrap (&err, "running %s in %s:%s", argv[0], lab, node);
      return loom_cli_fail_err (cmd, &err);
    }
  /* Ignored only now: a disposition of SIG_IGN would survive the child's execve. */
  sigemptyset (&ign.sa_mask);
  sigaction (SIGINT, &ign, &old_int);
  sigaction (SIGQUIT, &ign, &old_quit);
  status = loom_wait_status (pid);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);
  return status;
}

const char *
loom_cli_plural (size_t n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

/* The inspect table. */

static const char *
jstr (json_t *obj, const char *key)
{
  json_t *v = json_is_object (obj) ? json_object_get (obj, key) : NULL;
  return json_is_string (v) ? json_string_value (v) : NULL;
}

static const char *
or_dash (const char *s)
{
  return s && *s ? s : "-";
}

/* A cell is a string with one '\n'-separated line per row of text. */
struct table
{
  size_t ncols;
  const char *const *headers;
  char **cells; /* nrows * ncols */
  size_t nrows;
};

static size_t
cell_lines (const char *cell)
{
  size_t n = 1;
  for (; *cell; cell++)
    n += *cell == '\n';
  return n;
}

/* Length of line k of a cell (0 past the end), and where it starts. */
static size_t
cell_line (const char *cell, size_t k, const char **start)
{
  const char *end;

  for (; k > 0 && cell; k--)
    {
      cell = strchr (cell, '\n');
      if (cell)
        cell++;
    }
  *start = cell ? cell : "";
  if (cell == NULL)
    return 0;
  end = strchr (cell, '\n');
  return end ? (size_t) (end - cell) : strlen (cell);
}

static void
table_rule (const size_t *width, size_t ncols, FILE *out)
{
  size_t c, i;

  for (c = 0; c < ncols; c++)
    {
      fputc ('+', out);
      for (i = 0; i < width[c] + 2; i++)
        fputc ('-', out);
    }
  fputs ("+\n", out);
}

static void
table_line (const size_t *width, size_t ncols, const char *const *cells, size_t k, FILE *out)
{
  size_t c;

  for (c = 0; c < ncols; c++)
    {
      const char *start;
      size_t len = cell_line (cells[c], k, &start);
      fprintf (out, "| %.*s%*s ", (int) len, start, (int) (width[c] - len), "");
    }
  fputs ("|\n", out);
}

static void
table_print (const struct table *t, FILE *out)
{
  size_t width[16] = { 0 };
  size_t r, c, k;
  bool multi = false;

  for (c = 0; c < t->ncols; c++)
    width[c] = strlen (t->headers[c]);
  for (r = 0; r < t->nrows; r++)
    for (c = 0; c < t->ncols; c++)
      {
        const char *cell = t->cells[r * t->ncols + c];
        size_t n = cell_lines (cell);
        if (n > 1)
          multi = true;
        for (k = 0; k < n; k++)
          {
            const char *start;
            size_t len = cell_line (cell, k, &start);
            if (len > width[c])
              width[c] = len;
          }
      }

  table_rule (width, t->ncols, out);
  table_line (width, t->ncols, t->headers, 0, out);
  table_rule (width, t->ncols, out);
  for (r = 0; r < t->nrows; r++)
    {
      const char *const *row = (const char *const *) &t->cells[r * t->ncols];
      size_t n = 1;
      for (c = 0; c < t->ncols; c++)
        if (cell_lines (row[c]) > n)
          n = cell_lines (row[c]);
      for (k = 0; k < n; k++)
        table_line (width, t->ncols, row, k, out);
      /* Rows of several lines only read as rows with a rule between them. */
      if (multi && r + 1 < t->nrows)
        table_rule (width, t->ncols, out);
    }
  table_rule (width, t->ncols, out);
}

/* Every address of an interface, IPv4 first, joined with ','; when the lab file gives
 * it none, the ones it has now (inspect adds them). */
static char *
iface_addrs (json_t *iface)
{
  static const char *const keys[] = { "ipv4", "ipv6", "live_ipv4", "live_ipv6" };
  char *s = loom_xstrdup ("");
  size_t i, k;

  for (k = 0; k < 4 && !(k == 2 && *s); k++)
    {
      json_t *list = json_object_get (iface, keys[k]);
      json_t *a;
      json_array_foreach (list, i, a)
        {
          char *next;
          if (!json_is_string (a))
            continue;
          next = loom_xasprintf ("%s%s%s", s, *s ? "," : "", json_string_value (a));
          free (s);
          s = next;
        }
    }
  return s;
}

struct iface_widths
{
  size_t name, addrs, mac;
};

static void
iface_measure (json_t *node, struct iface_widths *w)
{
  json_t *ifaces = json_is_object (node) ? json_object_get (node, "interfaces") : NULL;
  json_t *iface;
  size_t i;

  json_array_foreach (ifaces, i, iface)
    {
      loom_autofree char *addrs = iface_addrs (iface);
      size_t n;
      if ((n = strlen (or_dash (jstr (iface, "name")))) > w->name)
        w->name = n;
      if ((n = strlen (or_dash (addrs))) > w->addrs)
        w->addrs = n;
      if ((n = strlen (or_dash (jstr (iface, "mac")))) > w->mac)
        w->mac = n;
    }
}

/* One line per interface: "eth1  10.0.1.11/24  aa:c1:ab:00:00:01  -> sw1:p1", the
 * parts aligned across the whole table. */
static char *
iface_cell (json_t *node, const struct iface_widths *w)
{
  json_t *ifaces = json_is_object (node) ? json_object_get (node, "interfaces") : NULL;
  json_t *iface;
  char *s = NULL;
  size_t i;

  json_array_foreach (ifaces, i, iface)
    {
      loom_autofree char *addrs = iface_addrs (iface);
      const char *peer = jstr (iface, "peer");
      char *line, *next;
      size_t len;

      if (peer)
        line = loom_xasprintf ("%-*s  %-*s  %-*s  -> %s", (int) w->name,
                               or_dash (jstr (iface, "name")), (int) w->addrs, or_dash (addrs),
                               (int) w->mac, or_dash (jstr (iface, "mac")), peer);
      else
        line = loom_xasprintf ("%-*s  %-*s  %s", (int) w->name, or_dash (jstr (iface, "name")),
                               (int) w->addrs, or_dash (addrs), or_dash (jstr (iface, "mac")));
      len = strlen (line);
      while (len > 0 && line[len - 1] == ' ')
        line[--len] = '\0';
      next = s ? loom_xasprintf ("%s\n%s", s, line) : loom_steal (&line);
      free (line);
      free (s);
      s = next;
    }
  return s ? s : loom_xstrdup ("-");
}

/* Published ports and a nat node's network, one line each under the interfaces:
 * "port  127.0.0.1:8080 -> 80/tcp", "nat   10.0.2.0/24  gateway 10.0.2.2  dns 10.0.2.3",
 * "fwd   127.0.0.1:2222 -> 10.0.2.15:22/tcp". */
static char *
node_extra_lines (json_t *node, char *cell)
{
  json_t *nat = json_object_get (node, "nat"), *p;
  size_t i, k;
  static const char *const lists[] = { "ports", "hostfwd" };

  if (nat)
    {
      char *next = loom_xasprintf ("%s\nnat   %s  gateway %s  dns %s  dhcp from %s", cell,
                                   or_dash (jstr (nat, "network")), or_dash (jstr (nat, "gateway")),
                                   or_dash (jstr (nat, "dns")), or_dash (jstr (nat, "dhcp_start")));
      free (cell);
      cell = next;
    }
  for (k = 0; k < 2; k++)
    json_array_foreach (json_object_get (k == 0 ? node : nat, lists[k]), i, p)
      {
        const char *host = or_dash (jstr (p, "host"));
        const char *addr = jstr (p, "addr");
        bool v6 = strchr (host, ':') != NULL;
        char *next = loom_xasprintf (
            "%s\n%s  %s%s%s:%lld -> %s%s%lld/%s", cell, k == 0 ? "port" : "fwd ", v6 ? "[" : "",
            host, v6 ? "]" : "", json_integer_value (json_object_get (p, "host_port")),
            addr ? addr : "", addr ? ":" : "", json_integer_value (json_object_get (p, "port")),
            or_dash (jstr (p, "proto")));
        free (cell);
        cell = next;
      }
  if (strncmp (cell, "-\n", 2) == 0)
    memmove (cell, cell + 2, strlen (cell + 2) + 1);
  return cell;
}

void
loom_cli_print_table (json_t *const *states, size_t n, FILE *out)
{
  static const char *const headers[]
      = { "Lab", "Node", "Kind", "State", "Namespace", "Interfaces" };
  struct table t = { .ncols = 6, .headers = headers };
  struct iface_widths w = { 0 };
  size_t l, i, r;
  json_t *node;

  for (l = 0; l < n; l++)
    json_array_foreach (json_object_get (states[l], "nodes"), i, node)
      if (json_is_object (node))
        {
          iface_measure (node, &w);
          t.nrows++;
        }
  t.cells = loom_xcalloc (t.nrows * t.ncols + 1, sizeof (char *));
  r = 0;
  for (l = 0; l < n; l++)
    {
      const char *lab = or_dash (jstr (states[l], "name"));
      json_array_foreach (json_object_get (states[l], "nodes"), i, node)
        {
          char **row;
          if (!json_is_object (node))
            continue;
          row = &t.cells[r++ * t.ncols];
          row[0] = loom_xstrdup (lab);
          row[1] = loom_xstrdup (or_dash (jstr (node, "name")));
          row[2] = loom_xstrdup (or_dash (jstr (node, "kind")));
          row[3] = loom_xstrdup (or_dash (jstr (node, "state")));
          row[4] = loom_xstrdup (or_dash (jstr (node, "netns")));
          row[5] = node_extra_lines (node, iface_cell (node, &w));
        }
    }
  table_print (&t, out);
  for (i = 0; i < t.nrows * t.ncols; i++)
    free (t.cells[i]);
  free (t.cells);
  /* Containers that are not simply running say why (exit status, OOM kills). */
  for (l = 0; l < n; l++)
    json_array_foreach (json_object_get (states[l], "nodes"), i, node)
      {
        json_t *ps = json_object_get (node, "process");
        const char *st = jstr (ps, "state");
        if (ps && st
            && (strcmp (st, "running") != 0
                || json_integer_value (json_object_get (ps, "oom_kills")) > 0))
          {
            loom_autofree char *d = loom_container_describe (ps);
            fprintf (out, "%s: %s\n", or_dash (jstr (node, "name")), d);
          }
      }
  /* The supervisor owns captures, routing daemons and impairments: say when it is not
   * there, and how to bring it back. */
  for (l = 0; l < n; l++)
    {
      json_t *sup = json_object_get (states[l], "supervisor");
      const char *st = jstr (sup, "state");
      const char *lab = or_dash (jstr (states[l], "name"));
      if (st && strcmp (st, "running") == 0)
        fprintf (out, "lab %s: supervisor running (pid %lld), %lld links captured\n", lab,
                 json_integer_value (json_object_get (sup, "pid")),
                 json_integer_value (json_object_get (sup, "links")));
      else if (sup)
        fprintf (out,
                 "lab %s: supervisor NOT RUNNING: no capture, routing daemons or impairments "
                 "(start it: netloom supervisor %s start)\n",
                 lab, lab);
    }
}
