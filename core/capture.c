/* Capture sockets and pcapng file rings (see capture.h). A quiet link costs one socket
 * and one open file: frames are read in batches with recvmmsg, and the kernel keeps no
 * ring of its own for a socket until frames arrive. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/capture.h"
#include "core/netns.h"
#include "core/pcapng.h"
#include "core/util.h"

#define CAPTURE_RCVBUF (4 << 20)

static int
attach_filter (int fd, const char *expr, uint32_t snaplen, loom_error_t *err)
{
  pcap_t *p = pcap_open_dead (DLT_EN10MB, (int) snaplen);
  struct bpf_program prog;
  struct sock_fprog fprog;
  int r = 0;

  if (p == NULL)
    return loom_error_make (err, ENOMEM, "filter");
  if (pcap_compile (p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
    {
      r = loom_error_make (err, 0, "filter '%s': %s", expr, pcap_geterr (p));
      pcap_close (p);
      return r;
    }
  fprog.len = prog.bf_len;
  fprog.filter = (struct sock_filter *) prog.bf_insns;
  if (setsockopt (fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0)
    r = loom_error_make (err, errno, "attach filter '%s'", expr);
  pcap_freecode (&prog);
  pcap_close (p);
  return r;
}

int
loom_capture_socket (const char *netns, const char *ifname, int ifindex, const char *bpf_filter,
                     uint32_t snaplen, loom_error_t *err)
{
  loom_autoclose int nsfd = loom_netns_open (netns, err);
  int fd, one = 1, rcvbuf = CAPTURE_RCVBUF;
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons (ETH_P_ALL) };

  if (nsfd < 0)
    return -1;
  /* Protocol 0: the socket receives nothing until it is bound, after its filter. */
  fd = loom_netns_socket (nsfd, AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, err);
  if (fd < 0)
    return loom_error_wrap (err, "packet socket in %s", netns);
  if (ifindex <= 0)
    {
      struct ifreq ifr = { 0 };
      snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
      if (ioctl (fd, SIOCGIFINDEX, &ifr) < 0)
        {
          int e = errno;
          close (fd);
          return loom_error_make (err, e, "interface %s", ifname);
        }
      ifindex = ifr.ifr_ifindex;
    }
  if (bpf_filter && *bpf_filter && attach_filter (fd, bpf_filter, snaplen, err) < 0)
    {
      close (fd);
      return -1;
    }
  setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sll.sll_ifindex = ifindex;
  if (bind (fd, (struct sockaddr *) &sll, sizeof sll) < 0)
    {
      int e = errno;
      close (fd);
      return loom_error_make (err, e, "bind packet socket to %s", ifname ? ifname : "interface");
    }
  return fd;
}

#define READ_BATCH 64

