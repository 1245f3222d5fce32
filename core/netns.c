/* Named network namespaces: create in the calling thread, bind-mount under /run/netns,
 * and remove again. The layout matches iproute2's so `ip netns` sees our nodes. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/netns.h"
#include "core/util.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static int host_fd = -1;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void
host_fd_open (void)
{
  host_fd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

int
loom_netns_host_fd (void)
{
  pthread_once (&host_once, host_fd_open);
  return host_fd;
}

int
loom_netns_rundir_prepare (loom_error_t *err)
{
  if (loom_mkdir_p (LOOM_NETNS_DIR, 0755, err) < 0)
    return -1;
  /* Same dance as iproute2: the directory must be a shared mount so that the bind
   * mounts in it propagate into mount namespaces created later (exec, containers). */
  if (mount ("", LOOM_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
    return 0;
  if (errno != EINVAL)
    return loom_error_make (err, errno, "make %s shared", LOOM_NETNS_DIR);
  if (mount (LOOM_NETNS_DIR, LOOM_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
    return loom_error_make (err, errno, "bind mount %s", LOOM_NETNS_DIR);
  if (mount ("", LOOM_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
    return loom_error_make (err, errno, "make %s shared", LOOM_NETNS_DIR);
  return 0;
}

int
loom_netns_claim (const char *name, loom_error_t *err)
{
  char path[512];
  int fd;

  snprintf (path, sizeof path, LOOM_NETNS_DIR "/%s", name);
  fd = open (path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0)
    return loom_error_make (err, errno, "create %s", path);
  close (fd);
  return 0;
}

int
loom_netns_create (const char *name, loom_error_t *err)
{
  char path[512];
  int fd;

  loom_netns_host_fd ();
  snprintf (path, sizeof path, LOOM_NETNS_DIR "/%s", name);
  if (unshare (CLONE_NEWNET) < 0)
    {
      int e = errno;
      unlink (path);
      return loom_error_make (err, e, "unshare network namespace %s", name);
    }
  if (mount ("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
    {
      int e = errno;
      unlink (path);
      return loom_error_make (err, e, "bind mount namespace to %s", path);
    }
  fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return loom_error_make (err, errno, "open namespace %s", name);
  return fd;
}

int
loom_netns_open (const char *name, loom_error_t *err)
{
  char path[512];
  int fd;

  snprintf (path, sizeof path, LOOM_NETNS_DIR "/%s", name);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return loom_error_make (err, errno, "open namespace %s", path);
  return fd;
}

int
loom_netns_enter (int nsfd, loom_error_t *err)
{
  if (setns (nsfd, CLONE_NEWNET) < 0)
    return loom_error_make (err, errno, "enter network namespace");
  return 0;
}

int
loom_netns_socket (int nsfd, int domain, int type, int protocol, loom_error_t *err)
{
  loom_autoclose int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd;

  if (self < 0)
    return loom_error_make (err, errno, "open /proc/thread-self/ns/net");
  if (loom_netns_enter (nsfd, err) < 0)
    return -1;
  fd = socket (domain, type, protocol);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* a thread stuck in another namespace would corrupt everything after */
  if (fd < 0)
    return loom_error_make (err, errno, "socket in a node's namespace");
  return fd;
}

bool
loom_netns_exists (const char *name)
{
  char path[512];
  struct statfs sfs;

  snprintf (path, sizeof path, LOOM_NETNS_DIR "/%s", name);
  return statfs (path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
}

int
loom_netns_remove (const char *name, bool placeholder_only, loom_error_t *err)
{
  char path[512];
  struct statfs sfs;
  struct stat st;

  snprintf (path, sizeof path, LOOM_NETNS_DIR "/%s", name);
  if (statfs (path, &sfs) < 0)
    return errno == ENOENT ? 0 : loom_error_make (err, errno, "statfs %s", path);
  if (sfs.f_type == NSFS_MAGIC && placeholder_only)
    return 0;
  if (sfs.f_type == NSFS_MAGIC && umount2 (path, MNT_DETACH) < 0 && errno != EINVAL)
    return loom_error_make (err, errno, "unmount %s", path);
  /* What is left must be the empty placeholder file claim made. */
  if (stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size == 0 && unlink (path) < 0
      && errno != ENOENT)
    return loom_error_make (err, errno, "unlink %s", path);
  return 0;
}
