/* Unit tests for the pcapng writer and reader (core/pcapng.c): what netloom writes reads
 * back exactly, and opens in tshark and capinfos without a warning with the interface
 * names, lengths, nanosecond timestamps and directions that were written; the reader
 * takes files cut at any byte (a capture still being written), garbage, big-endian
 * sections and several sections without crashing or reading past its buffers; a link's
 * ring of files (core/capture.c), which queues frames and writes them with writev, keeps
 * every frame's bytes and order across queue growth, full queues and rotation. Runs
 * under valgrind with CK_FORK=no. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/capture.h"
#include "core/pcapng.h"
#include "core/util.h"

#define NS UINT64_C (1000000000)
#define T0 (UINT64_C (1700000000) * NS + 123456789)

static char tmpdir[] = "/tmp/netloom-pcapng-XXXXXX";

static void
setup (void)
{
  strcpy (tmpdir, "/tmp/netloom-pcapng-XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (tmpdir));
}

static void
teardown (void)
{
  ck_assert_int_eq (loom_rm_rf (tmpdir, NULL), 0);
}

static char *
tmp_path (const char *name)
{
  return loom_xasprintf ("%s/%s", tmpdir, name);
}

/* ------------------------------------------------------- the sample capture */

static const struct loom_pcapng_if sample_ifs[] = {
  { "h1:eth1", "link h1:eth1 -- sw1:p1", LOOM_LINKTYPE_ETHERNET, 262144 },
  { "sw1:p1", NULL, LOOM_LINKTYPE_ETHERNET, 262144 },
};

struct sample
{
  uint32_t if_id;
  uint64_t ts_ns;
  uint32_t caplen, origlen;
  enum loom_pkt_dir dir;
};

/* Sizes around the 32-bit padding, a jumbo frame, a snapped frame (caplen < origlen),
 * both directions and an unknown one, timestamps that need all nine digits. */
static const struct sample samples[] = {
  { 0, T0, 1, 1, LOOM_DIR_INBOUND },
  { 1, T0 + 999999999ull, 3, 3, LOOM_DIR_OUTBOUND },
  { 0, T0 + NS + 1, 60, 60, LOOM_DIR_OUTBOUND },
  { 1, T0 + 2 * NS + 7, 1514, 1514, LOOM_DIR_INBOUND },
  { 0, T0 + 2 * NS + 8, 9000, 9000, LOOM_DIR_INBOUND },
  { 1, T0 + 3 * NS + 876543210ull, 96, 1514, LOOM_DIR_OUTBOUND },
  { 0, T0 + 4 * NS, 64, 64, LOOM_DIR_UNKNOWN },
};
#define N_SAMPLES (sizeof (samples) / sizeof (samples[0]))

static uint8_t
sample_byte (size_t pkt, size_t i)
{
  return (uint8_t) (pkt * 31 + i * 7 + (i >> 8));
}

static uint8_t *
sample_data (size_t pkt)
{
  uint8_t *d = loom_xmalloc (samples[pkt].caplen);
  for (size_t i = 0; i < samples[pkt].caplen; i++)
    d[i] = sample_byte (pkt, i);
  return d;
}

/* Writes the sample capture; ends[k] receives the file offset where block k ends (0: the
 * header blocks, 1..N: the packets). Returns the file size. */
static long
write_sample (const char *path, long ends[N_SAMPLES + 1])
{
  loom_error_t err = NULL;
  FILE *f = fopen (path, "w");
  long n, total;

  ck_assert_ptr_nonnull (f);
  n = loom_pcapng_write_header (f, "netloom unit test", sample_ifs, 2, &err);
  ck_assert_msg (n > 0, "write_header: %s", err ? err->msg : "?");
  total = n;
  if (ends)
    ends[0] = total;
  for (size_t k = 0; k < N_SAMPLES; k++)
    {
      loom_autofree uint8_t *d = sample_data (k);
      n = loom_pcapng_write_packet (f, samples[k].if_id, samples[k].ts_ns, d, samples[k].caplen,
                                    samples[k].origlen, samples[k].dir, &err);
      ck_assert_msg (n > 0, "write_packet %zu: %s", k, err ? err->msg : "?");
      /* 28 bytes of header, the padded data, epb_flags + end of options when known, 4. */
      ck_assert_int_eq (n, 32 + ((samples[k].caplen + 3) & ~3u)
                               + (samples[k].dir != LOOM_DIR_UNKNOWN ? 12 : 0));
      total += n;
      if (ends)
        ends[k + 1] = total;
    }
  ck_assert_int_eq (fclose (f), 0);
  ck_assert_ptr_null (err);
  return total;
}

