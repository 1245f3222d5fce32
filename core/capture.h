/* Packet capture: AF_PACKET sockets opened inside a node's namespace, and the bounded
 * ring of pcapng files each captured link writes to. The supervisor owns one capture
 * point per link (the link's first endpoint: a veth end sees both directions); the CLI
 * uses the same socket code for live streams from any interface. */
#ifndef LOOM_CAPTURE_H
#define LOOM_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/**
 * loom_capture_socket() - an AF_PACKET socket bound to one interface of a namespace.
 * @netns: the namespace's name (/run/netns/<netns>).
 * @ifname: interface name, used when @ifindex is 0.
 * @ifindex: interface index inside the namespace, or 0.
 * @bpf_filter: a pcap filter expression (compiled with libpcap), or NULL.
 * @snaplen: bytes kept per frame (for the filter program).
 *
 * The socket is non-blocking, timestamps every frame (SO_TIMESTAMPNS) and is bound to
 * the interface only after the filter is attached, so nothing unfiltered slips in.
 * Called from any thread; the calling thread's namespace is restored. Returns the fd.
 */
int loom_capture_socket (const char *netns, const char *ifname, int ifindex,
                         const char *bpf_filter, uint32_t snaplen, loom_error_t *err);

/* One frame read from a capture socket. */
struct loom_frame
{
  const uint8_t *data;
  uint32_t caplen;
  uint32_t origlen;
  uint64_t ts_ns;
  int dir; /* enum loom_pkt_dir */
};

/* Reads up to max frames that are waiting (never blocks) into buf (max * snaplen
 * bytes). Returns how many, 0 when none, -1 on error. */
int loom_capture_read (int fd, uint8_t *buf, uint32_t snaplen, struct loom_frame *frames,
                       int max, loom_error_t *err);

/* Frames the kernel dropped on the socket since the last call. */
uint64_t loom_capture_drops (int fd);

/* A frame queued for a ring's file: the enhanced packet block's head and tail; the
 * data stays where the caller has it (the capture ring) until the queue is written. */
struct loom_ring_blk
{
  uint8_t head[28];
  uint8_t tail[20];
  const void *data;
  uint32_t caplen;
  uint32_t tail_len;
};

/* A ring of pcapng files in one directory: <dir>/<name>-<seq>.pcapng. Frames are
 * queued (zero-copy: an iovec points at each frame's bytes) and written with writev by
 * loom_ring_flush(), which the caller calls before the bytes go away. */
struct loom_ring
{
  char *dir;
  char *name;       /* "h1-eth1" */
  char *if_name;    /* "h1:eth1": the pcapng interface name */
  char *comment;    /* "link h1:eth1 -- sw1:p1" */
  uint32_t snaplen;
  uint64_t file_size; /* a file is rotated before it would grow past this */
  uint64_t limit;     /* the ring's files never total more than this */
  int fd;             /* the open file, or -1 */
  struct loom_ring_blk *blk;   /* queued for fd */
  size_t n_queued, cap_queued; /* frames */
  uint64_t cur_size;
  uint32_t next_seq;
  struct loom_ring_file
  {
    uint32_t seq;
    uint64_t size;
  } *files; /* oldest first; the last one is the open file when f is set */
  size_t n_files;
  uint64_t total;
  uint64_t packets;
  uint64_t bytes;
};

/* The lab-wide cap shared by all rings of a lab. */
struct loom_ring_set
{
  struct loom_ring **rings;
  size_t n;
  uint64_t limit;
  uint64_t total;
};

/* Opens the ring: picks up files a previous run left (so a restarted supervisor keeps
 * counting). The directory and a new file are made by the first frame. */
int loom_ring_open (struct loom_ring *ring, struct loom_ring_set *set, loom_error_t *err);
/* Appends one frame, rotating and deleting old files to stay inside both caps. The
 * frame's bytes are only referenced: they must stay as they are until the next
 * loom_ring_flush() (or close) of this ring returns. */
int loom_ring_write (struct loom_ring *ring, struct loom_ring_set *set, const struct loom_frame *fr,
                     loom_error_t *err);
/* Writes what is queued. */
int loom_ring_flush (struct loom_ring *ring, loom_error_t *err);
void loom_ring_close (struct loom_ring *ring);

#endif
