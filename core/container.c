/* The container runtime (see container.h): the supervisor service that starts, watches
 * and stops container nodes, the init process each container runs as its PID 1, the
 * cgroup handling for v2 and v1 hierarchies, and entering a running container. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/container.h"
#include "core/image.h"
#include "core/service.h"
#include "core/spawn.h"
#include "core/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define STOP_GRACE_MS 5000
#define START_TIMEOUT_MS 20000

extern char **environ;

char *
loom_container_dir (const char *statedir, const char *node)
{
  return loom_xasprintf ("%s/containers/%s", statedir, node);
}

static int
write_text (const char *path, const char *text, loom_error_t *err)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t len = (ssize_t) strlen (text);

  if (fd < 0)
    return loom_error_make (err, errno, "open %s", path);
  if (write (fd, text, len) != len)
    {
      int e = errno;
      close (fd);
      return loom_error_make (err, e, "write '%s' to %s", text, path);
    }
  close (fd);
  return 0;
}

/* The number after "<key> " in a flat keyed file (memory.events, memory.oom_control). */
static uint64_t
read_keyed (const char *path, const char *key)
{
  loom_autofree char *data = NULL;
  size_t klen = strlen (key);
  char *line, *save = NULL;

  if (loom_read_file (path, &data, NULL, NULL) < 0)
    return 0;
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
      return strtoull (line + klen + 1, NULL, 10);
  return 0;
}

/* ---- cgroups ------------------------------------------------------------------ */

/* Where the memory and cpu controllers are: one cgroup2 root holding both (pure v2),
 * or the v1 hierarchies that have them (hybrid and v1 systems). */
struct cg_roots
{
  bool v2;
  char mem[PATH_MAX]; /* "" when there is no memory controller */
  char cpu[PATH_MAX]; /* "" when there is no cpu controller */
};