/* ------------------------------------------------------- collecting packets */

struct got
{
  struct loom_pcapng_packet *pkts; /* data copied: the reader's is only valid in the cb */
  size_t n;
  size_t stop_after; /* 0: never stop */
};

static int
collect (const struct loom_pcapng_packet *pkt, void *ctx)
{
  struct got *g = ctx;
  struct loom_pcapng_packet copy = *pkt;
  uint8_t *d = loom_xmalloc (pkt->caplen ? pkt->caplen : 1);

  memcpy (d, pkt->data, pkt->caplen);
  copy.data = d;
  LOOM_PUSH (g->pkts, g->n, copy);
  return g->stop_after && g->n >= g->stop_after;
}

static void
got_clear (struct got *g)
{
  for (size_t i = 0; i < g->n; i++)
    free ((void *) g->pkts[i].data);
  free (g->pkts);
  memset (g, 0, sizeof (*g));
}

static void
free_names (char **names)
{
  for (char **p = names; p && *p; p++)
    free (*p);
  free (names);
}

/* The first n packets read are exactly the first n samples. */
static void
assert_samples (const struct got *g, size_t n)
{
  ck_assert_uint_eq (g->n, n);
  for (size_t k = 0; k < n; k++)
    {
      const struct loom_pcapng_packet *p = &g->pkts[k];
      loom_autofree uint8_t *d = sample_data (k);

      ck_assert_uint_eq (p->if_id, samples[k].if_id);
      ck_assert_msg (p->ts_ns == samples[k].ts_ns, "packet %zu: ts %" PRIu64 " != %" PRIu64, k,
                     p->ts_ns, samples[k].ts_ns);
      ck_assert_uint_eq (p->caplen, samples[k].caplen);
      ck_assert_uint_eq (p->origlen, samples[k].origlen);
      ck_assert_int_eq (p->dir, samples[k].dir);
      ck_assert_msg (memcmp (p->data, d, p->caplen) == 0, "packet %zu: data differs", k);
    }
}

/* ------------------------------------------------------- running tshark */

/* Runs a shell command; returns its exit status, its stdout and its stderr (owned by the
 * caller). tshark as root prints a warning about running as root on every run: that line
 * is about tshark's privileges, not about the file, so it is dropped. */
