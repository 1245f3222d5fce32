/* FRR daemons per router node (see frr.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/frr.h"
#include "core/netns.h"
#include "core/util.h"

bool
loom_frr_available (void)
{
  return access (LOOM_FRR_DAEMON_DIR "/zebra", X_OK) == 0 && access ("/usr/bin/vtysh", X_OK) == 0;
}

/* True when a line of conf starts with word (after leading blanks). */
static bool
has_line (const char *conf, const char *word)
{
  const char *p = conf;
  size_t len = strlen (word);

  while (p && *p)
    {
      const char *q = p;
      while (*q == ' ' || *q == '\t')
        q++;
      if (strncmp (q, word, len) == 0 && (q[len] == '\0' || q[len] == ' ' || q[len] == '\n'))
        return true;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return false;
}

size_t
loom_frr_daemons (const char *conf, const char *names[LOOM_FRR_MAX_DAEMONS])
{
  static const struct
  {
    const char *line;
    const char *daemon;
  } map[] = {
    { "router ospf", "ospfd" },   { "router ospf6", "ospf6d" }, { "router bgp", "bgpd" },
    { "router rip", "ripd" },     { "router ripng", "ripngd" }, { "router isis", "isisd" },
    { "router eigrp", "eigrpd" }, { "router babel", "babeld" }, { "bfd", "bfdd" },
    { "router pim", "pimd" },
  };
  size_t n = 0, i, k;

  names[n++] = "zebra";
  names[n++] = "staticd";
  for (i = 0; i < sizeof map / sizeof map[0]; i++)
    if (conf && has_line (conf, map[i].line))
      {
        bool dup = false;
        for (k = 0; k < n; k++)
          dup |= strcmp (names[k], map[i].daemon) == 0;
        if (!dup && n < LOOM_FRR_MAX_DAEMONS)
          names[n++] = map[i].daemon;
      }
  return n;
}

static void
frr_owner (uid_t *uid, gid_t *gid)
{
  struct passwd *pw = getpwnam ("frr");
  struct group *gr = getgrnam ("frr");
  *uid = pw ? pw->pw_uid : 0;
  *gid = gr ? gr->gr_gid : 0;
}

int
loom_frr_write_config (const char *ns, const char *conf, loom_error_t *err)
{
  loom_autofree char *dir = loom_xasprintf ("%s/%s", LOOM_FRR_CONF_ROOT, ns);
  loom_autofree char *path = loom_xasprintf ("%s/frr.conf", dir);
  loom_autofree char *vtysh = loom_xasprintf ("%s/vtysh.conf", dir);
  const char *vconf = "service integrated-vtysh-config\n";
  uid_t uid;
  gid_t gid;

  frr_owner (&uid, &gid);
  if (loom_mkdir_p (dir, 0755, err) < 0 || loom_write_file (path, conf, strlen (conf), err) < 0
      || loom_write_file (vtysh, vconf, strlen (vconf), err) < 0)
    return -1;
  if (chown (dir, uid, gid) < 0 || chown (path, uid, gid) < 0 || chown (vtysh, uid, gid) < 0)
    return loom_error_make (err, errno, "chown %s", dir);
  return 0;
}

/* Forks a program inside the namespace; it dies with us (PDEATHSIG). */
static pid_t
spawn (const char *ns, char *const argv[], int out_fd, loom_error_t *err)
{
  loom_autoclose int nsfd = loom_netns_open (ns, err);
  pid_t parent = getpid (), pid;

  if (nsfd < 0)
    return -1;
  pid = fork ();
  if (pid < 0)
    return loom_error_make (err, errno, "fork");
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDONLY);
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      if (getppid () != parent)
        _exit (1); /* the supervisor died before we got here */
      if (setns (nsfd, CLONE_NEWNET) < 0)
        _exit (126);
      dup2 (devnull, 0);
      if (out_fd >= 0)
        {
          dup2 (out_fd, 1);
          dup2 (out_fd, 2);
        }
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      execv (argv[0], argv);
      _exit (127);
    }
  return pid;
}

/* Waits until every daemon has its vty socket in the run directory (inotify, bounded:
 * a daemon that never comes up is an error, not a hang). */