static void
cg_find_roots (struct cg_roots *r)
{
  struct statfs sf;
  loom_autofree char *ctl = NULL;
  FILE *f;
  char line[4096];

  memset (r, 0, sizeof *r);
  if (statfs ("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    {
      r->v2 = true;
      if (loom_read_file ("/sys/fs/cgroup/cgroup.controllers", &ctl, NULL, NULL) == 0)
        {
          char *tok, *save = NULL;
          for (tok = strtok_r (ctl, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
            if (strcmp (tok, "memory") == 0)
              strcpy (r->mem, "/sys/fs/cgroup");
            else if (strcmp (tok, "cpu") == 0)
              strcpy (r->cpu, "/sys/fs/cgroup");
        }
      return;
    }
  /* v1: the cgroup mounts whose super options name the controller. */
  f = fopen ("/proc/self/mountinfo", "re");
  while (f && fgets (line, sizeof line, f))
    {
      char *dash = strstr (line, " - cgroup "), *fields[8], *save = NULL, *tok, *opts;
      size_t n = 0;
      if (dash == NULL)
        continue;
      /* "... - cgroup cgroup rw,memory": the super options are the last field. */
      line[strcspn (line, "\n")] = '\0';
      opts = strrchr (dash + 10, ' ');
      if (opts == NULL)
        continue;
      *opts++ = '\0';
      *dash = '\0';
      for (tok = strtok_r (line, " ", &save); tok && n < 8; tok = strtok_r (NULL, " ", &save))
        fields[n++] = tok;
      if (n < 5)
        continue;
      for (tok = strtok_r (opts, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
        if (strcmp (tok, "memory") == 0 && !r->mem[0])
          snprintf (r->mem, sizeof r->mem, "%s", fields[4]);
        else if (strcmp (tok, "cpu") == 0 && !r->cpu[0])
          snprintf (r->cpu, sizeof r->cpu, "%s", fields[4]);
    }
  if (f)
    fclose (f);
}

/* Kills what a cgroup holds and removes it; bounded, waiting on pidfds, never sleeping. */
int
loom_cgroup_kill_rmdir (const char *path, loom_error_t *err)
{
  loom_autofree char *killf = loom_xasprintf ("%s/cgroup.kill", path);
  loom_autofree char *procs = loom_xasprintf ("%s/cgroup.procs", path);
  struct stat st;
  int round;

  if (stat (path, &st) < 0)
    return 0;
  if (access (killf, W_OK) == 0)
    write_text (killf, "1", NULL);
  for (round = 0; round < 20; round++)
    {
      loom_autofree char *data = NULL;
      char *line, *save = NULL;
      int fds[256], nfd = 0, i;

      if (rmdir (path) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return loom_error_make (err, errno, "remove cgroup %s", path);
      if (loom_read_file (procs, &data, NULL, NULL) < 0)
        break;
      for (line = strtok_r (data, "\n", &save); line && nfd < 256;
           line = strtok_r (NULL, "\n", &save))
        {
          pid_t pid = (pid_t) atol (line);
          int fd = (int) syscall (SYS_pidfd_open, pid, 0);
          kill (pid, SIGKILL);
          if (fd >= 0)
            fds[nfd++] = fd;
        }
      for (i = 0; i < nfd; i++)
        {
          struct pollfd p = { .fd = fds[i], .events = POLLIN };
          poll (&p, 1, 2000);
          close (fds[i]);
        }
      if (nfd == 0)
        {
          /* Empty, yet busy: the last exits are still being accounted. Wait for the
           * kernel to say the group is unpopulated where it can tell (v2). */
          loom_autofree char *events = loom_xasprintf ("%s/cgroup.events", path);
          int fd = open (events, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            {
              if (round > 2)
                break;
              continue;
            }
          if (read_keyed (events, "populated") != 0)
            {
              struct pollfd p = { .fd = fd, .events = POLLPRI };
              poll (&p, 1, 200);
            }
          close (fd);
        }
    }
  if (rmdir (path) == 0 || errno == ENOENT)
    return 0;
  return loom_error_make (err, errno, "remove cgroup %s", path);
}

/* ---- the service's view of one container ------------------------------------- */

struct launch;

enum ctr_state
{
  CTR_NEW,     /* never started by this supervisor */
  CTR_RUNNING, /* init runs */
  CTR_EXITED,  /* the command ended (status) */
  CTR_STOPPED, /* stopped by `netloom node stop` */
  CTR_FAILED,  /* could not start (error) */
};

struct ctr
{
  char *node;
  char *netns;
  char *dir;    /* <statedir>/containers/<node> */
  char *log;    /* <labdir>/logs/<node>.log */
  json_t *conf; /* the node's "container" object (a copy) */
  json_t *env;  /* the node's "env" object (a copy) */
  char *cg_mem; /* cgroup directories; NULL when none */
  char *cg_cpu;
  bool v2;
  uint64_t memory;
  double cpu;
  enum ctr_state state;
  pid_t pid;
  int pidfd;
  int report_fd; /* init's status pipe */
  int status;    /* the command's wait status, once exited */
  bool have_status;
  uint64_t oom_kills;
  char *error;
  bool dir_journaled;
  struct launch *pending; /* started, verdict not read yet */
};

struct svc
{
  struct ctr *c;
  size_t n;
};

/* Everything the child needs, prepared by the supervisor before it forks, so the
 * child only does system calls and simple string work. */
struct launch
{
  const struct ctr *c;
  char *root;    /* mount point of the overlay */
  char *overlay; /* overlay options */
  char *hostname;
  char *hosts; /* the file to bind on /etc/hosts */
  char *hostname_file;
  char **bind_src, **bind_dst;
  bool *bind_ro;
  size_t n_binds;
  char **argv;
  char **envp;
  char *workdir;
  char *user;
  int netfd, logfd, nullfd, report_wr;
};

static void
launch_free (struct launch *l)
{
  size_t i;
  free (l->root);
  free (l->overlay);
  free (l->hostname);
  free (l->hosts);
  free (l->hostname_file);
  for (i = 0; i < l->n_binds; i++)
    {
      free (l->bind_src[i]);
      free (l->bind_dst[i]);
    }
  free (l->bind_src);
  free (l->bind_dst);
  free (l->bind_ro);
  loom_strv_free (l->argv);
  loom_strv_free (l->envp);
  free (l->workdir);
  free (l->user);
}

/* ---- users -------------------------------------------------------------------- */

static bool
all_digits (const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* Finds @name (or the numeric id) in a passwd/group style file under @root: returns the
 * third field (the id) and, for passwd, the fourth (gid) and sixth (home). */
static bool
db_lookup (const char *root, const char *file, const char *name, long *id, long *gid, char **home)
{
  loom_autofree char *path = loom_xasprintf ("%s%s", root, file);
  loom_autofree char *data = NULL;
  char *line, *save = NULL;

  if (loom_read_file (path, &data, NULL, NULL) < 0)
    return false;
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7] = { 0 }, *p = line;
      size_t n = 0;
      while (n < 7)
        {
          f[n++] = p;
          p = strchr (p, ':');
          if (p == NULL)
            break;
          *p++ = '\0';
        }
      if (n < 3)
        continue;
      if (strcmp (f[0], name) == 0 || (all_digits (name) && strcmp (f[2], name) == 0))
        {
          *id = atol (f[2]);
          if (gid)
            *gid = n > 3 ? atol (f[3]) : *id;
          if (home && n > 5)
            *home = loom_xstrdup (f[5]);
          return true;
        }
    }
  return false;
}

/* Resolves a user spec ("name", "uid", "name:group", "uid:gid") through the container's
 * /etc/passwd and /etc/group (under @root: "" inside it, "/proc/N/root" outside). */
static int
resolve_user (const char *root, const char *spec, uid_t *uid, gid_t *gid, char **home,
              loom_error_t *err)
{
  loom_autofree char *copy = loom_xstrdup (spec && *spec ? spec : "0");
  char *group = strchr (copy, ':');
  long u = 0, g = 0;

  *home = NULL;
  if (group)
    *group++ = '\0';
  if (!db_lookup (root, "/etc/passwd", copy, &u, &g, home))
    {
      if (!all_digits (copy))
        return loom_error_make (err, 0, "user '%s' is not in the container's /etc/passwd", copy);
      u = atol (copy);
      g = 0;
    }
  if (group && *group)
    {
      long gg;
      if (db_lookup (root, "/etc/group", group, &gg, NULL, NULL))
        g = gg;
      else if (all_digits (group))
        g = atol (group);
      else
        return loom_error_make (err, 0, "group '%s' is not in the container's /etc/group", group);
    }
  if (*home == NULL)
    *home = loom_xstrdup (u == 0 ? "/root" : "/");
  *uid = (uid_t) u;
  *gid = (gid_t) g;
  return 0;
}

/* Drops to the user, after chdir into the working directory (made when missing, as
 * docker does). */
static int
become_user (const char *workdir, uid_t uid, gid_t gid, loom_error_t *err)
{
  struct stat st;

  if (workdir && *workdir)
    {
      if (stat (workdir, &st) < 0 && loom_mkdir_p (workdir, 0755, err) < 0)
        return -1;
      if (chdir (workdir) < 0)
        return loom_error_make (err, errno, "working directory %s", workdir);
    }
  if (setgroups (1, &gid) < 0 || setresgid (gid, gid, gid) < 0)
    return loom_error_make (err, errno, "set group %u", (unsigned) gid);
  if (setresuid (uid, uid, uid) < 0)
    return loom_error_make (err, errno, "set user %u", (unsigned) uid);
  return 0;
}

/* Adds KEY=VALUE to an environment unless the key is there. */
static void
env_default (char ***envp, size_t *n, const char *kv)
{
  size_t klen = strcspn (kv, "="), i;
  for (i = 0; i < *n; i++)
    if (strncmp ((*envp)[i], kv, klen) == 0 && (*envp)[i][klen] == '=')
      return;
  LOOM_PUSH (*envp, *n, loom_xstrdup (kv));
}

/* Sets KEY=VALUE, replacing the key's earlier value. */
static void
env_set (char ***envp, size_t *n, const char *kv)
{
  size_t klen = strcspn (kv, "="), i;
  for (i = 0; i < *n; i++)
    if (strncmp ((*envp)[i], kv, klen) == 0 && (*envp)[i][klen] == '=')
      {
        free ((*envp)[i]);
        (*envp)[i] = loom_xstrdup (kv);
        return;
      }
  LOOM_PUSH (*envp, *n, loom_xstrdup (kv));
}

/* ---- the container's init (PID 1 of its PID namespace) ------------------------ */

/* Reports a failure to the supervisor and ends the child. */
static void __attribute__ ((noreturn)) child_fail (int fd, loom_error_t *err)
{
  loom_autofree char *t = loom_error_text (*err);
  dprintf (fd, "E%s\n", t);
  _exit (127);
}

static int
mkfile (const char *path, loom_error_t *err)
{
  int fd;
  loom_autofree char *dir = loom_xstrdup (path);
  char *slash = strrchr (dir, '/');
  struct stat st;

  if (lstat (path, &st) == 0)
    return 0;
  if (slash && slash != dir)
    {
      *slash = '\0';
      if (loom_mkdir_p (dir, 0755, err) < 0)
        return -1;
    }
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return loom_error_make (err, errno, "create %s", path);
  close (fd);
  return 0;
}

static int
do_mount (const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
          loom_error_t *err)
{
  if (mount (src, dst, type, flags, data) < 0)
    return loom_error_make (err, errno, "mount %s on %s",
                            type  ? type
                            : src ? src
                                  : "(remount)",
                            dst);
  return 0;
}

/* Binds @src on @dst inside the root (made as a directory or a file, like the source);
 * read-only when asked (a bind mount needs a remount for that). */
static int
bind_into (const char *root, const char *src, const char *dst, bool ro, loom_error_t *err)
{
  loom_autofree char *target = loom_xasprintf ("%s%s", root, dst);
  struct stat st;
  struct statvfs sv;

  if (stat (src, &st) < 0)
    return loom_error_make (err, errno, "bind source %s", src);
  if (S_ISDIR (st.st_mode) ? loom_mkdir_p (target, 0755, err) < 0 : mkfile (target, err) < 0)
    return -1;
  if (do_mount (src, target, NULL, MS_BIND | MS_REC, NULL, err) < 0)
    return -1;
  if (ro)
    {
      unsigned long keep = 0;
      if (statvfs (target, &sv) == 0)
        keep = sv.f_flag
               & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
      if (do_mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL, err) < 0)
        return -1;
    }
  return 0;
}

static int
setup_dev (const char *root, loom_error_t *err)
{
  static const char *const devs[] = { "null", "zero", "full", "random", "urandom", "tty" };
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
    { "pts/ptmx", "ptmx" },
  };
  loom_autofree char *dev = loom_xasprintf ("%s/dev", root);
  size_t i;

  if (loom_mkdir_p (dev, 0755, err) < 0
      || do_mount ("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err)
             < 0)
    return -1;
  for (i = 0; i < sizeof devs / sizeof devs[0]; i++)
    {
      loom_autofree char *src = loom_xasprintf ("/dev/%s", devs[i]);
      loom_autofree char *dst = loom_xasprintf ("%s/%s", dev, devs[i]);
      if (mkfile (dst, err) < 0 || do_mount (src, dst, NULL, MS_BIND, NULL, err) < 0)
        return -1;
    }
  for (i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      loom_autofree char *dst = loom_xasprintf ("%s/%s", dev, links[i][1]);
      if (symlink (links[i][0], dst) < 0)
        return loom_error_make (err, errno, "symlink %s", dst);
    }
  {
    loom_autofree char *pts = loom_xasprintf ("%s/pts", dev);
    loom_autofree char *shm = loom_xasprintf ("%s/shm", dev);
    if (mkdir (pts, 0755) < 0 || mkdir (shm, 01777) < 0)
      return loom_error_make (err, errno, "mkdir in %s", dev);
    if (do_mount ("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620", err)
            < 0
        || do_mount ("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
                     err)
               < 0)
      return -1;
  }
  return 0;
}

/* Builds the container's file system in its own mount namespace and moves into it. */
static int
setup_root (const struct launch *l, loom_error_t *err)
{
  const char *root = l->root;
  size_t i;

  /* Nothing we mount may travel back to the host. */
  if (do_mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL, err) < 0)
    return -1;
  if (do_mount ("overlay", root, "overlay", 0, l->overlay, err) < 0)
    return loom_error_wrap (err, "root file system");
  {
    loom_autofree char *proc = loom_xasprintf ("%s/proc", root);
    loom_autofree char *sys = loom_xasprintf ("%s/sys", root);
    if (loom_mkdir_p (proc, 0555, err) < 0 || loom_mkdir_p (sys, 0555, err) < 0
        || do_mount ("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0
        || do_mount ("sysfs", sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)
               < 0)
      return -1;
  }
  if (setup_dev (root, err) < 0)
    return -1;
  for (i = 0; i < l->n_binds; i++)
    if (bind_into (root, l->bind_src[i], l->bind_dst[i], l->bind_ro[i], err) < 0)
      return loom_error_wrap (err, "bind %s:%s", l->bind_src[i], l->bind_dst[i]);
  if (bind_into (root, l->hosts, "/etc/hosts", false, err) < 0
      || bind_into (root, l->hostname_file, "/etc/hostname", false, err) < 0)
    return -1;
  /* pivot_root(".", "."): the old root ends up on top of the new one, and goes. */
  if (chdir (root) < 0)
    return loom_error_make (err, errno, "chdir %s", root);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return loom_error_make (err, errno, "pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    return loom_error_make (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return loom_error_make (err, errno, "chdir /");
  return 0;
}

/* What `ps` shows for init: its own name instead of the supervisor's command line it
 * inherited, written over that command line's memory (fields 48 and 49 of
 * /proc/self/stat say where it is). */
static void
set_title (const char *title)
{
  loom_autofree char *stat = NULL;
  unsigned long start = 0, end = 0;
  char *p, *tok, *save = NULL;
  int field = 3;

  if (loom_read_file ("/proc/self/stat", &stat, NULL, NULL) < 0 || !(p = strrchr (stat, ')')))
    return;
  for (tok = strtok_r (p + 1, " ", &save); tok; tok = strtok_r (NULL, " ", &save), field++)
    if (field == 48)
      start = strtoul (tok, NULL, 10);
    else if (field == 49)
      end = strtoul (tok, NULL, 10);
  if (start == 0 || end <= start + 1)
    return;
  memset ((char *) start, 0, end - start);
  memcpy ((char *) start, title,
          strlen (title) < end - start - 1 ? strlen (title) : end - start - 1);
}

/* Moves fds we keep to fixed numbers and closes everything else the supervisor had. */
static void
child_fds (struct launch *l)
{
  int report = fcntl (l->report_wr, F_DUPFD, 100);
  int net = fcntl (l->netfd, F_DUPFD, 100);
  int logfd = fcntl (l->logfd, F_DUPFD, 100);
  int nullfd = fcntl (l->nullfd, F_DUPFD, 100);

  dup2 (nullfd, 0);
  dup2 (logfd, 1);
  dup2 (logfd, 2);
  dup2 (report, 3);
  dup2 (net, 4);
  syscall (SYS_close_range, 5, ~0U, 0);
  /* The report pipe is init's alone: the command must not inherit it. */
  fcntl (3, F_SETFD, FD_CLOEXEC);
  l->report_wr = 3;
  l->netfd = 4;
}

static void __attribute__ ((noreturn)) container_init (struct launch *l)
{
  loom_error_t err = NULL;
  sigset_t all, fwd;
  int execpipe[2], keep_stdin[2], i;
  uid_t uid;
  gid_t gid;
  loom_autofree char *home = NULL;
  pid_t cmd;
  int cmd_status = 0;
  bool done = false;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  prctl (PR_SET_NAME, "netloom-init");
  {
    loom_autofree char *title = loom_xasprintf ("netloom-init %s", l->c->netns);
    set_title (title);
  }
  child_fds (l);
  for (i = 1; i < NSIG; i++)
    signal (i, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);

  /* init is a copy-on-write fork of the supervisor: its resident size counts the pages
   * it shares, which could make it the OOM killer's choice in a small cgroup. It is
   * never the one to go; the command starts again from 0. */
  write_text ("/proc/self/oom_score_adj", "-1000", NULL);
  /* The cgroups first, then a cgroup namespace rooted at them. */
  if (l->c->cg_mem)
    {
      loom_autofree char *p = loom_xasprintf ("%s/cgroup.procs", l->c->cg_mem);
      if (write_text (p, "0", &err) < 0)
        child_fail (3, &err);
    }
  if (l->c->cg_cpu && (!l->c->cg_mem || strcmp (l->c->cg_cpu, l->c->cg_mem) != 0))
    {
      loom_autofree char *p = loom_xasprintf ("%s/cgroup.procs", l->c->cg_cpu);
      if (write_text (p, "0", &err) < 0)
        child_fail (3, &err);
    }
  if (unshare (CLONE_NEWCGROUP) < 0)
    {
      loom_error_make (&err, errno, "cgroup namespace");
      child_fail (3, &err);
    }
  if (setns (4, CLONE_NEWNET) < 0)
    {
      loom_error_make (&err, errno, "enter the node's network namespace");
      child_fail (3, &err);
    }
  close (4);
  /* Unprivileged ICMP sockets for every group, as docker does: ping works for a
   * container's non-root user too. */
  write_text ("/proc/sys/net/ipv4/ping_group_range", "0 2147483647", NULL);
  if (sethostname (l->hostname, strlen (l->hostname)) < 0)
    {
      loom_error_make (&err, errno, "hostname %s", l->hostname);
      child_fail (3, &err);
    }
  if (setup_root (l, &err) < 0)
    child_fail (3, &err);
  if (resolve_user ("", l->user, &uid, &gid, &home, &err) < 0)
    child_fail (3, &err);
  {
    size_t n = 0;
    while (l->envp[n])
      n++;
    {
      loom_autofree char *h = loom_xasprintf ("HOME=%s", home);
      env_default (&l->envp, &n, h);
    }
    LOOM_PUSH (l->envp, n, NULL);
  }

  /* Signals init forwards (and SIGCHLD) are taken synchronously. */
  sigemptyset (&fwd);
  sigaddset (&fwd, SIGCHLD);
  sigaddset (&fwd, SIGTERM);
  sigaddset (&fwd, SIGINT);
  sigaddset (&fwd, SIGHUP);
  sigaddset (&fwd, SIGQUIT);
  sigaddset (&fwd, SIGUSR1);
  sigaddset (&fwd, SIGUSR2);
  sigprocmask (SIG_BLOCK, &fwd, NULL);
  /* stdin: a pipe nobody writes to and init keeps open, so a shell as the command
   * waits (as with containerlab's open stdin) instead of reading end-of-file. */
  if (pipe2 (execpipe, O_CLOEXEC) < 0 || pipe2 (keep_stdin, O_CLOEXEC) < 0)
    {
      loom_error_make (&err, errno, "pipe");
      child_fail (3, &err);
    }
  cmd = fork ();
  if (cmd < 0)
    {
      loom_error_make (&err, errno, "fork");
      child_fail (3, &err);
    }
  if (cmd == 0)
    {
      int e;
      sigprocmask (SIG_SETMASK, &all, NULL);
      setsid ();
      write_text ("/proc/self/oom_score_adj", "0", NULL);
      dup2 (keep_stdin[0], 0);
      if (become_user (l->workdir, uid, gid, &err) < 0)
        {
          loom_autofree char *t = loom_error_text (err);
          e = errno ? errno : EINVAL;
          dprintf (execpipe[1], "%s", t);
          _exit (127);
        }
      environ = l->envp;
      execvp (l->argv[0], l->argv);
      e = errno;
      dprintf (execpipe[1], "cannot run '%s': %s", l->argv[0], strerror (e));
      _exit (127);
    }
  close (execpipe[1]);
  close (keep_stdin[0]);
  {
    char msg[512];
    ssize_t r = read (execpipe[0], msg, sizeof msg - 1);
    close (execpipe[0]);
    if (r > 0)
      {
        msg[r] = '\0';
        dprintf (3, "E%s\n", msg);
        _exit (127);
      }
  }
  (void) !write (3, "K\n", 2);

  while (!done)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&fwd, &si);
      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        {
          kill (cmd, sig);
          continue;
        }
      for (;;)
        {
          int st;
          pid_t w = waitpid (-1, &st, WNOHANG);
          if (w <= 0)
            break;
          if (w == cmd)
            {
              cmd_status = st;
              done = true;
            }
        }
    }
  dprintf (3, "X%d\n", cmd_status);
  if (WIFEXITED (cmd_status))
    _exit (WEXITSTATUS (cmd_status));
  _exit (128 + WTERMSIG (cmd_status));
}

/* ---- starting a container (supervisor side) ----------------------------------- */

static char **
strv_from_json (json_t *arr)
{
  size_t i, n = json_array_size (arr);
  char **v = loom_xcalloc (n + 1, sizeof *v);
  for (i = 0; i < n; i++)
    v[i] = loom_xstrdup (json_string_value (json_array_get (arr, i)) ?: "");
  return v;
}

static void
strv_append (char ***v, size_t *n, char *const *src, size_t count)
{
  size_t i;
  for (i = 0; i < count; i++)
    LOOM_PUSH (*v, *n, loom_xstrdup (src[i]));
}

/* Makes a directory this lab owns: journaled (as @type) before it exists. */
static int
own_dir (struct loom_sup *s, const char *type, const char *path, loom_error_t *err)
{
  struct stat st;
  if (stat (path, &st) == 0)
    return 0;
  if (loom_sup_journal (s, type, path, err) < 0)
    return -1;
  if (mkdir (path, 0755) < 0 && errno != EEXIST)
    return loom_error_make (err, errno, "mkdir %s", path);
  return 0;
}

/* /etc/hosts: every node of the lab with its first IPv4 address, and our own name. */
static char *
hosts_text (json_t *state, const char *self, const char *hostname)
{
  char *text = loom_xstrdup ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  json_t *n, *f;
  size_t i, j;
  bool self_listed = false;

  json_array_foreach (json_object_get (state, "nodes"), i, n)
    {
      const char *name = json_string_value (json_object_get (n, "name"));
      const char *addr = NULL;
      char *next;
      json_array_foreach (json_object_get (n, "interfaces"), j, f)
        if (!addr && json_array_size (json_object_get (f, "ipv4")))
          addr = json_string_value (json_array_get (json_object_get (f, "ipv4"), 0));
      if (!name || !addr)
        continue;
      {
        bool me = strcmp (name, self) == 0;
        int plen = (int) strcspn (addr, "/");
        next = loom_xasprintf ("%s%.*s\t%s%s%s\n", text, plen, addr, name,
                               me && strcmp (hostname, name) != 0 ? " " : "",
                               me && strcmp (hostname, name) != 0 ? hostname : "");
        self_listed |= me;
      }
      free (text);
      text = next;
    }
  if (!self_listed)
    {
      char *next = loom_xasprintf ("%s127.0.1.1\t%s\n", text, hostname);
      free (text);
      text = next;
    }
  return text;
}

/* Prepares cgroup directories with the node's limits. */
static int
setup_cgroups (struct loom_sup *s, struct ctr *c, loom_error_t *err)
{
  struct cg_roots r;
  loom_autofree char *leaf = loom_xasprintf ("netloom/%s", c->netns);

  cg_find_roots (&r);
  c->v2 = r.v2;
  free (c->cg_mem);
  free (c->cg_cpu);
  c->cg_mem = c->cg_cpu = NULL;
  if (!r.mem[0] && c->memory)
    return loom_error_make (err, 0,
                            "a memory limit needs the memory cgroup controller, which "
                            "this system does not have");
  if (!r.cpu[0] && c->cpu > 0)
    return loom_error_make (err, 0,
                            "a cpu limit needs the cpu cgroup controller, which this "
                            "system does not have");
  if (r.mem[0])
    c->cg_mem = loom_xasprintf ("%s/%s", r.mem, leaf);
  if (r.cpu[0] && c->cpu > 0)
    c->cg_cpu = r.v2 ? loom_xstrdup (c->cg_mem) : loom_xasprintf ("%s/%s", r.cpu, leaf);
  if (r.v2 && c->cg_mem)
    {
      /* Controllers reach a child only when every level above enables them. */
      loom_autofree char *top = loom_xasprintf ("%s/netloom", r.mem);
      loom_autofree char *ctl1 = loom_xasprintf ("%s/cgroup.subtree_control", r.mem);
      loom_autofree char *ctl2 = loom_xasprintf ("%s/cgroup.subtree_control", top);
      const char *want = c->cpu > 0 ? "+memory +cpu" : "+memory";
      if ((mkdir (top, 0755) < 0 && errno != EEXIST) || write_text (ctl1, want, err) < 0
          || write_text (ctl2, want, err) < 0)
        return loom_error_make (err, errno, "enable cgroup controllers under %s", top);
    }
  else
    {
      if (c->cg_mem)
        {
          loom_autofree char *top = loom_xasprintf ("%s/netloom", r.mem);
          mkdir (top, 0755);
        }
      if (c->cg_cpu)
        {
          loom_autofree char *top = loom_xasprintf ("%s/netloom", r.cpu);
          mkdir (top, 0755);
        }
    }
  for (int k = 0; k < 2; k++)
    {
      const char *dir = k == 0 ? c->cg_mem : c->cg_cpu;
      if (dir == NULL || (k == 1 && c->cg_mem && strcmp (dir, c->cg_mem) == 0))
        continue;
      if (!c->dir_journaled && loom_sup_journal (s, "cgroup", dir, err) < 0)
        return -1;
      /* Fresh for every start: counters (OOM kills) belong to this run. */
      if (loom_cgroup_kill_rmdir (dir, err) < 0)
        return -1;
      if (mkdir (dir, 0755) < 0)
        return loom_error_make (err, errno, "create cgroup %s", dir);
    }
  if (c->memory)
    {
      char v[32];
      snprintf (v, sizeof v, "%llu", (unsigned long long) c->memory);
      if (r.v2)
        {
          loom_autofree char *max = loom_xasprintf ("%s/memory.max", c->cg_mem);
          loom_autofree char *swap = loom_xasprintf ("%s/memory.swap.max", c->cg_mem);
          if (write_text (max, v, err) < 0)
            return -1;
          if (access (swap, F_OK) == 0)
            write_text (swap, "0", NULL);
        }
      else
        {
          loom_autofree char *lim = loom_xasprintf ("%s/memory.limit_in_bytes", c->cg_mem);
          loom_autofree char *sw = loom_xasprintf ("%s/memory.memsw.limit_in_bytes", c->cg_mem);
          if (write_text (lim, v, err) < 0)
            return -1;
          if (access (sw, F_OK) == 0)
            write_text (sw, v, NULL);
        }
    }
  if (c->cpu > 0)
    {
      long period = 100000, quota = (long) (c->cpu * period + 0.5);
      char v[64];
      if (quota < 1000)
        quota = 1000;
      if (r.v2)
        {
          loom_autofree char *p = loom_xasprintf ("%s/cpu.max", c->cg_cpu);
          snprintf (v, sizeof v, "%ld %ld", quota, period);
          if (write_text (p, v, err) < 0)
            return -1;
        }
      else
        {
          loom_autofree char *pp = loom_xasprintf ("%s/cpu.cfs_period_us", c->cg_cpu);
          loom_autofree char *qp = loom_xasprintf ("%s/cpu.cfs_quota_us", c->cg_cpu);
          snprintf (v, sizeof v, "%ld", period);
          if (write_text (pp, v, err) < 0)
            return -1;
          snprintf (v, sizeof v, "%ld", quota);
          if (write_text (qp, v, err) < 0)
            return -1;
        }
    }
  return 0;
}

static uint64_t
oom_kills (const struct ctr *c)
{
  loom_autofree char *p = NULL;
  if (c->cg_mem == NULL)
    return 0;
  p = loom_xasprintf ("%s/%s", c->cg_mem, c->v2 ? "memory.events" : "memory.oom_control");
  return read_keyed (p, "oom_kill");
}

/* The command, environment, working directory and user, by docker's rules: the node's
 * cmd replaces the image's Cmd; its entrypoint replaces the image's Entrypoint and
 * clears the image's Cmd unless the node gives a cmd too. */
static int
plan_process (struct ctr *c, const struct loom_image *img, struct launch *l, loom_error_t *err)
{
  json_t *jcmd = json_object_get (c->conf, "cmd");
  json_t *jep = json_object_get (c->conf, "entrypoint");
  const char *hostname = json_string_value (json_object_get (c->conf, "hostname"));
  const char *key;
  json_t *val;
  char **argv = NULL, **envp = NULL;
  size_t na = 0, ne = 0;

  if (json_is_array (jep))
    {
      char **v = strv_from_json (jep);
      strv_append (&argv, &na, v, json_array_size (jep));
      loom_strv_free (v);
    }
  else if (img)
    strv_append (&argv, &na, img->entrypoint, img->n_entrypoint);
  if (json_is_array (jcmd))
    {
      char **v = strv_from_json (jcmd);
      strv_append (&argv, &na, v, json_array_size (jcmd));
      loom_strv_free (v);
    }
  else if (img && !json_is_array (jep))
    strv_append (&argv, &na, img->cmd, img->n_cmd);
  if (na == 0)
    {
      free (argv);
      return loom_error_make (err, 0, "no command to run: the %s gives none; set cmd",
                              img ? "image" : "node");
    }
  LOOM_PUSH (argv, na, NULL);
  l->argv = argv;

  if (img)
    strv_append (&envp, &ne, img->env, img->n_env);
  json_object_foreach (c->env, key, val)
    {
      loom_autofree char *kv = loom_xasprintf ("%s=%s", key, json_string_value (val) ?: "");
      env_set (&envp, &ne, kv);
    }
  l->hostname = loom_xstrdup (hostname && *hostname ? hostname : c->node);
  {
    loom_autofree char *kv = loom_xasprintf ("HOSTNAME=%s", l->hostname);
    env_set (&envp, &ne, kv);
  }
  env_default (&envp, &ne, DEFAULT_PATH);
  LOOM_PUSH (envp, ne, NULL);
  l->envp = envp;

  {
    const char *wd = json_string_value (json_object_get (c->conf, "workdir"));
    const char *user = json_string_value (json_object_get (c->conf, "user"));
    l->workdir = loom_xstrdup (wd && *wd                              ? wd
                               : img && img->workdir && *img->workdir ? img->workdir
                                                                      : "/");
    l->user = loom_xstrdup (user && *user                    ? user
                            : img && img->user && *img->user ? img->user
                                                             : "0");
  }
  return 0;
}

/* What exec needs to enter the container, next to the container's other files. */
static int
write_init_json (struct loom_sup *s, struct ctr *c, const struct launch *l, loom_error_t *err)
{
  loom_autofree char *path = loom_xasprintf ("%s/init.json", c->dir);
  loom_autofree char *tmp = loom_xasprintf ("%s/init.json.tmp", c->dir);
  loom_autofree char *nspath = loom_xasprintf ("/proc/%d/ns/pid", (int) c->pid);
  json_t *env = json_array (), *cgs = json_array (), *o;
  struct stat st;
  size_t i;
  int r;

  for (i = 0; l->envp[i]; i++)
    json_array_append_new (env, json_string (l->envp[i]));
  if (c->cg_mem)
    json_array_append_new (cgs, json_string (c->cg_mem));
  if (c->cg_cpu && (!c->cg_mem || strcmp (c->cg_cpu, c->cg_mem) != 0))
    json_array_append_new (cgs, json_string (c->cg_cpu));
  o = json_pack ("{s:i, s:I, s:o, s:s, s:s, s:o, s:s}", "pid", (int) c->pid, "pidns",
                 (json_int_t) (stat (nspath, &st) == 0 ? st.st_ino : 0), "env", env, "workdir",
                 l->workdir, "user", l->user, "cgroups", cgs, "hostname", l->hostname);
  r = json_dump_file (o, tmp, JSON_COMPACT);
  json_decref (o);
  if (r < 0 || rename (tmp, path) < 0)
    return loom_error_make (err, errno, "write %s", path);
  (void) s;
  return 0;
}

static void on_init_exit (struct loom_sup *s, void *ctx, pid_t pid, int status);

/* Reads one report line of init's ("K", "E<error>", "X<status>"), bounded. */
static int
read_report (int fd, char *buf, size_t len, int timeout_ms)
{
  size_t got = 0;
  while (got < len - 1)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      ssize_t r;
      if (timeout_ms >= 0 && poll (&p, 1, timeout_ms) <= 0)
        break;
      r = read (fd, buf + got, 1);
      if (r <= 0)
        break;
      if (buf[got] == '\n')
        break;
      got += r;
    }
  buf[got] = '\0';
  return (int) got;
}

/* The binds, the volumes (made in the lab directory when missing) and the files for
 * /etc/hosts and /etc/hostname, into the launch plan. */
static int
plan_mounts (struct loom_sup *s, struct ctr *c, struct launch *l, loom_error_t *err)
{
  const char *labdir = loom_sup_labdir (s);
  json_t *b;
  size_t i;

  json_array_foreach (json_object_get (c->conf, "binds"), i, b)
    {
      LOOM_PUSH (l->bind_src, l->n_binds,
                 loom_xstrdup (json_string_value (json_object_get (b, "src"))));
      l->n_binds--;
      LOOM_PUSH (l->bind_dst, l->n_binds,
                 loom_xstrdup (json_string_value (json_object_get (b, "dst"))));
      l->n_binds--;
      LOOM_PUSH (l->bind_ro, l->n_binds, json_is_true (json_object_get (b, "ro")));
    }
  json_array_foreach (json_object_get (c->conf, "volumes"), i, b)
    {
      loom_autofree char *vols = loom_xasprintf ("%s/volumes", labdir);
      const char *name = json_string_value (json_object_get (b, "name"));
      char *dir = loom_xasprintf ("%s/%s", vols, name ? name : "_");
      /* Kept across destroy; `destroy --cleanup` (and a failed first deploy) remove it. */
      if (own_dir (s, "data", vols, err) < 0 || own_dir (s, "data", dir, err) < 0)
        {
          free (dir);
          return -1;
        }
      LOOM_PUSH (l->bind_src, l->n_binds, dir);
      l->n_binds--;
      LOOM_PUSH (l->bind_dst, l->n_binds,
                 loom_xstrdup (json_string_value (json_object_get (b, "dst"))));
      l->n_binds--;
      LOOM_PUSH (l->bind_ro, l->n_binds, json_is_true (json_object_get (b, "ro")));
    }
  l->hosts = loom_xasprintf ("%s/hosts", c->dir);
  l->hostname_file = loom_xasprintf ("%s/hostname", c->dir);
  {
    loom_autofree char *ht = hosts_text (loom_sup_state (s), c->node, l->hostname);
    loom_autofree char *hn = loom_xasprintf ("%s\n", l->hostname);
    if (loom_write_file (l->hosts, ht, strlen (ht), err) < 0
        || loom_write_file (l->hostname_file, hn, strlen (hn), err) < 0)
      return -1;
  }

  return 0;
}

/* Waits for init's verdict (the command was exec'd, or why not) and writes init.json. */
static int
ctr_ready (struct loom_sup *s, struct ctr *c, struct launch *l, loom_error_t *err)
{
  char line[1024];

  read_report (c->report_fd, line, sizeof line, START_TIMEOUT_MS);
  if (line[0] != 'K')
    {
      kill (c->pid, SIGKILL);
      c->state = CTR_FAILED;
      if (line[0] == 'E')
        loom_error_make (err, 0, "%s", line + 1);
      else
        loom_error_make (err, 0, "its init ended before the command started");
      c->error = loom_xstrdup ((*err)->msg);
      return -1;
    }
  if (write_init_json (s, c, l, err) < 0)
    return -1;
  loom_sup_log ("container %s: started (pid %d): %s", c->node, (int) c->pid, l->argv[0]);
  return 0;
}

/* Starts a container; with @wait false it returns once init runs, and ctr_ready() (on
 * c->pending) collects its verdict later, so many containers set up at once. */
static int
ctr_start (struct loom_sup *s, struct ctr *c, bool wait, loom_error_t *err)
{
  struct launch l = { .c = c, .netfd = -1, .logfd = -1, .nullfd = -1, .report_wr = -1 };
  struct loom_image *img = NULL;
  const char *image = json_string_value (json_object_get (c->conf, "image"));
  const char *rootfs = json_string_value (json_object_get (c->conf, "rootfs"));
  const char *labdir = loom_sup_labdir (s);
  loom_autofree char *containers = loom_xasprintf ("%s/containers", loom_sup_statedir (s));
  loom_autofree char *upper = loom_xasprintf ("%s/upper", c->dir);
  loom_autofree char *work = loom_xasprintf ("%s/work", c->dir);
  loom_autofree char *logdir = loom_xasprintf ("%s/logs", labdir);
  loom_autofree char *nspath = loom_xasprintf ("/run/netns/%s", c->netns);
  int report[2] = { -1, -1 };
  size_t i;
  pid_t pid;
  int r = -1;

  free (c->error);
  c->error = NULL;
  if (c->pid > 0)
    {
      /* An earlier run not reaped yet: its exit is reported under its own pid. */
      if (c->pidfd >= 0)
        close (c->pidfd);
      if (c->report_fd >= 0)
        close (c->report_fd);
      c->pidfd = c->report_fd = -1;
      c->pid = 0;
    }
  c->have_status = false;
  c->oom_kills = 0;

  if (rootfs == NULL && (img = loom_image_resolve (image ? image : "", err)) == NULL)
    {
      loom_error_wrap (err, "image");
      goto out;
    }
  /* The per-node directory: thrown away on destroy, kept across stop and start. */
  if (own_dir (s, "tree", containers, err) < 0)
    goto out;
  if (!c->dir_journaled && loom_sup_journal (s, "tree", c->dir, err) < 0)
    goto out;
  l.root = loom_xasprintf ("%s/root", c->dir);
  if (loom_mkdir_p (upper, 0755, err) < 0 || loom_mkdir_p (work, 0755, err) < 0
      || loom_mkdir_p (l.root, 0755, err) < 0)
    goto out;
  if (own_dir (s, "dir", logdir, err) < 0)
    goto out;
  {
    struct stat st;
    if (stat (c->log, &st) < 0 && loom_sup_journal (s, "file", c->log, err) < 0)
      goto out;
  }
  if (setup_cgroups (s, c, err) < 0)
    goto out;
  c->dir_journaled = true;

  /* The root: image layers (topmost first) or the rootfs directory, below our upper. */
  {
    char *lower = NULL;
    if (img)
      for (i = img->n_layers; i-- > 0;)
        {
          char *next
              = loom_xasprintf ("%s%s%s", lower ? lower : "", lower ? ":" : "", img->layers[i]);
          free (lower);
          lower = next;
        }
    else
      lower = loom_xstrdup (rootfs);
    if (lower == NULL || !*lower)
      {
        free (lower);
        loom_error_make (err, 0, "image %s has no layers", image);
        goto out;
      }
    l.overlay = loom_xasprintf ("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    free (lower);
  }
  if (plan_process (c, img, &l, err) < 0)
    goto out;
  if (plan_mounts (s, c, &l, err) < 0)
    goto out;

  l.netfd = open (nspath, O_RDONLY | O_CLOEXEC);
  if (l.netfd < 0)
    {
      loom_error_make (err, errno, "open %s", nspath);
      goto out;
    }
  l.logfd = open (c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (l.logfd < 0)
    {
      loom_error_make (err, errno, "open %s", c->log);
      goto out;
    }
  l.nullfd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (pipe2 (report, O_CLOEXEC) < 0)
    {
      loom_error_make (err, errno, "pipe");
      goto out;
    }
  l.report_wr = report[1];

  /* PID 1 of a new PID namespace, in new mount, UTS and IPC namespaces: a fork that
   * is also a clone (no stack: the child runs on a copy of ours, as after fork). */
  pid = (pid_t) syscall (SYS_clone,
                         CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, NULL,
                         NULL, NULL, NULL);
  if (pid < 0)
    {
      loom_error_make (err, errno, "clone");
      goto out;
    }
  if (pid == 0)
    container_init (&l);
  close (report[1]);
  report[1] = -1;
  c->pid = pid;
  c->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  c->report_fd = report[0];
  report[0] = -1;
  c->state = CTR_RUNNING;
  loom_sup_child (s, pid, on_init_exit, c);
  /* The child has what it needs; the parent keeps only the plan, for init.json. */
  close (l.netfd);
  close (l.logfd);
  close (l.nullfd);
  l.netfd = l.logfd = l.nullfd = -1;
  if (wait)
    r = ctr_ready (s, c, &l, err);
  else
    {
      c->pending = loom_xmalloc (sizeof l);
      *c->pending = l;
      memset (&l, 0, sizeof l);
      l.netfd = l.logfd = l.nullfd = l.report_wr = -1;
      r = 0;
    }
out:
  if (report[0] >= 0)
    close (report[0]);
  if (report[1] >= 0)
    close (report[1]);
  if (l.netfd >= 0)
    close (l.netfd);
  if (l.logfd >= 0)
    close (l.logfd);
  if (l.nullfd >= 0)
    close (l.nullfd);
  launch_free (&l);
  loom_image_free (img);
  if (r < 0)
    loom_error_wrap (err, "container %s", c->node);
  return r;
}

static void
on_init_exit (struct loom_sup *s, void *ctx, pid_t pid, int status)
{
  struct ctr *c = ctx;
  loom_autofree char *init = NULL;
  char line[64];

  if (pid != c->pid)
    return; /* an earlier run's init */
  c->status = WIFEXITED (status) ? WEXITSTATUS (status) << 8 : status;
  if (c->report_fd >= 0)
    {
      int fl = fcntl (c->report_fd, F_GETFL);
      fcntl (c->report_fd, F_SETFL, fl | O_NONBLOCK);
      while (read_report (c->report_fd, line, sizeof line, -1) > 0)
        if (line[0] == 'X')
          c->status = atoi (line + 1);
      close (c->report_fd);
      c->report_fd = -1;
    }
  if (c->pidfd >= 0)
    close (c->pidfd);
  c->pidfd = -1;
  c->pid = 0;
  c->have_status = true;
  c->oom_kills = oom_kills (c);
  if (c->state == CTR_RUNNING)
    c->state = CTR_EXITED;
  init = loom_xasprintf ("%s/init.json", c->dir);
  unlink (init);
  if (WIFSIGNALED (c->status))
    loom_sup_log ("container %s: killed by signal %d%s", c->node, WTERMSIG (c->status),
                  c->oom_kills ? " (out of memory)" : "");
  else
    loom_sup_log ("container %s: exited %d", c->node, WEXITSTATUS (c->status));
}

/* Stops a container: SIGTERM to init (which passes it to the command), a bounded wait,
 * then SIGKILL, then whatever is left in its cgroups. */
static void
ctr_stop (struct ctr *c)
{
  if (c->pid > 0 && c->state == CTR_RUNNING)
    {
      struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
      kill (c->pid, SIGTERM);
      if (c->pidfd < 0 || poll (&p, 1, STOP_GRACE_MS) <= 0)
        {
          kill (c->pid, SIGKILL);
          if (c->pidfd >= 0)
            poll (&p, 1, STOP_GRACE_MS);
        }
    }
  c->state = CTR_STOPPED;
  {
    /* Nothing to enter any more, even before the exit is reaped. */
    loom_autofree char *init = loom_xasprintf ("%s/init.json", c->dir);
    unlink (init);
  }
  if (c->cg_mem)
    loom_cgroup_kill_rmdir (c->cg_mem, NULL);
  if (c->cg_cpu && (!c->cg_mem || strcmp (c->cg_cpu, c->cg_mem) != 0))
    loom_cgroup_kill_rmdir (c->cg_cpu, NULL);
}

/* ---- the service -------------------------------------------------------------- */

static int
svc_start (struct loom_sup *s, void **priv, loom_error_t *err)
{
  struct svc *v = loom_xcalloc (1, sizeof *v);
  json_t *n;
  size_t i;
  int r = 0;

  *priv = v;
  json_array_foreach (json_object_get (loom_sup_state (s), "nodes"), i, n)
    {
      json_t *conf = json_object_get (n, "container");
      struct ctr c = { 0 };
      if (!json_is_object (conf))
        continue;
      c.node = loom_xstrdup (json_string_value (json_object_get (n, "name")));
      c.netns = loom_xstrdup (json_string_value (json_object_get (n, "netns")));
      c.dir = loom_container_dir (loom_sup_statedir (s), c.node);
      c.log = loom_xasprintf ("%s/logs/%s.log", loom_sup_labdir (s), c.node);
      c.conf = json_deep_copy (conf);
      c.env = json_deep_copy (json_object_get (n, "env"));
      if (c.env == NULL)
        c.env = json_object ();
      c.memory = (uint64_t) json_integer_value (json_object_get (conf, "memory"));
      c.cpu = json_number_value (json_object_get (conf, "cpu"));
      c.pidfd = c.report_fd = -1;
      c.state = json_is_true (json_object_get (n, "stopped")) ? CTR_STOPPED : CTR_NEW;
      LOOM_PUSH (v->c, v->n, c);
    }
  /* Two fds per container (pidfd, report pipe) stay open in the supervisor. */
  {
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 3 * v->n + 256)
      {
        rl.rlim_cur = rl.rlim_max < 3 * v->n + 256 ? rl.rlim_max : 3 * v->n + 256;
        setrlimit (RLIMIT_NOFILE, &rl);
      }
  }
  /* All at once: each init builds its root while the others do. */
  for (i = 0; i < v->n; i++)
    if (r == 0 && v->c[i].state == CTR_NEW && ctr_start (s, &v->c[i], false, err) < 0)
      r = -1;
  for (i = 0; i < v->n; i++)
    if (v->c[i].pending)
      {
        struct launch *l = v->c[i].pending;
        v->c[i].pending = NULL;
        if (r == 0 && ctr_ready (s, &v->c[i], l, err) < 0)
          r = loom_error_wrap (err, "container %s", v->c[i].node);
        launch_free (l);
        free (l);
      }
  return r;
}

static void
svc_stop (struct loom_sup *s, void *priv)
{
  struct svc *v = priv;
  size_t i;

  if (v == NULL)
    return;
  /* SIGTERM to all first, so they wind down together, within one grace period. */
  {
    double end = loom_now () + STOP_GRACE_MS / 1000.0;
    for (i = 0; i < v->n; i++)
      if (v->c[i].pid > 0 && v->c[i].state == CTR_RUNNING)
        kill (v->c[i].pid, SIGTERM);
    for (i = 0; i < v->n; i++)
      if (v->c[i].pid > 0 && v->c[i].state == CTR_RUNNING && v->c[i].pidfd >= 0)
        {
          struct pollfd p = { .fd = v->c[i].pidfd, .events = POLLIN };
          double left = end - loom_now ();
          if (poll (&p, 1, left > 0 ? (int) (left * 1000) : 0) <= 0)
            kill (v->c[i].pid, SIGKILL);
        }
  }
  for (i = 0; i < v->n; i++)
    {
      struct ctr *c = &v->c[i];
      ctr_stop (c);
      if (c->pidfd >= 0)
        close (c->pidfd);
      if (c->report_fd >= 0)
        close (c->report_fd);
      free (c->node);
      free (c->netns);
      free (c->dir);
      free (c->log);
      free (c->cg_mem);
      free (c->cg_cpu);
      free (c->error);
      json_decref (c->conf);
      json_decref (c->env);
    }
  free (v->c);
  free (v);
}

static struct ctr *
find_ctr (struct svc *v, const char *node)
{
  size_t i;
  for (i = 0; v && i < v->n; i++)
    if (strcmp (v->c[i].node, node) == 0)
      return &v->c[i];
  return NULL;
}

static int
svc_node_set (struct loom_sup *s, void *priv, const char *node, bool start, loom_error_t *err)
{
  struct ctr *c = find_ctr (priv, node);

  if (c == NULL)
    return 0;
  if (!start)
    {
      ctr_stop (c);
      loom_sup_log ("container %s: stopped", c->node);
      return 0;
    }
  if (c->state == CTR_RUNNING)
    return 0;
  return ctr_start (s, c, true, err);
}

static json_t *
ctr_status (const struct ctr *c)
{
  json_t *o = json_object ();
  const char *state = "created";
  uint64_t ooms = c->state == CTR_RUNNING ? oom_kills (c) : c->oom_kills;

  switch (c->state)
    {
    case CTR_NEW:
      state = "created";
      break;
    case CTR_RUNNING:
      state = "running";
      break;
    case CTR_EXITED:
      state = "exited";
      break;
    case CTR_STOPPED:
      state = "stopped";
      break;
    case CTR_FAILED:
      state = "failed";
      break;
    }
  json_object_set_new (o, "state", json_string (state));
  if (c->pid > 0)
    json_object_set_new (o, "pid", json_integer (c->pid));
  if (c->have_status && c->state == CTR_EXITED)
    {
      if (WIFSIGNALED (c->status))
        {
          json_object_set_new (o, "signal", json_integer (WTERMSIG (c->status)));
          json_object_set_new (o, "exit_code", json_integer (128 + WTERMSIG (c->status)));
        }
      else
        json_object_set_new (o, "exit_code", json_integer (WEXITSTATUS (c->status)));
    }
  json_object_set_new (o, "oom_kills", json_integer ((json_int_t) ooms));
  if (c->memory)
    json_object_set_new (o, "memory_limit", json_integer ((json_int_t) c->memory));
  if (c->cpu > 0)
    json_object_set_new (o, "cpu_limit", json_real (c->cpu));
  if (c->error)
    json_object_set_new (o, "error", json_string (c->error));
  json_object_set_new (o, "log", json_string (c->log));
  return o;
}

static void
svc_status (struct loom_sup *s, void *priv, json_t *out)
{
  struct svc *v = priv;
  json_t *all = json_object ();
  size_t i;

  for (i = 0; v && i < v->n; i++)
    json_object_set_new (all, v->c[i].node, ctr_status (&v->c[i]));
  json_object_set_new (out, "containers", all);
}

const struct loom_service loom_service_containers = {
  .name = "containers",
  .start = svc_start,
  .stop = svc_stop,
  .node_set = svc_node_set,
  .status = svc_status,
};

/* ---- describing a container's state ------------------------------------------- */

static char *
fmt_bytes (uint64_t b)
{
  if (b >= (1ULL << 30) && b % (1ULL << 30) == 0)
    return loom_xasprintf ("%llu GiB", (unsigned long long) (b >> 30));
  if (b >= (1ULL << 20))
    return loom_xasprintf ("%llu MiB", (unsigned long long) (b >> 20));
  return loom_xasprintf ("%llu KiB", (unsigned long long) (b >> 10));
}

char *
loom_container_describe (json_t *st)
{
  const char *state = json_string_value (json_object_get (st, "state"));
  json_int_t ooms = json_integer_value (json_object_get (st, "oom_kills"));
  uint64_t limit = (uint64_t) json_integer_value (json_object_get (st, "memory_limit"));
  loom_autofree char *lim = limit ? fmt_bytes (limit) : NULL;
  loom_autofree char *limtext = lim ? loom_xasprintf (" (limit %s)", lim) : loom_xstrdup ("");
  const char *error = json_string_value (json_object_get (st, "error"));

  if (state == NULL)
    return loom_xstrdup ("unknown");
  if (strcmp (state, "exited") == 0)
    {
      json_int_t code = json_integer_value (json_object_get (st, "exit_code"));
      json_int_t sig = json_integer_value (json_object_get (st, "signal"));
      if (sig == SIGKILL && ooms > 0)
        return loom_xasprintf ("exited %lld — killed: out of memory%s", code, limtext);
      if (sig)
        return loom_xasprintf ("exited %lld — killed by signal %lld (%s)", code, sig,
                               strsignal ((int) sig));
      if (ooms > 0)
        return loom_xasprintf ("exited %lld — %lld %s killed by the OOM killer%s", code, ooms,
                               ooms == 1 ? "process" : "processes", limtext);
      return loom_xasprintf ("exited %lld", code);
    }
  if (strcmp (state, "running") == 0 && ooms > 0)
    return loom_xasprintf ("running — %lld %s killed by the OOM killer%s", ooms,
                           ooms == 1 ? "process" : "processes", limtext);
  if (strcmp (state, "failed") == 0 && error)
    return loom_xasprintf ("failed: %s", error);
  return loom_xstrdup (state);
}

/* ---- entering a running container --------------------------------------------- */

static void __attribute__ ((noreturn)) enter_fail (int fd, int e)
{
  (void) !write (fd, &e, sizeof e);
  _exit (127);
}

/* Copies between our terminal and the container's pty until the command ends: our
 * terminal in raw mode (the pty does the line discipline), window size changes passed
 * on, what the pty still holds drained at the end. Async-signal-safe calls only (we are
 * a child of a process that may have threads). */
static void
relay_tty (int ptm, pid_t cmd)
{
  struct termios saved, raw;
  bool have_term = tcgetattr (0, &saved) == 0;
  int pidfd = (int) syscall (SYS_pidfd_open, cmd, 0);
  sigset_t winch;
  int sfd;
  char buf[4096];

  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  sigprocmask (SIG_BLOCK, &winch, NULL);
  sfd = signalfd (-1, &winch, SFD_CLOEXEC);
  if (have_term)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (0, TCSANOW, &raw);
    }
  for (;;)
    {
      struct pollfd p[4] = {
        { .fd = 0, .events = POLLIN },
        { .fd = ptm, .events = POLLIN },
        { .fd = pidfd, .events = POLLIN },
        { .fd = sfd, .events = POLLIN },
      };
      ssize_t n;
      if (poll (p, 4, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          n = read (ptm, buf, sizeof buf);
          if (n <= 0)
            break;
          if (write (1, buf, (size_t) n) < 0)
            break;
        }
      if (p[0].revents & POLLIN)
        {
          n = read (0, buf, sizeof buf);
          if (n > 0 && write (ptm, buf, (size_t) n) < 0)
            break;
          if (n <= 0)
            p[0].fd = -1;
        }
      if (p[3].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          struct winsize w;
          if (read (sfd, &si, sizeof si) > 0 && ioctl (0, TIOCGWINSZ, &w) == 0)
            ioctl (ptm, TIOCSWINSZ, &w);
        }
      if (p[2].revents & POLLIN)
        {
          /* The command is gone; what it wrote last may still be in the pty. */
          int fl = fcntl (ptm, F_GETFL);
          fcntl (ptm, F_SETFL, fl | O_NONBLOCK);
          while ((n = read (ptm, buf, sizeof buf)) > 0)
            if (write (1, buf, (size_t) n) < 0)
              break;
          break;
        }
    }
  if (have_term)
    tcsetattr (0, TCSANOW, &saved);
}

/* False for a pid that is gone or a zombie (its namespaces cannot be entered). */
static bool
process_alive (pid_t pid)
{
  char path[64];
  loom_autofree char *stat = NULL;
  char *p;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (loom_read_file (path, &stat, NULL, NULL) < 0 || !(p = strrchr (stat, ')')))
    return false;
  return p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

pid_t
loom_container_spawn (const char *statedir, const char *node, const struct loom_container_exec *x,
                      loom_error_t *err)
{
  loom_autofree char *dir = loom_container_dir (statedir, node);
  loom_autofree char *path = loom_xasprintf ("%s/init.json", dir);
  loom_autofree char *root = NULL;
  loom_autofree char *home = NULL;
  loom_autofree char *nspath = NULL;
  char **envp = NULL, **cgprocs = NULL;
  size_t ne = 0, ncg = 0, i;
  json_t *init = json_load_file (path, 0, NULL), *v;
  pid_t pid, child = -1;
  int pidfd = -1, pipefd[2] = { -1, -1 }, child_errno = 0;
  uid_t uid;
  gid_t gid;
  const char *workdir;
  struct stat st;
  ssize_t r;
  /* A terminal on both sides and nobody redirecting: a pty inside the container. */
  bool tty = x->stdin_fd < 0 && x->stdout_fd < 0 && isatty (0) && isatty (1);
  struct winsize ws = { 0 };
  int ptm = -1, ptn = 0;

  if (tty)
    ioctl (0, TIOCGWINSZ, &ws);
  if (init == NULL)
    return loom_error_make (err, 0,
                            "container %s is not running (see netloom inspect and "
                            "netloom logs)",
                            node);
  pid = (pid_t) json_integer_value (json_object_get (init, "pid"));
  nspath = loom_xasprintf ("/proc/%d/ns/pid", (int) pid);
  pidfd = pid > 0 ? (int) syscall (SYS_pidfd_open, pid, 0) : -1;
  /* The pid must still be that container's init (pids get reused), and alive. */
  if (pidfd < 0 || !process_alive (pid) || stat (nspath, &st) < 0
      || (json_int_t) st.st_ino != json_integer_value (json_object_get (init, "pidns")))
    {
      if (pidfd >= 0)
        close (pidfd);
      json_decref (init);
      return loom_error_make (err, 0, "container %s is not running", node);
    }
  root = loom_xasprintf ("/proc/%d/root", (int) pid);
  if (resolve_user (root, json_string_value (json_object_get (init, "user")), &uid, &gid, &home,
                    err)
      < 0)
    {
      close (pidfd);
      json_decref (init);
      return loom_error_wrap (err, "container %s", node);
    }
  json_array_foreach (json_object_get (init, "env"), i, v)
    LOOM_PUSH (envp, ne, loom_xstrdup (json_string_value (v)));
  for (i = 0; x->extra_env && x->extra_env[i]; i++)
    env_set (&envp, &ne, x->extra_env[i]);
  {
    loom_autofree char *h = loom_xasprintf ("HOME=%s", home);
    env_default (&envp, &ne, h);
  }
  LOOM_PUSH (envp, ne, NULL);
  json_array_foreach (json_object_get (init, "cgroups"), i, v)
    LOOM_PUSH (cgprocs, ncg, loom_xasprintf ("%s/cgroup.procs", json_string_value (v)));
  workdir = json_string_value (json_object_get (init, "workdir"));

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    {
      loom_error_make (err, errno, "pipe");
      goto out;
    }
  child = fork ();
  if (child < 0)
    {
      loom_error_make (err, errno, "fork");
      goto out;
    }
  if (child == 0)
    {
      /* Only async-signal-safe calls: the caller may have threads. */
      int st2;
      pid_t gc;
      close (pipefd[0]);
      if ((x->stdin_fd >= 0 && dup2 (x->stdin_fd, 0) < 0)
          || (x->stdout_fd >= 0 && dup2 (x->stdout_fd, 1) < 0)
          || (x->stderr_fd >= 0 && dup2 (x->stderr_fd, 2) < 0))
        enter_fail (pipefd[1], errno);
      for (i = 0; i < ncg; i++)
        {
          int fd = open (cgprocs[i], O_WRONLY | O_CLOEXEC);
          if (fd < 0 || write (fd, "0", 1) != 1)
            enter_fail (pipefd[1], errno);
          close (fd);
        }
      if (setns (pidfd, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP
                            | CLONE_NEWNET)
          < 0)
        enter_fail (pipefd[1], -errno); /* negative: entering failed, not the command */
      /* A terminal of the container's own (its devpts) when ours is one, as
       * `docker exec -t` gives: tty, ssh and job control find it there. */
      if (tty)
        {
          int unlock = 0;
          ptm = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
          if (ptm < 0 || ioctl (ptm, TIOCSPTLCK, &unlock) < 0 || ioctl (ptm, TIOCGPTN, &ptn) < 0)
            enter_fail (pipefd[1], -errno);
        }
      gc = fork ();
      if (gc < 0)
        enter_fail (pipefd[1], errno);
      if (gc == 0)
        {
          gid_t g = gid;
          if (tty)
            {
              char name[32] = "/dev/pts/";
              int pts, k = 9;
              char digits[12];
              int nd = 0;
              unsigned left = (unsigned) ptn;
              do
                digits[nd++] = (char) ('0' + left % 10);
              while ((left /= 10));
              while (nd)
                name[k++] = digits[--nd];
              name[k] = '\0';
              setsid ();
              pts = open (name, O_RDWR);
              if (pts < 0 || ioctl (pts, TIOCSCTTY, 0) < 0)
                enter_fail (pipefd[1], errno);
              ioctl (pts, TIOCSWINSZ, &ws);
              dup2 (pts, 0);
              dup2 (pts, 1);
              dup2 (pts, 2);
              if (pts > 2)
                close (pts);
            }
          if (workdir && *workdir && chdir (workdir) < 0)
            enter_fail (pipefd[1], errno);
          if (syscall (SYS_setgroups, 1, &g) < 0 || syscall (SYS_setresgid, gid, gid, gid) < 0
              || syscall (SYS_setresuid, uid, uid, uid) < 0)
            enter_fail (pipefd[1], errno);
          environ = envp;
          execvp (x->argv[0], x->argv);
          enter_fail (pipefd[1], errno);
        }
      close (pipefd[1]);
      /* The terminal's Ctrl-C and Ctrl-\ reach the command; we only pass on how it
       * ended. */
      signal (SIGINT, SIG_IGN);
      signal (SIGQUIT, SIG_IGN);
      if (tty)
        relay_tty (ptm, gc);
      while (waitpid (gc, &st2, 0) < 0)
        if (errno != EINTR)
          _exit (127);
      if (WIFSIGNALED (st2))
        {
          signal (WTERMSIG (st2), SIG_DFL);
          kill (getpid (), WTERMSIG (st2));
          _exit (128 + WTERMSIG (st2));
        }
      _exit (WEXITSTATUS (st2));
    }
  close (pipefd[1]);
  pipefd[1] = -1;
  do
    r = read (pipefd[0], &child_errno, sizeof child_errno);
  while (r < 0 && errno == EINTR);
  if (r == sizeof child_errno)
    {
      waitpid (child, NULL, 0);
      child = -1;
      if (child_errno < 0)
        loom_error_make (err, -child_errno, "container %s is not running (enter its namespaces)",
                         node);
      else
        loom_error_make (err, child_errno, "cannot run '%s' in container %s", x->argv[0], node);
    }
out:
  if (pipefd[0] >= 0)
    close (pipefd[0]);
  if (pipefd[1] >= 0)
    close (pipefd[1]);
  close (pidfd);
  loom_strv_free (envp);
  for (i = 0; i < ncg; i++)
    free (cgprocs[i]);
  free (cgprocs);
  json_decref (init);
  return child;
}