static int
run (const char *cmd, char **out, char **errout)
{
  loom_autofree char *errpath = tmp_path ("stderr.txt");
  loom_autofree char *full = loom_xasprintf ("%s 2>%s", cmd, errpath);
  char *buf = NULL, *eb = NULL, *line;
  size_t len = 0, cap = 0;
  FILE *p = popen (full, "r");
  int status;

  ck_assert_ptr_nonnull (p);
  for (;;)
    {
      size_t r;
      if (len + 4097 > cap)
        buf = loom_xrealloc (buf, cap = cap * 2 + 8192);
      r = fread (buf + len, 1, cap - len - 1, p);
      if (r == 0)
        break;
      len += r;
    }
  buf[len] = '\0';
  status = pclose (p);
  ck_assert_int_eq (loom_read_file (errpath, &eb, NULL, NULL), 0);
  while ((line = strstr (eb, "Running as user \"")) != NULL)
    {
      char *nl = strchr (line, '\n');
      if (!strstr (line, "This could be dangerous."))
        break;
      memmove (line, nl ? nl + 1 : line + strlen (line), strlen (nl ? nl + 1 : "") + 1);
    }
  *out = buf;
  *errout = eb;
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
assert_tools_present (void)
{
  ck_assert_msg (access ("/usr/bin/tshark", X_OK) == 0 && access ("/usr/bin/capinfos", X_OK) == 0,
                 "tshark/capinfos not installed (make deps installs them)");
}

/* ------------------------------------------------------- tests */

START_TEST (test_roundtrip)
{
  loom_autofree char *path = tmp_path ("sample.pcapng");
  loom_error_t err = NULL;
  struct got g = { 0 };
  char **names = NULL;
  struct stat st;
  long size, n;

  size = write_sample (path, NULL);
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_int_eq (st.st_size, size); /* the returned sizes add up to the file */

  n = loom_pcapng_read (path, collect, &g, &names, &err);
  ck_assert_msg (n == (long) N_SAMPLES, "read %ld: %s", n, err ? err->msg : "");
  assert_samples (&g, N_SAMPLES);
  ck_assert_ptr_nonnull (names);
  ck_assert_str_eq (names[0], "h1:eth1");
  ck_assert_str_eq (names[1], "sw1:p1");
  ck_assert_ptr_null (names[2]);
  free_names (names);
  got_clear (&g);

  /* Stopping early, and no callback at all. */
  g.stop_after = 2;
  ck_assert_int_eq (loom_pcapng_read (path, collect, &g, NULL, &err), 2);
  assert_samples (&g, 2);
  got_clear (&g);
  ck_assert_int_eq (loom_pcapng_read (path, NULL, NULL, NULL, &err), N_SAMPLES);
  ck_assert_ptr_null (err);
}
END_TEST

START_TEST (test_tshark_reads_it)
{
  loom_autofree char *path = tmp_path ("sample.pcapng");
  loom_autofree char *cmd = NULL;
  char *out, *eout, *line, *save = NULL;
  size_t k = 0;

  assert_tools_present ();
  write_sample (path, NULL);

  /* Plain read: no warning, no "appears to be damaged or corrupt". */
  cmd = loom_xasprintf ("tshark -n -r %s", path);
  ck_assert_int_eq (run (cmd, &out, &eout), 0);
  ck_assert_msg (eout[0] == '\0', "tshark stderr: %s", eout);
  free (out);
  free (eout);
  free (cmd);

  /* frame.packet_flags_direction is the epb_flags direction as written (0x1 in, 0x2
   * out); frame.p2p_dir is what Wireshark derives from it (1 received, 0 sent). */
  cmd = loom_xasprintf ("tshark -n -r %s -T fields -E separator=/t -E occurrence=f"
                        " -e frame.interface_name -e frame.len -e frame.cap_len"
                        " -e frame.time_epoch -e frame.packet_flags_direction -e frame.p2p_dir",
                        path);
  ck_assert_int_eq (run (cmd, &out, &eout), 0);
  ck_assert_msg (eout[0] == '\0', "tshark stderr: %s", eout);
  for (line = strtok_r (out, "\n", &save); line; line = strtok_r (NULL, "\n", &save), k++)
    {
      const struct sample *s = &samples[k];
      loom_autofree char *want = NULL;
      const char *dirs = s->dir == LOOM_DIR_INBOUND    ? "0x00000001\t1"
                         : s->dir == LOOM_DIR_OUTBOUND ? "0x00000002\t0"
                                                       : "\t";

      ck_assert_uint_lt (k, N_SAMPLES);
      want = loom_xasprintf ("%s\t%u\t%u\t%" PRIu64 ".%09" PRIu64 "\t%s", sample_ifs[s->if_id].name,
                             s->origlen, s->caplen, s->ts_ns / NS, s->ts_ns % NS, dirs);
      ck_assert_str_eq (line, want);
    }
  ck_assert_uint_eq (k, N_SAMPLES);
  free (out);
  free (eout);
  free (cmd);

  /* Interface comments and the application show in the capture file properties. */
  cmd = loom_xasprintf ("capinfos -M %s", path);
  ck_assert_int_eq (run (cmd, &out, &eout), 0);
  ck_assert_msg (eout[0] == '\0', "capinfos stderr: %s", eout);
  ck_assert_msg (strstr (out, "Number of packets:   7\n"), "capinfos: %s", out);
  ck_assert_msg (strstr (out, "File timestamp precision:  nanoseconds (9)\n"), "capinfos: %s", out);
  ck_assert_msg (strstr (out, "Capture application: netloom 0.1.0\n"), "capinfos: %s", out);
  ck_assert_msg (strstr (out, "netloom unit test"), "capinfos: %s", out);
  ck_assert_msg (strstr (out, "Name = h1:eth1"), "capinfos: %s", out);
  ck_assert_msg (strstr (out, "Name = sw1:p1"), "capinfos: %s", out);
  ck_assert_msg (strstr (out, "link h1:eth1 -- sw1:p1"), "capinfos: %s", out);
  free (out);
  free (eout);
}
END_TEST

/* A capture being written (or killed) ends anywhere: every cut reads without error and
 * yields exactly the packets whose blocks are complete. */
START_TEST (test_cut_at_every_byte)
{
  loom_autofree char *path = tmp_path ("cut.pcapng");
  long ends[N_SAMPLES + 1], size = write_sample (path, ends);

  for (long cut = size; cut >= 0; cut--)
    {
      loom_error_t err = NULL;
      struct got g = { 0 };
      char **names = NULL;
      size_t want = 0;
      long n;

      ck_assert_int_eq (truncate (path, cut), 0);
      n = loom_pcapng_read (path, collect, &g, &names, &err);
      ck_assert_msg (n >= 0, "cut at %ld: %s", cut, err ? err->msg : "");
      while (want < N_SAMPLES && ends[want + 1] <= cut)
        want++;
      ck_assert_msg ((size_t) n == want, "cut at %ld: %ld packets, want %zu", cut, n, want);
      assert_samples (&g, want);
      if (cut >= ends[0])
        ck_assert (names[0] && names[1] && !names[2]);
      free_names (names);
      got_clear (&g);
    }
}
END_TEST

static void
write_bytes (const char *path, const void *p, size_t n)
{
  ck_assert_int_eq (loom_write_file (path, p, n, NULL), 0);
}

/* Any bytes: -1 with a message, or no packets; never a crash or a read past the buffer
 * (valgrind watches). Then the real file with random bytes changed. */
START_TEST (test_garbage)
{
  loom_autofree char *path = tmp_path ("garbage.pcapng");
  loom_autofree char *good = tmp_path ("good.pcapng");
  loom_autofree char *orig = NULL;
  uint8_t buf[4096];
  size_t good_len;

  srand (1);
  for (int round = 0; round < 300; round++)
    {
      size_t n = rand () % sizeof (buf), start = 0;
      loom_error_t err = NULL;
      long r;

      if (round % 2)
        {
          /* A valid section header (no interfaces), then garbage. */
          static const uint8_t shb[28]
              = { 0x0a, 0x0d, 0x0d, 0x0a, 28,   0,    0,    0,    0x4d, 0x3c, 0x2b, 0x1a, 1, 0,
                  0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28,   0,    0, 0 };
          memcpy (buf, shb, sizeof (shb));
          start = sizeof (shb);
          n += start;
          if (n > sizeof (buf))
            n = sizeof (buf);
        }
      for (size_t i = start; i < n; i++)
        buf[i] = rand ();
      /* Small lengths make plausible blocks more likely. */
      if (round % 4 == 1 && n >= start + 8)
        {
          buf[start + 4] = (rand () % 16) * 4;
          buf[start + 5] = buf[start + 6] = buf[start + 7] = 0;
        }
      write_bytes (path, buf, n);
      r = loom_pcapng_read (path, NULL, NULL, NULL, &err);
      ck_assert_msg (r == 0 || r == -1, "round %d: %ld packets from garbage", round, r);
      ck_assert (r == 0 || (err && err->msg));
      loom_error_release (&err);
    }

  write_sample (good, NULL);
  ck_assert_int_eq (loom_read_file (good, &orig, &good_len, NULL), 0);
  for (int round = 0; round < 2000; round++)
    {
      loom_autofree char *copy = loom_xmalloc (good_len);
      loom_error_t err = NULL;
      char **names = NULL;
      long r;

      memcpy (copy, orig, good_len);
      for (int flips = 1 + rand () % 4; flips > 0; flips--)
        copy[rand () % good_len] = rand ();
      write_bytes (path, copy, good_len);
      r = loom_pcapng_read (path, NULL, NULL, &names, &err);
      ck_assert (r >= -1 && r <= (long) N_SAMPLES);
      ck_assert (r >= 0 || (err && err->msg && !names));
      free_names (names);
      loom_error_release (&err);
    }

  /* Not a file at all, and a classic pcap file: named errors. */
  {
    loom_error_t err = NULL;
    static const uint8_t pcap[24]
        = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0 };
    loom_autofree char *missing = tmp_path ("missing.pcapng");

    ck_assert_int_eq (loom_pcapng_read (missing, NULL, NULL, NULL, &err), -1);
    ck_assert_int_eq (err->status, ENOENT);
    loom_error_release (&err);
    write_bytes (path, pcap, sizeof (pcap));
    ck_assert_int_eq (loom_pcapng_read (path, NULL, NULL, NULL, &err), -1);
    ck_assert_msg (strstr (err->msg, "pcap file, not pcapng"), "got: %s", err->msg);
    loom_error_release (&err);
  }
}
END_TEST