int
loom_capture_read (int fd, uint8_t *buf, uint32_t snaplen, struct loom_frame *frames, int max,
                   loom_error_t *err)
{
  struct mmsghdr msgs[READ_BATCH];
  struct iovec iov[READ_BATCH];
  struct sockaddr_ll from[READ_BATCH];
  char ctrl[READ_BATCH][CMSG_SPACE (sizeof (struct timespec))];
  int i, n;

  if (max > READ_BATCH)
    max = READ_BATCH;
  memset (msgs, 0, sizeof (msgs[0]) * max);
  for (i = 0; i < max; i++)
    {
      iov[i].iov_base = buf + (size_t) i * snaplen;
      iov[i].iov_len = snaplen;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
    }
  /* MSG_TRUNC: msg_len is the frame's real length even when it did not fit. */
  n = recvmmsg (fd, msgs, max, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (n < 0)
    {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
      return loom_error_make (err, errno, "read packets");
    }
  for (i = 0; i < n; i++)
    {
      struct cmsghdr *c;
      struct loom_frame *fr = &frames[i];

      fr->data = buf + (size_t) i * snaplen;
      fr->origlen = msgs[i].msg_len;
      fr->caplen = msgs[i].msg_len < snaplen ? msgs[i].msg_len : snaplen;
      fr->dir = from[i].sll_pkttype == PACKET_OUTGOING ? LOOM_DIR_OUTBOUND : LOOM_DIR_INBOUND;
      fr->ts_ns = 0;
      for (c = CMSG_FIRSTHDR (&msgs[i].msg_hdr); c; c = CMSG_NXTHDR (&msgs[i].msg_hdr, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
          {
            struct timespec ts;
            memcpy (&ts, CMSG_DATA (c), sizeof ts);
            fr->ts_ns = (uint64_t) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
          }
      if (fr->ts_ns == 0)
        {
          struct timespec ts;
          clock_gettime (CLOCK_REALTIME, &ts);
          fr->ts_ns = (uint64_t) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
        }
    }
  return n;
}

uint64_t
loom_capture_drops (int fd)
{
  struct tpacket_stats st;
  socklen_t len = sizeof st;
  if (getsockopt (fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
    return 0;
  return st.tp_drops;
}

/* ---- the ring of files ---------------------------------------------------------- */

static char *
ring_path (const struct loom_ring *ring, uint32_t seq)
{
  return loom_xasprintf ("%s/%s-%06u.pcapng", ring->dir, ring->name, seq);
}

static int
cmp_file (const void *a, const void *b)
{
  const struct loom_ring_file *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* At most IOV_MAX (1024) iovecs a writev: 341 frames. */
#define RING_QUEUE_MAX 341

/* Writes the queue out (3 iovecs a frame: head, data, tail), however many writev
 * calls it takes. */
static int
ring_write_queue (struct loom_ring *ring, loom_error_t *err)
{
  struct iovec vec[3 * RING_QUEUE_MAX], *iov = vec;
  int n = 0;
  size_t i;

  for (i = 0; i < ring->n_queued; i++)
    {
      struct loom_ring_blk *b = &ring->blk[i];
      vec[n++] = (struct iovec){ b->head, sizeof b->head };
      vec[n++] = (struct iovec){ (void *) b->data, b->caplen };
      vec[n++] = (struct iovec){ b->tail, b->tail_len };
    }
  ring->n_queued = 0;
  while (n > 0)
    {
      ssize_t w = writev (ring->fd, iov, n);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return loom_error_make (err, errno, "writing %s/%s", ring->dir, ring->name);
        }
      /* Short write (a full disk, a signal): go on after what went out. */
      while (n > 0 && (size_t) w >= iov->iov_len)
        {
          w -= iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (uint8_t *) iov->iov_base + w;
          iov->iov_len -= w;
        }
    }
  return 0;
}

static int
ring_open_next (struct loom_ring *ring, struct loom_ring_set *set, loom_error_t *err)
{
  loom_autofree char *path = NULL;
  loom_autofree uint8_t *hdr = NULL;
  struct loom_pcapng_if ifc = {
    .name = ring->if_name,
    .comment = ring->comment,
    .linktype = LOOM_LINKTYPE_ETHERNET,
    .snaplen = ring->snaplen,
  };
  long w;

  if (ring->n_files == 0 && loom_mkdir_p (ring->dir, 0755, err) < 0)
    return -1;
  path = ring_path (ring, ring->next_seq);
  w = loom_pcapng_header_bytes (&hdr, ring->comment, &ifc, 1, err);
  if (w < 0)
    return -1;
  ring->fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (ring->fd < 0)
    return loom_error_make (err, errno, "create %s", path);
  if (write (ring->fd, hdr, w) != w)
    {
      int e = errno ? errno : EIO;
      close (ring->fd);
      ring->fd = -1;
      unlink (path);
      return loom_error_make (err, e, "write %s", path);
    }
  ring->cur_size = w;
  LOOM_PUSH (ring->files, ring->n_files, ((struct loom_ring_file){ ring->next_seq, (uint64_t) w }));
  ring->next_seq++;
  ring->total += w;
  set->total += w;
  return 0;
}

int
loom_ring_open (struct loom_ring *ring, struct loom_ring_set *set, loom_error_t *err)
{
  loom_autofree char *prefix = loom_xasprintf ("%s-", ring->name);
  DIR *d;
  struct dirent *de;

  ring->fd = -1;
  d = opendir (ring->dir);
  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          ring->next_seq = 1;
          return 0; /* the first frame creates the directory and the file */
        }
      return loom_error_make (err, errno, "open %s", ring->dir);
    }
  while ((de = readdir (d)))
    {
      size_t pl = strlen (prefix);
      char *end;
      unsigned long seq;
      struct stat st;

      if (strncmp (de->d_name, prefix, pl) != 0)
        continue;
      seq = strtoul (de->d_name + pl, &end, 10);
      if (end == de->d_name + pl || strcmp (end, ".pcapng") != 0)
        continue;
      if (fstatat (dirfd (d), de->d_name, &st, 0) < 0)
        continue;
      LOOM_PUSH (ring->files, ring->n_files, ((struct loom_ring_file){ (uint32_t) seq, (uint64_t) st.st_size }));
      ring->total += st.st_size;
      set->total += st.st_size;
      if (seq + 1 > ring->next_seq)
        ring->next_seq = seq + 1;
    }
  closedir (d);
  if (ring->n_files > 1)
    qsort (ring->files, ring->n_files, sizeof *ring->files, cmp_file);
  if (ring->next_seq == 0)
    ring->next_seq = 1;
  /* A new file for this run; a quiet link still gets none until its first frame. */
  return 0;
}

/* Deletes the ring's oldest file (never the open one). */
static bool
ring_drop_oldest (struct loom_ring *ring, struct loom_ring_set *set)
{
  loom_autofree char *path = NULL;

  if (ring->n_files < (ring->fd >= 0 ? 2u : 1u))
    return false;
  path = ring_path (ring, ring->files[0].seq);
  unlink (path);
  ring->total -= ring->files[0].size;
  set->total -= ring->files[0].size;
  memmove (ring->files, ring->files + 1, sizeof *ring->files * (ring->n_files - 1));
  ring->n_files--;
  return true;
}

/* Frees room in the lab: drops the oldest closed file of the ring that has the most. */
static bool
set_drop_one (struct loom_ring_set *set)
{
  struct loom_ring *best = NULL;
  size_t i;

  for (i = 0; i < set->n; i++)
    if (set->rings[i]->n_files > (set->rings[i]->fd >= 0 ? 1u : 0u)
        && (best == NULL || set->rings[i]->total > best->total))
      best = set->rings[i];
  return best && ring_drop_oldest (best, set);
}

int
loom_ring_write (struct loom_ring *ring, struct loom_ring_set *set, const struct loom_frame *fr,
                 loom_error_t *err)
{
  /* An upper bound on the block: fixed fields, padded data, the flags option. */
  uint64_t need = 48 + ((fr->caplen + 3) & ~3u);
  struct loom_ring_blk *b;
  size_t tail_len;
  long w;

  if (ring->fd < 0)
    {
      /* The first frame of this run: a file of its own (files are made lazily, so a
       * quiet link costs no file and a big lab starts fast). */
      if (ring_open_next (ring, set, err) < 0)
        return -1;
    }
  else if (ring->cur_size + need > ring->file_size)
    {
      int r = ring_write_queue (ring, err);
      close (ring->fd);
      ring->fd = -1;
      if (r < 0 || ring_open_next (ring, set, err) < 0)
        return -1;
    }
  while (ring->total + need > ring->limit && ring_drop_oldest (ring, set))
    ;
  while (set->total + need > set->limit && set_drop_one (set))
    ;
  /* Still no room: the caps win over this frame. */
  if (ring->total + need > ring->limit || set->total + need > set->limit)
    return 0;
  if (ring->n_queued == RING_QUEUE_MAX && ring_write_queue (ring, err) < 0)
    return -1;
  if (ring->n_queued == ring->cap_queued)
    {
      /* Grows with the link's traffic: a quiet link queues a few frames. */
      ring->cap_queued = ring->cap_queued ? 2 * ring->cap_queued : 4;
      if (ring->cap_queued > RING_QUEUE_MAX)
        ring->cap_queued = RING_QUEUE_MAX;
      ring->blk = loom_xrealloc (ring->blk, ring->cap_queued * sizeof *ring->blk);
    }
  b = &ring->blk[ring->n_queued];
  w = loom_pcapng_packet_frame (b->head, b->tail, &tail_len, 0, fr->ts_ns, fr->caplen, fr->origlen,
                                fr->dir, err);
  if (w < 0)
    return -1;
  b->data = fr->data;
  b->caplen = fr->caplen;
  b->tail_len = tail_len;
  ring->n_queued++;
  ring->cur_size += w;
  ring->files[ring->n_files - 1].size += w;
  ring->total += w;
  set->total += w;
  ring->packets++;
  ring->bytes += fr->origlen;
  return 0;
}

int
loom_ring_flush (struct loom_ring *ring, loom_error_t *err)
{
  return ring->fd >= 0 && ring->n_queued ? ring_write_queue (ring, err) : 0;
}

void
loom_ring_close (struct loom_ring *ring)
{
  if (ring->fd >= 0)
    {
      loom_error_t err = NULL;
      if (ring_write_queue (ring, &err) < 0)
        loom_error_release (&err);
      close (ring->fd);
    }
  ring->fd = -1;
  free (ring->files);
  ring->files = NULL;
  ring->n_files = 0;
  free (ring->blk);
  ring->blk = NULL;
  ring->n_queued = ring->cap_queued = 0;
}
