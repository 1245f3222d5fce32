/* l2send IFACE DST-MAC ETHERTYPE COUNT: sends COUNT raw Ethernet frames out of IFACE
 * (AF_PACKET, so no bridge, ARP or IP stack is involved), each to DST-MAC with the
 * interface's own source MAC, the 16-bit ETHERTYPE (hex; a value below 0x0600 is an
 * 802.3 length field, as STP's frames carry) and a 46-byte payload numbering the frame.
 * The end-to-end tests use it to put link-local control frames (STP, LLDP, LACP) on a
 * link, which a bridge would keep to itself and a transparent wire must pass. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int
parse_mac (const char *s, unsigned char mac[6])
{
  unsigned int b[6];
  char end;
  int i;

  if (sscanf (s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
    return -1;
  for (i = 0; i < 6; i++)
    {
      if (b[i] > 0xff)
        return -1;
      mac[i] = (unsigned char) b[i];
    }
  return 0;
}

int
main (int argc, char **argv)
{
  unsigned char frame[ETH_ZLEN];
  struct sockaddr_ll sll = { 0 };
  struct ifreq ifr = { 0 };
  unsigned long type, count, i;
  char *end;
  int fd;

  if (argc != 5)
    {
      fprintf (stderr, "usage: l2send IFACE DST-MAC ETHERTYPE COUNT\n");
      return 2;
    }
  type = strtoul (argv[3], &end, 16);
  if (*end || type > 0xffff || parse_mac (argv[2], frame) < 0)
    {
      fprintf (stderr, "l2send: bad MAC '%s' or ethertype '%s'\n", argv[2], argv[3]);
      return 2;
    }
  count = strtoul (argv[4], &end, 10);
  if (*end || strlen (argv[1]) >= IFNAMSIZ)
    {
      fprintf (stderr, "l2send: bad count '%s' or interface '%s'\n", argv[4], argv[1]);
      return 2;
    }

  fd = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      perror ("l2send: socket");
      return 1;
    }
  strcpy (ifr.ifr_name, argv[1]);
  if (ioctl (fd, SIOCGIFINDEX, &ifr) < 0)
    {
      fprintf (stderr, "l2send: %s: %m\n", argv[1]);
      return 1;
    }
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifr.ifr_ifindex;
  sll.sll_halen = ETH_ALEN;
  memcpy (sll.sll_addr, frame, ETH_ALEN);
  /* The index and the hardware address share a union in ifreq: one after the other. */
  if (ioctl (fd, SIOCGIFHWADDR, &ifr) < 0)
    {
      fprintf (stderr, "l2send: %s: %m\n", argv[1]);
      return 1;
    }
  memcpy (frame + ETH_ALEN, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
  frame[12] = (unsigned char) (type >> 8);
  frame[13] = (unsigned char) type;
  for (i = 0; i < count; i++)
    {
      memset (frame + ETH_HLEN, 0, sizeof frame - ETH_HLEN);
      snprintf ((char *) frame + ETH_HLEN, sizeof frame - ETH_HLEN, "l2send frame %lu", i + 1);
      if (sendto (fd, frame, sizeof frame, 0, (struct sockaddr *) &sll, sizeof sll) < 0)
        {
          fprintf (stderr, "l2send: send on %s: %m\n", argv[1]);
          return 1;
        }
    }
  close (fd);
  return 0;
}