/* ------------------------------------------------------- hand-made files */

/* Builds blocks by hand in either byte order, for what netloom never writes. */
struct hb
{
  uint8_t b[1024];
  size_t n, start;
  bool be;
};

static void
hb_put (struct hb *h, uint64_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    h->b[h->n++] = h->be ? v >> (8 * (bytes - 1 - i)) : v >> (8 * i);
}

static void
hb_raw (struct hb *h, const void *p, size_t n)
{
  memcpy (h->b + h->n, p, n);
  h->n += n;
  while (h->n % 4)
    h->b[h->n++] = 0;
}

static void
hb_begin (struct hb *h, uint32_t type)
{
  h->start = h->n;
  hb_put (h, type, 4);
  hb_put (h, 0, 4);
}

static void
hb_end (struct hb *h)
{
  uint32_t len = h->n - h->start + 4;
  size_t save;

  hb_put (h, len, 4);
  save = h->n;
  h->n = h->start + 4;
  hb_put (h, len, 4);
  h->n = save;
}

static void
hb_opt (struct hb *h, uint16_t code, const void *p, uint16_t len)
{
  hb_put (h, code, 2);
  hb_put (h, len, 2);
  hb_raw (h, p, len);
}

static void
hb_shb (struct hb *h)
{
  hb_begin (h, 0x0A0D0D0A);
  hb_put (h, 0x1A2B3C4D, 4);
  hb_put (h, 1, 2);
  hb_put (h, 0, 2);
  hb_put (h, UINT64_MAX, 8);
  hb_end (h);
}

