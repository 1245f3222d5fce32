/* TAP devices in a node's namespace (see tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/tap.h"
#include "core/util.h"

int
loom_tap_create (int nsfd, const char *name, bool vnet_hdr, int *ifindex, loom_error_t *err)
{
  loom_autoclose int back = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  struct ifreq ifr = { 0 };
  int fd = -1, e = 0, index = 0;

  if (strlen (name) >= IFNAMSIZ)
    return loom_error_make (err, ENAMETOOLONG, "TAP name '%s' is longer than %d characters", name,
                            IFNAMSIZ - 1);
  if (back < 0)
    return loom_error_make (err, errno, "open /proc/thread-self/ns/net");
  if (loom_fault_check ("create TAP", err) < 0)
    return -1;
  if (setns (nsfd, CLONE_NEWNET) < 0)
    return loom_error_make (err, errno, "enter namespace for TAP %s", name);
  /* The device belongs to the namespace the thread is in when TUNSETIFF runs. */
  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    e = errno;
  else
    {
      ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
      strcpy (ifr.ifr_name, name);
      if (ioctl (fd, TUNSETIFF, &ifr) < 0)
        e = errno;
      else if ((index = (int) if_nametoindex (ifr.ifr_name)) == 0)
        e = errno;
    }
  if (setns (back, CLONE_NEWNET) < 0)
    abort (); /* a thread stuck in the wrong namespace would corrupt what follows */
  if (e)
    {
      if (fd >= 0)
        close (fd);
      return loom_error_make (err, e, "create TAP %s", name);
    }
  if (vnet_hdr)
    {
      int len = 12; /* struct virtio_net_hdr_mrg_rxbuf, as QEMU's virtio-net uses */
      if (ioctl (fd, TUNSETVNETHDRSZ, &len) < 0)
        {
          e = errno;
          close (fd);
          return loom_error_make (err, e, "TAP %s: set vnet header size", name);
        }
    }
  *ifindex = index;
  return fd;
}
