/* `netloom pcap LAB LINK [-o FILE]`: one link's ring of capture files as a single
 * pcapng, packets in order — for Wireshark, or for mailing to a teacher. */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/lab.h"
#include "core/pcapng.h"
#include "core/supervisor.h"
#include "core/util.h"

struct export
{
  FILE *out;
  long packets;
  loom_error_t err;
};

static int
write_one (const struct loom_pcapng_packet *pkt, void *ctx)
{
  struct export *x = ctx;
  if (loom_pcapng_write_packet (x->out, 0, pkt->ts_ns, pkt->data, pkt->caplen, pkt->origlen,
                                pkt->dir, &x->err)
      < 0)
    return 1;
  x->packets++;
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
pcap_exec (struct loom_args *args)
{
  const char *want = args->argv[1];
  const char *out_path = loom_args_get (args, "output");
  loom_error_t err = NULL;
  /* A lab that is gone is read from its file: its captures stay after destroy. */
  json_t *st = args->lab ? loom_lab_state_load (args->lab, &err)
                         : loom_lab_state_from_file (args->argv[0], &err),
         *l;
  const char *labdir, *name = NULL, *endpoint = NULL, *peer_s = NULL;
  loom_autofree char *ep = NULL;
  loom_autofree char *peer = NULL;
  loom_autofree char *dir = NULL;
  char **files = NULL;
  size_t n_files = 0, i;
  struct export x = { NULL, 0, NULL };
  DIR *d;
  struct dirent *de;
  int rc = LOOM_EXIT_OK;

  if (st == NULL)
    return loom_cli_fail_err (args->cmd->name, &err);
  labdir = json_string_value (json_object_get (st, "labdir"));
  json_array_foreach (json_object_get (st, "links"), i, l)
  {
    json_t *a = json_object_get (l, "a"), *z = json_object_get (l, "z");
    char *ae = loom_xasprintf ("%s:%s", json_string_value (json_object_get (a, "node")),
                               json_string_value (json_object_get (a, "interface")));
    char *ze = loom_xasprintf ("%s:%s", json_string_value (json_object_get (z, "node")),
                               json_string_value (json_object_get (z, "interface")));
    const char *cn = json_string_value (json_object_get (l, "capture_name"));
    if (name == NULL
        && (strcmp (want, ae) == 0 || strcmp (want, ze) == 0 || (cn && strcmp (want, cn) == 0)))
      {
        name = cn;
        ep = loom_xstrdup (ae);
        peer = loom_xstrdup (ze);
        if (!json_is_true (json_object_get (l, "capture")))
          name = NULL, endpoint = "off";
      }
    free (ae);
    free (ze);
  }
  (void) peer_s;
  if (name == NULL)
    {
      json_decref (st);
      if (endpoint)
        return loom_cli_fail (args->cmd->name, "link %s is not captured (capture: false)", want);
      return loom_cli_fail (args->cmd->name,
                            "lab '%s' has no link '%s' (name a link by either end, e.g. h1:eth1)",
                            args->lab ? args->lab : args->argv[0], want);
    }
  /* A running supervisor first writes out what it holds, so the export has every
   * frame up to now. */
  if (args->lab)
  {
    json_t *req = json_pack ("{s:s}", "cmd", "captures");
    loom_error_t e = NULL;
    json_decref (loom_supervisor_call (args->lab, req, &e));
    json_decref (req);
    loom_error_release (&e);
  }
  dir = loom_xasprintf ("%s/captures/%s", labdir, name);
  d = opendir (dir);
  if (d == NULL)
    {
      json_decref (st);
      return loom_cli_fail (args->cmd->name, "no capture files for %s in %s: %s", want, dir,
                            strerror (errno));
    }
  while ((de = readdir (d)))
    {
      size_t len = strlen (de->d_name);
      if (len > 7 && strcmp (de->d_name + len - 7, ".pcapng") == 0)
        LOOM_PUSH (files, n_files, loom_xasprintf ("%s/%s", dir, de->d_name));
    }
  closedir (d);
  /* <name>-<zero-padded seq>.pcapng: the names sort in capture order. */
  qsort (files, n_files, sizeof *files, cmp_str);

  x.out = out_path == NULL || strcmp (out_path, "-") == 0 ? stdout : fopen (out_path, "we");
  if (x.out == NULL)
    rc = loom_cli_fail (args->cmd->name, "cannot write %s: %s", out_path, strerror (errno));
  else
    {
      loom_autofree char *comment = loom_xasprintf ("link %s -- %s", ep, peer);
      struct loom_pcapng_if ifc = { ep, comment, LOOM_LINKTYPE_ETHERNET,
                                    (uint32_t) json_integer_value (json_object_get (
                                        json_object_get (st, "capture"), "snaplen")) };
      if (ifc.snaplen == 0)
        ifc.snaplen = LOOM_CAPTURE_SNAPLEN_DEFAULT;
      if (loom_pcapng_write_header (x.out, comment, &ifc, 1, &err) < 0)
        rc = loom_cli_fail_err (args->cmd->name, &err);
      for (i = 0; i < n_files && rc == LOOM_EXIT_OK; i++)
        if (loom_pcapng_read (files[i], write_one, &x, NULL, &err) < 0 || x.err)
          {
            if (x.err)
              loom_error_move (&err, &x.err);
            rc = loom_cli_fail_err (args->cmd->name, &err);
          }
      if (fflush (x.out) != 0 && rc == LOOM_EXIT_OK)
        rc = loom_cli_fail (args->cmd->name, "write failed: %s", strerror (errno));
      if (x.out != stdout)
        fclose (x.out);
      if (rc == LOOM_EXIT_OK && loom_cli_verbosity >= 0)
        fprintf (stderr, "%ld %s from %zu %s of link %s\n", x.packets,
                 loom_cli_plural (x.packets, "packet", "packets"), n_files,
                 loom_cli_plural (n_files, "file", "files"), ep);
    }
  for (i = 0; i < n_files; i++)
    free (files[i]);
  free (files);
  json_decref (st);
  return rc;
}

static const struct loom_cmd_opt pcap_opts[] = {
  { "output", 'o', "FILE", "write to FILE instead of stdout" },
  { NULL, 0, NULL, NULL },
};

const struct loom_cmd loom_cmd_pcap = {
  .name = "pcap",
  .usage = "NAME|FILE LINK [-o FILE]",
  .summary = "Export a link's capture as one pcapng file",
  .help = "Joins the ring of capture files of one link (named by either end, e.g. h1:eth1)\n"
          "into one pcapng, packets in order: what the link carried since the lab was\n"
          "deployed, as far back as the ring's size limit keeps. After destroy, give the\n"
          "lab file: the captures stay until destroy --cleanup.\n",
  .example = "  netloom pcap quickstart h1:eth1 -o h1.pcapng\n"
             "  netloom pcap quickstart r1:eth2 | tshark -r -\n",
  .opts = pcap_opts,
  .min_args = 2,
  .max_args = 2,
  .flags = LOOM_CMD_LAB_ARG | LOOM_CMD_LAB_MAY_BE_GONE,
  .exec = pcap_exec,
};