static void
hb_idb (struct hb *h, const char *name, int tsresol, uint32_t snaplen)
{
  uint8_t r = tsresol;

  hb_begin (h, 1);
  hb_put (h, LOOM_LINKTYPE_ETHERNET, 2);
  hb_put (h, 0, 2);
  hb_put (h, snaplen, 4);
  hb_opt (h, 2, name, strlen (name));
  if (tsresol >= 0)
    hb_opt (h, 9, &r, 1);
  hb_put (h, 0, 4);
  hb_end (h);
}

/* An enhanced (type 6) or obsolete (type 2) packet block with pack/epb_flags. */
static void
hb_packet (struct hb *h, uint32_t type, uint32_t if_id, uint64_t ts, const char *data,
           uint32_t origlen, uint32_t flags)
{
  hb_begin (h, type);
  if (type == 6)
    hb_put (h, if_id, 4);
  else
    {
      hb_put (h, if_id, 2);
      hb_put (h, 0, 2); /* drops */
    }
  hb_put (h, ts >> 32, 4);
  hb_put (h, ts & 0xffffffffu, 4);
  hb_put (h, strlen (data), 4);
  hb_put (h, origlen, 4);
  hb_raw (h, data, strlen (data));
  hb_put (h, 2, 2);
  hb_put (h, 4, 2);
  hb_put (h, flags, 4);
  hb_put (h, 0, 4);
  hb_end (h);
}

