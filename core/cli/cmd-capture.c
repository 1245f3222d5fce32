/* `netloom capture LAB NODE:IF`: a live stream from any interface of any node — pcapng
 * to a file or stdout (`-w - | wireshark -k -i -`), or one decoded line per packet —
 * and `netloom capture LAB --list`: the always-on capture files of every link. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/capture.h"
#include "core/cli/cli.h"
#include "core/decode.h"
#include "core/lab.h"
#include "core/pcapng.h"
#include "core/supervisor.h"
#include "core/util.h"

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  stop_requested = 1;
}

static const char *
human_size (uint64_t n, char buf[32])
{
  if (n >= 10ULL << 30)
    snprintf (buf, 32, "%.1f GiB", n / 1073741824.0);
  else if (n >= 10ULL << 20)
    snprintf (buf, 32, "%.1f MiB", n / 1048576.0);
  else if (n >= 10ULL << 10)
    snprintf (buf, 32, "%.1f KiB", n / 1024.0);
  else
    snprintf (buf, 32, "%llu B", (unsigned long long) n);
  return buf;
}

static int
list_captures (struct loom_args *args)
{
  loom_error_t err = NULL;
  json_t *req = json_pack ("{s:s}", "cmd", "captures");
  json_t *resp = loom_supervisor_call (args->lab, req, &err), *l;
  char a[32], b[32];
  size_t i;

  json_decref (req);
  if (resp == NULL)
    {
      loom_error_wrap (&err, "list captures (start it: netloom supervisor %s start)", args->lab);
      return loom_cli_fail_err (args->cmd->name, &err);
    }
  printf ("%-24s %-24s %6s %10s %10s %8s  %s\n", "LINK", "PEER", "FILES", "SIZE", "PACKETS",
          "DROPS", "DIRECTORY");
  json_array_foreach (json_object_get (resp, "links"), i, l)
  {
    printf ("%-24s %-24s %6zu %10s %10lld %8lld  %s\n",
            json_string_value (json_object_get (l, "endpoint")),
            json_string_value (json_object_get (l, "peer")),
            json_array_size (json_object_get (l, "files")),
            human_size (json_integer_value (json_object_get (l, "size")), a),
            json_integer_value (json_object_get (l, "packets")),
            json_integer_value (json_object_get (l, "drops")),
            json_string_value (json_object_get (l, "dir")));
  }
  printf ("total %s of %s allowed, snaplen %lld\n",
          human_size (json_integer_value (json_object_get (resp, "total")), a),
          human_size (json_integer_value (json_object_get (resp, "limit")), b),
          json_integer_value (json_object_get (resp, "snaplen")));
  json_decref (resp);
  return LOOM_EXIT_OK;
}

/* The namespace of a node, from the lab's state. */
static char *
node_netns (const char *lab, const char *node, loom_error_t *err)
{
  json_t *st = loom_lab_state_load (lab, err), *n;
  char *ns = NULL;
  size_t i;

  if (st == NULL)
    return NULL;
  json_array_foreach (json_object_get (st, "nodes"), i, n)
  {
    const char *name = json_string_value (json_object_get (n, "name"));
    if (name && strcmp (name, node) == 0)
      ns = loom_xstrdup (json_string_value (json_object_get (n, "netns")));
  }
  json_decref (st);
  if (ns == NULL)
    loom_error_make (err, 0, "lab '%s' has no node '%s'", lab, node);
  return ns;
}