static int
wait_sockets (struct loom_frr_node *fn, const char *rundir, loom_error_t *err)
{
  loom_autoclose int ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  double deadline = loom_now () + 15.0;
  size_t i;

  if (ino < 0 || inotify_add_watch (ino, rundir, IN_CREATE | IN_MOVED_TO) < 0)
    return loom_error_make (err, errno, "watch %s", rundir);
  for (;;)
    {
      size_t ready = 0;
      struct pollfd p = { .fd = ino, .events = POLLIN };
      char buf[4096];

      for (i = 0; i < fn->n_daemons; i++)
        {
          loom_autofree char *sock = loom_xasprintf ("%s/%s.vty", rundir, fn->daemons[i]);
          struct stat st;
          int status;
          if (stat (sock, &st) == 0)
            ready++;
          else if (waitpid (fn->pids[i], &status, WNOHANG) == fn->pids[i])
            {
              fn->pids[i] = 0;
              return loom_error_make (err, 0, "%s exited at start (see %s/%s.%s.log)",
                                      fn->daemons[i], fn->logdir, fn->node, fn->daemons[i]);
            }
        }
      if (ready == fn->n_daemons)
        return 0;
      if (loom_now () > deadline)
        return loom_error_make (err, ETIMEDOUT, "FRR daemons of %s did not come up", fn->node);
      /* Woken by a socket appearing; the short timeout also notices a daemon that dies. */
      if (poll (&p, 1, 200) > 0)
        while (read (ino, buf, sizeof buf) > 0)
          ;
    }
}

int
loom_frr_start (struct loom_frr_node *fn, loom_error_t *err)
{
  loom_autofree char *rundir = loom_xasprintf ("%s/%s", LOOM_FRR_RUN_ROOT, fn->ns);
  uid_t uid;
  gid_t gid;
  size_t i;

  frr_owner (&uid, &gid);
  if (loom_mkdir_p (rundir, 0755, err) < 0)
    return -1;
  if (chown (rundir, uid, gid) < 0)
    return loom_error_make (err, errno, "chown %s", rundir);
  for (i = 0; i < fn->n_daemons; i++)
    {
      loom_autofree char *exe = loom_xasprintf ("%s/%s", LOOM_FRR_DAEMON_DIR, fn->daemons[i]);
      loom_autofree char *log = loom_xasprintf ("%s/%s.%s.log", fn->logdir, fn->node, fn->daemons[i]);
      char *argv[] = { exe, "-N", (char *) fn->ns, "-u", "frr", "-g", "frr", "--log", "stdout",
                       "-P", "0", NULL };
      loom_autoclose int fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

      if (fd < 0)
        {
          loom_error_make (err, errno, "open %s", log);
          goto fail;
        }
      fn->pids[i] = spawn (fn->ns, argv, fd, err);
      if (fn->pids[i] < 0)
        {
          fn->pids[i] = 0;
          goto fail;
        }
    }
  if (wait_sockets (fn, rundir, err) < 0)
    goto fail;
  {
    /* Load the integrated configuration into all daemons at once. */
    loom_autofree char *log = loom_xasprintf ("%s/%s.vtysh.log", fn->logdir, fn->node);
    loom_autoclose int fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    char *argv[] = { "/usr/bin/vtysh", "-N", (char *) fn->ns, "-b", NULL };
    pid_t pid = spawn (fn->ns, argv, fd, err);
    int status;

    if (pid < 0)
      goto fail;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
      ;
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
      {
        loom_error_make (err, 0, "FRR rejected the configuration of %s (see %s)", fn->node, log);
        goto fail;
      }
  }
  return 0;

fail:
  loom_frr_stop (fn);
  return -1;
}

void
loom_frr_stop (struct loom_frr_node *fn)
{
  size_t i;
  double deadline = loom_now () + 5.0;

  for (i = 0; i < fn->n_daemons; i++)
    if (fn->pids[i] > 0)
      kill (fn->pids[i], SIGTERM);
  /* Wait on each daemon's exit (a pidfd); the deadline only bounds one that hangs. */
  for (i = 0; i < fn->n_daemons; i++)
    if (fn->pids[i] > 0)
      {
        int pidfd = syscall (SYS_pidfd_open, fn->pids[i], 0);
        double left = deadline - loom_now ();
        if (pidfd >= 0)
          {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };
            if (poll (&p, 1, left > 0 ? (int) (left * 1000) : 0) == 0)
              kill (fn->pids[i], SIGKILL);
            close (pidfd);
          }
        else
          kill (fn->pids[i], SIGKILL); /* no pidfds here: no way to give it time */
        while (waitpid (fn->pids[i], NULL, 0) < 0 && errno == EINTR)
          ;
        fn->pids[i] = 0;
      }
}