/* A big-endian section (as a big-endian host writes it) with microsecond and binary
 * resolutions, a simple and an obsolete packet block and a block type the reader does
 * not know; then a little-endian section written by netloom, whose interface ids start
 * again at 0. */
START_TEST (test_big_endian_and_sections)
{
  loom_autofree char *path = tmp_path ("be.pcapng");
  loom_autofree char *cmd = NULL;
  loom_error_t err = NULL;
  struct hb h = { .be = true };
  struct got g = { 0 };
  char **names = NULL;
  FILE *f;
  long n;

  hb_shb (&h);
  hb_idb (&h, "be0", -1, 65535);        /* no if_tsresol: microseconds */
  hb_idb (&h, "be1", 0x80 | 10, 65535); /* 2^-10 s */
  hb_idb (&h, "be2", 3, 4);             /* milliseconds; snaplen 4 */
  hb_packet (&h, 6, 0, 1700000000123456ull, "abcdefg", 7, 1);
  hb_begin (&h, 0x99); /* a block type nobody knows: skipped */
  hb_put (&h, 0xdeadbeef, 4);
  hb_end (&h);
  hb_begin (&h, 4); /* an empty name resolution block: skipped */
  hb_put (&h, 0, 4);
  hb_end (&h);
  hb_packet (&h, 6, 1, 5 * 1024 + 512, "xyz", 100, 2);
  hb_packet (&h, 2, 2, 1700000000123ull, "pb", 2, 1);
  hb_begin (&h, 3); /* simple packet block: interface 0, no timestamp, no flags */
  hb_put (&h, 9, 4);
  hb_raw (&h, "simple pk", 9);
  hb_end (&h);
  write_bytes (path, h.b, h.n);

  f = fopen (path, "a");
  ck_assert_ptr_nonnull (f);
  ck_assert_int_gt (loom_pcapng_write_header (f, NULL, &sample_ifs[1], 1, &err), 0);
  ck_assert_int_gt (loom_pcapng_write_packet (f, 0, T0, "le", 2, 2, LOOM_DIR_OUTBOUND, &err), 0);
  ck_assert_int_eq (fclose (f), 0);

  n = loom_pcapng_read (path, collect, &g, &names, &err);
  ck_assert_msg (n == 5, "read %ld: %s", n, err ? err->msg : "");
  ck_assert_uint_eq (g.n, 5);

  ck_assert_uint_eq (g.pkts[0].if_id, 0);
  ck_assert_uint_eq (g.pkts[0].ts_ns, 1700000000123456000ull);
  ck_assert_uint_eq (g.pkts[0].caplen, 7);
  ck_assert_mem_eq (g.pkts[0].data, "abcdefg", 7);
  ck_assert_int_eq (g.pkts[0].dir, LOOM_DIR_INBOUND);

  ck_assert_uint_eq (g.pkts[1].if_id, 1);
  ck_assert_uint_eq (g.pkts[1].ts_ns, 5500000000ull);
  ck_assert_uint_eq (g.pkts[1].caplen, 3);
  ck_assert_uint_eq (g.pkts[1].origlen, 100);
  ck_assert_int_eq (g.pkts[1].dir, LOOM_DIR_OUTBOUND);

  ck_assert_uint_eq (g.pkts[2].if_id, 2);
  ck_assert_uint_eq (g.pkts[2].ts_ns, 1700000000123000000ull);
  ck_assert_mem_eq (g.pkts[2].data, "pb", 2);
  ck_assert_int_eq (g.pkts[2].dir, LOOM_DIR_INBOUND);

  /* Its captured length is the frame's: below interface 0's snaplen, within the block. */
  ck_assert_uint_eq (g.pkts[3].if_id, 0);
  ck_assert_uint_eq (g.pkts[3].ts_ns, 0);
  ck_assert_uint_eq (g.pkts[3].caplen, 9);
  ck_assert_uint_eq (g.pkts[3].origlen, 9);
  ck_assert_mem_eq (g.pkts[3].data, "simple pk", 9);
  ck_assert_int_eq (g.pkts[3].dir, LOOM_DIR_UNKNOWN);

  ck_assert_uint_eq (g.pkts[4].if_id, 0);
  ck_assert_uint_eq (g.pkts[4].ts_ns, T0);
  ck_assert_mem_eq (g.pkts[4].data, "le", 2);
  ck_assert_int_eq (g.pkts[4].dir, LOOM_DIR_OUTBOUND);

  /* The names are the first section's. */
  ck_assert_str_eq (names[0], "be0");
  ck_assert_str_eq (names[1], "be1");
  ck_assert_str_eq (names[2], "be2");
  ck_assert_ptr_null (names[3]);
  free_names (names);
  got_clear (&g);

  /* The hand-made file is a valid one: tshark reads the same five packets (no time for
   * the simple packet block, which has none). Not the name
   * of the second section's interface, though: tshark 4.0 looks names up by the id
   * within the section in the first section's list (it shows be0, not sw1:p1). */
  assert_tools_present ();
  {
    char *out, *eout;
    cmd = loom_xasprintf ("tshark -n -r %s -T fields -E separator=/t -e frame.section_number"
                          " -e frame.interface_id -e frame.time_epoch -e frame.len"
                          " -e frame.interface_name",
                          path);
    ck_assert_int_eq (run (cmd, &out, &eout), 0);
    ck_assert_msg (eout[0] == '\0', "tshark stderr: %s", eout);
    ck_assert_msg (strncmp (out,
                            "1\t0\t1700000000.123456000\t7\tbe0\n"
                            "1\t1\t5.500000000\t100\tbe1\n"
                            "1\t2\t1700000000.123000000\t2\tbe2\n"
                            "1\t0\t\t9\tbe0\n"
                            "2\t0\t1700000000.123456789\t2\t",
                            strlen ("1\t0\t1700000000.123456000\t7\tbe0\n"
                                    "1\t1\t5.500000000\t100\tbe1\n"
                                    "1\t2\t1700000000.123000000\t2\tbe2\n"
                                    "1\t0\t\t9\tbe0\n"
                                    "2\t0\t1700000000.123456789\t2\t"))
                       == 0,
                   "tshark: %s", out);
    free (out);
    free (eout);
  }
}
END_TEST