static int
capture_exec (struct loom_args *args)
{
  const char *out_path = loom_args_get (args, "write");
  const char *filter = loom_args_get (args, "filter");
  const char *count_s = loom_args_get (args, "count");
  bool summary = loom_args_has (args, "summary") || out_path == NULL;
  long count = count_s ? loom_cli_parse_count (count_s, 1L << 40) : 0;
  uint32_t snaplen = LOOM_CAPTURE_SNAPLEN_DEFAULT;
  loom_autofree char *node = NULL;
  loom_autofree char *ns = NULL;
  loom_autofree uint8_t *buf = NULL;
  loom_autoclose int fd = -1;
  loom_error_t err = NULL;
  FILE *out = NULL, *text = stdout;
  char *colon;
  long seen = 0;
  struct sigaction sa = { .sa_handler = on_signal };

  if (loom_args_has (args, "list"))
    return list_captures (args);
  if (args->argc < 2)
    return loom_cli_usage_error (args->cmd->name, "which interface? netloom capture %s NODE:IF",
                                 args->argv[0]);
  if (count < 0)
    return loom_cli_usage_error (args->cmd->name, "--count takes a number, not '%s'", count_s);
  node = loom_xstrdup (args->argv[1]);
  colon = strchr (node, ':');
  if (colon == NULL || colon[1] == '\0')
    return loom_cli_usage_error (args->cmd->name, "'%s' is not NODE:IF (e.g. h1:eth1)",
                                 args->argv[1]);
  *colon = '\0';
  ns = node_netns (args->lab, node, &err);
  if (ns == NULL)
    return loom_cli_fail_err (args->cmd->name, &err);
  fd = loom_capture_socket (ns, colon + 1, 0, filter, snaplen, &err);
  if (fd < 0)
    return loom_cli_fail_err (args->cmd->name, &err);

  if (out_path)
    {
      struct loom_pcapng_if ifc = {
        .name = args->argv[1],
        .comment = NULL,
        .linktype = LOOM_LINKTYPE_ETHERNET,
        .snaplen = snaplen,
      };
      out = strcmp (out_path, "-") == 0 ? stdout : fopen (out_path, "we");
      if (out == NULL)
        return loom_cli_fail (args->cmd->name, "cannot write %s: %s", out_path, strerror (errno));
      if (out == stdout)
        text = stderr; /* stdout carries the capture */
      if (loom_pcapng_write_header (out, "live capture by netloom", &ifc, 1, &err) < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      fflush (out);
    }
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  /* Said once the socket is bound: from here on nothing is missed (scripts wait for
   * this line before they make traffic). */
  if (loom_cli_verbosity >= 0)
    fprintf (stderr, "capturing on %s in lab '%s'%s%s (Ctrl-C to stop)\n", args->argv[1],
             args->lab, filter ? ", filter: " : "", filter ? filter : "");
  buf = loom_xmalloc ((size_t) snaplen * 64);

  while (!stop_requested && (count == 0 || seen < count))
    {
      struct loom_frame frames[64];
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int n, i;

      if (poll (&p, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      n = loom_capture_read (fd, buf, snaplen, frames, 64, &err);
      if (n < 0)
        return loom_cli_fail_err (args->cmd->name, &err);
      for (i = 0; i < n && (count == 0 || seen < count); i++, seen++)
        {
          if (out && loom_pcapng_write_packet (out, 0, frames[i].ts_ns, frames[i].data,
                                               frames[i].caplen, frames[i].origlen, frames[i].dir,
                                               &err)
                         < 0)
            {
              /* The reader went away (| head, a closed wireshark): we are done. */
              if (err && err->status == EPIPE)
                {
                  loom_error_release (&err);
                  stop_requested = 1;
                  break;
                }
              return loom_cli_fail_err (args->cmd->name, &err);
            }
          if (summary)
            {
              char line[512], ts[32];
              time_t sec = frames[i].ts_ns / 1000000000ULL;
              struct tm tm;
              localtime_r (&sec, &tm);
              strftime (ts, sizeof ts, "%H:%M:%S", &tm);
              loom_decode_summary (frames[i].data, frames[i].caplen, frames[i].origlen, line,
                                   sizeof line);
              fprintf (text, "%s.%06u %s %s %s\n", ts,
                       (unsigned) (frames[i].ts_ns % 1000000000ULL / 1000), args->argv[1],
                       frames[i].dir == LOOM_DIR_OUTBOUND ? "Out" : "In ", line);
            }
        }
      if (out && !stop_requested && fflush (out) != 0)
        break; /* the reader went away (| head, a closed wireshark) */
      if (summary)
        fflush (text);
    }
  if (out && out != stdout)
    fclose (out);
  if (loom_cli_verbosity >= 0)
    fprintf (stderr, "%ld %s captured\n", seen, loom_cli_plural (seen, "packet", "packets"));
  return LOOM_EXIT_OK;
}

static const struct loom_cmd_opt capture_opts[] = {
  { "write", 'w', "FILE", "write pcapng to FILE ('-': stdout, for | wireshark -k -i -)" },
  { "filter", 'f', "EXPR", "a pcap filter, as tcpdump takes ('icmp', 'tcp port 80')" },
  { "count", 'c', "N", "stop after N packets" },
  { "summary", 's', NULL, "one decoded line per packet (the default without -w)" },
  { "list", 'l', NULL, "list every link's capture files instead" },
  { NULL, 0, NULL, NULL },
};

const struct loom_cmd loom_cmd_capture = {
  .name = "capture",
  .usage = "NAME|FILE NODE:IF [-w FILE|-] [-f EXPR] [-c N] [--summary] | NAME --list",
  .summary = "Watch packets on an interface live, or list the capture files",
  .help = "Every link of a lab is captured from its first packet into\n"
          "./netloom-<lab>/captures/ (see --list and `netloom pcap`). This command streams\n"
          "live from any interface of any node, lo included: one decoded line per packet,\n"
          "or pcapng with -w.\n",
  .example = "  netloom capture quickstart h1:eth1\n"
             "  netloom capture quickstart r1:eth2 -f icmp -c 10\n"
             "  netloom capture quickstart h1:eth1 -w - | wireshark -k -i -\n"
             "  netloom capture quickstart --list\n",
  .opts = capture_opts,
  .min_args = 1,
  .max_args = 2,
  .flags = LOOM_CMD_NEEDS_ROOT | LOOM_CMD_LAB_ARG,
  .exec = capture_exec,
};