START_TEST (test_write_errors)
{
  loom_autofree char *path = tmp_path ("ro.pcapng");
  loom_error_t err = NULL;
  FILE *f;

  write_bytes (path, "", 0);
  f = fopen (path, "r");
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (loom_pcapng_write_header (f, NULL, sample_ifs, 2, &err), -1);
  ck_assert_ptr_nonnull (err);
  loom_error_release (&err);
  ck_assert_int_eq (loom_pcapng_write_packet (f, 0, T0, "abcd", 4, 4, LOOM_DIR_INBOUND, &err), -1);
  ck_assert_ptr_nonnull (err);
  loom_error_release (&err);
  /* More captured than was on the wire: refused before anything is written. */
  ck_assert_int_eq (loom_pcapng_write_packet (f, 0, T0, "abcd", 4, 3, LOOM_DIR_INBOUND, &err), -1);
  ck_assert_int_eq (err->status, EINVAL);
  loom_error_release (&err);
  fclose (f);

  /* An empty file is a capture that has not started: no packets, no error. */
  ck_assert_int_eq (loom_pcapng_read (path, NULL, NULL, NULL, &err), 0);
  ck_assert_ptr_null (err);
}
END_TEST

/* ------------------------------------------------------- the ring of files */

#define RING_FRAMES 1500

struct ring_check
{
  const uint8_t *buf;
  const uint32_t *off;
  uint32_t next; /* the frame expected next: frames alternate between two rings */
};

static uint32_t
ring_caplen (uint32_t i)
{
  return (i * 37) % 3000 + 1;
}

static int
ring_check_packet (const struct loom_pcapng_packet *pkt, void *ctx)
{
  struct ring_check *x = ctx;
  uint32_t i = x->next;

  x->next += 2;
  ck_assert_uint_lt (i, RING_FRAMES);
  ck_assert_uint_eq (pkt->caplen, ring_caplen (i));
  ck_assert_uint_eq (pkt->origlen, ring_caplen (i) + i % 2);
  ck_assert_uint_eq (pkt->ts_ns, T0 + i);
  ck_assert_int_eq (pkt->dir, i % 3 == 0 ? LOOM_DIR_INBOUND : LOOM_DIR_OUTBOUND);
  ck_assert_msg (memcmp (pkt->data, x->buf + x->off[i], pkt->caplen) == 0, "frame %u differs", i);
  return 0;
}

/* Frames of two links, queued by reference (as the supervisor does, straight from the
 * capture ring) and written in batches (flushed every 700 frames, more than one writev
 * holds), files rotating at 256 KiB: every frame comes back in its link's files, in
 * order and intact, while the queues grow side by side. */
START_TEST (test_ring_files)
{
  static uint32_t off[RING_FRAMES];
  const char *names[] = { "h1-eth1", "h2-eth1" };
  struct loom_ring ring[2], *rings[] = { &ring[0], &ring[1] };
  struct loom_ring_set set = { rings, 2, 64 << 20, 0 };
  loom_error_t err = NULL;
  uint8_t *buf;
  size_t total = 0, i, k;

  /* Freed memory is overwritten: a queue that kept pointers into memory it had given
   * back would write garbage. */
  mallopt (M_PERTURB, 0x5a);
  for (i = 0; i < RING_FRAMES; i++)
    {
      off[i] = total;
      total += ring_caplen (i);
    }
  buf = loom_xmalloc (total);
  for (i = 0; i < total; i++)
    buf[i] = (uint8_t) (i * 2654435761u >> 13);
  for (k = 0; k < 2; k++)
    {
      ring[k] = (struct loom_ring){
        .dir = tmp_path (names[k]),
        .name = (char *) names[k],
        .if_name = (char *) names[k],
        .snaplen = 65535,
        .file_size = 256 << 10,
        .limit = 32 << 20,
      };
      ck_assert_int_eq (loom_ring_open (&ring[k], &set, &err), 0);
    }
  for (i = 0; i < RING_FRAMES; i++)
    {
      struct loom_frame fr = { buf + off[i], ring_caplen (i), ring_caplen (i) + i % 2, T0 + i,
                               i % 3 == 0 ? LOOM_DIR_INBOUND : LOOM_DIR_OUTBOUND };
      ck_assert_int_eq (loom_ring_write (&ring[i % 2], &set, &fr, &err), 0);
      if (i % 700 == 699)
        for (k = 0; k < 2; k++)
          ck_assert_int_eq (loom_ring_flush (&ring[k], &err), 0);
    }
  for (k = 0; k < 2; k++)
    {
      struct ring_check x = { buf, off, (uint32_t) k };

      ck_assert_uint_eq (ring[k].packets, RING_FRAMES / 2);
      ck_assert_uint_gt (ring[k].n_files, 2);
      loom_ring_close (&ring[k]);
      for (i = 1; i < ring[k].next_seq; i++)
        {
          loom_autofree char *f = loom_xasprintf ("%s/%s-%06zu.pcapng", ring[k].dir, names[k], i);
          struct stat st;

          ck_assert_int_eq (stat (f, &st), 0);
          ck_assert_uint_le (st.st_size, 256 << 10);
          ck_assert_int_ge (loom_pcapng_read (f, ring_check_packet, &x, NULL, &err), 1);
        }
      ck_assert_uint_eq (x.next, RING_FRAMES + k);
      free (ring[k].dir);
    }
  free (buf);
  mallopt (M_PERTURB, 0);
}
END_TEST

static Suite *
pcapng_suite (void)
{
  Suite *s = suite_create ("pcapng");
  TCase *tc = tcase_create ("pcapng");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_roundtrip);
  tcase_add_test (tc, test_tshark_reads_it);
  tcase_add_test (tc, test_cut_at_every_byte);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_big_endian_and_sections);
  tcase_add_test (tc, test_write_errors);
  tcase_add_test (tc, test_ring_files);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (pcapng_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
