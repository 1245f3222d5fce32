/* The lab supervisor's "vms" service (see vm.h): it runs the lab's QEMU guests. Per VM
 * it keeps, in
 * /run/netloom/<lab>/vms/<node>/ (journaled as a tree before it exists):
 *   disk.qcow2    a copy-on-write overlay of the node's disk image (the base is never
 *                 written), kept across stop/start;
 *   console.sock  the serial console for viewers (`netloom console`), several at once;
 *   vnc.sock      QEMU's VNC server, for the GUI's viewer.
 * One TAP per interface lives in the node's namespace, joined to the link's veth end by
 * a tc mirred wire; the supervisor holds the TAP fds, so a VM powered off and on again
 * keeps its wiring. QEMU is the supervisor's child (PDEATHSIG SIGKILL) inside the
 * node's namespace; its serial port and QMP monitor are socketpairs the supervisor
 * holds, so there is no path to race for and nothing to connect to late. Everything the
 * guest prints goes to logs/<node>.console.log and to every attached viewer. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lab.h"
#include "core/netns.h"
#include "core/nl.h"
#include "core/state.h"
#include "core/supervisor.h"
#include "core/tap.h"
#include "core/tc.h"
#include "core/util.h"
#include "core/vm.h"
#include "core/vmimage.h"

#define MAX_VIEWERS 16
#define QMP_BUF 65536
#define START_TIMEOUT_MS 30000 /* QEMU up to its QMP greeting (TCG on a busy machine) */
#define PROBE_TIMEOUT_MS 2500  /* a KVM guest prints its first kernel line well before */
#define CMDLINE_MAX 2047       /* x86 COMMAND_LINE_SIZE - 1 */

/* ---- the service ----------------------------------------------------------------- */

enum qmp_state
{
  QMP_NONE = 0, /* no QEMU */
  QMP_GREETING, /* waiting for QEMU's greeting */
  QMP_CAPS,     /* qmp_capabilities sent */
  QMP_READY,
};

struct nic
{
  char *name;
  char mac[18];
  int veth; /* the link end's ifindex in the namespace; 0: no link */
  int tap_fd;
  int tap_ifindex;
};

struct vms;

struct vm
{
  struct vms *owner;
  char *node;
  char *ns;
  char *dir; /* <statedir>/vms/<node> */
  char *qemu_log;
  char *cmdline; /* the kernel command line; NULL for a disk-only guest */
  char *kernel, *initrd, *image, *disk;
  char *accel_want;
  const char *accel; /* in use: "tcg" or "kvm" */
  int memory_mib, cpus;
  struct nic *nics;
  size_t n_nics;
  bool prepared; /* directory, overlay, TAPs and wires exist */
  pid_t pid;     /* 0: not running */
  int pidfd;
  int serial; /* our end of the serial port */
  int qmp;    /* our end of the QMP monitor */
  enum qmp_state qmp_state;
  char qmp_buf[QMP_BUF];
  size_t qmp_len;
  unsigned qmp_id;
  char status[24]; /* running, paused, shutdown ... as QMP says */
  int log_fd;      /* logs/<node>.console.log */
  char *log_path;
  long long boot_offset; /* where this boot's output starts in the log */
  int listen_fd;         /* console.sock */
  int viewers[MAX_VIEWERS];
  bool expect_exit; /* we stopped it: its exit is no news */
};

struct vms
{
  struct loom_sup *sup;
  struct vm *vms;
  size_t n;
  const char *kvm_verdict; /* NULL: not probed yet; "kvm" or "tcg" */
  char *kvm_why;           /* why not KVM (for the log) */
};

static void vm_close_run (struct loom_sup *s, struct vm *vm);

static int
set_nonblock (int fd)
{
  int fl = fcntl (fd, F_GETFL);
  return fl < 0 ? -1 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

static int
pidfd_open (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

/* Waits (bounded) for a child we started and reaped ourselves (qemu-img, the probe). */
static int
wait_child (pid_t pid, int timeout_ms, int *status)
{
  int pfd = pidfd_open (pid);
  struct pollfd p = { .fd = pfd, .events = POLLIN };

  if (pfd >= 0)
    {
      int r = poll (&p, 1, timeout_ms);
      close (pfd);
      if (r <= 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, status, 0);
          return -1;
        }
    }
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

/* Forks a program with the given fds as its 3, 4, ...; stdout and stderr to @out_fd.
 * It dies with the supervisor (PDEATHSIG SIGKILL) and runs in namespace @nsfd when
 * that is >= 0. */
static pid_t
spawn_fds (char *const argv[], int nsfd, const int *fds, size_t n_fds, int out_fd,
           loom_error_t *err)
{
  int status_pipe[2], e = 0;
  pid_t parent = getpid (), pid;
  ssize_t r;

  if (pipe2 (status_pipe, O_CLOEXEC) < 0)
    return loom_error_make (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      e = errno;
      close (status_pipe[0]);
      close (status_pipe[1]);
      return loom_error_make (err, e, "fork");
    }
  if (pid == 0)
    {
      sigset_t none;
      int high[32], nul, sp;
      size_t i;

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (127);
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      signal (SIGPIPE, SIG_DFL);
      setsid ();
      if (nsfd >= 0 && setns (nsfd, CLONE_NEWNET) < 0)
        goto fail;
      /* Out of the way first (above every fd to be placed), so that moving them to 3,
       * 4, ... clobbers none; the copies are close-on-exec. */
      sp = fcntl (status_pipe[1], F_DUPFD_CLOEXEC, 100);
      if (sp < 0)
        goto fail;
      status_pipe[1] = sp;
      for (i = 0; i < n_fds && i < 32; i++)
        if ((high[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 101)) < 0)
          goto fail;
      nul = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (nul < 0 || dup2 (nul, 0) < 0 || dup2 (out_fd, 1) < 0 || dup2 (out_fd, 2) < 0)
        goto fail;
      for (i = 0; i < n_fds && i < 32; i++)
        if (dup2 (high[i], 3 + (int) i) < 0)
          goto fail;
      /* Nothing else of the supervisor's leaks in (the status pipe closes at exec). */
      if (sp > 3 + (int) n_fds)
        syscall (SYS_close_range, 3 + n_fds, sp - 1, 0);
      syscall (SYS_close_range, sp + 1, ~0U, 0);
      execvp (argv[0], argv);
    fail:
      e = errno;
      (void) !write (status_pipe[1], &e, sizeof e);
      _exit (127);
    }
  close (status_pipe[1]);
  while ((r = read (status_pipe[0], &e, sizeof e)) < 0 && errno == EINTR)
    ;
  close (status_pipe[0]);
  if (r == sizeof e)
    {
      int st;
      waitpid (pid, &st, 0);
      return loom_error_make (err, e, "run %s", argv[0]);
    }
  return pid;
}

/* The last lines of a file (for an error message): at most @max bytes, one line. */
static char *
file_tail (const char *path, size_t max)
{
  loom_autofree char *data = NULL;
  size_t len = 0, i;
  char *start, *out;

  if (loom_read_file (path, &data, &len, NULL) < 0 || len == 0)
    return loom_xstrdup ("");
  while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
    data[--len] = '\0';
  start = len > max ? data + len - max : data;
  out = loom_xstrdup (start);
  for (i = 0; out[i]; i++)
    if (out[i] == '\n' || out[i] == '\r')
      out[i] = ' ';
  return out;
}

/* Whether the first bytes of a disk image say qcow2. */
static const char *
image_format (const char *path)
{
  unsigned char magic[4] = { 0 };
  loom_autoclose int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && read (fd, magic, 4) == 4 && memcmp (magic, "QFI\xfb", 4) == 0)
    return "qcow2";
  return "raw";
}

/* ---- KVM probe -------------------------------------------------------------------- */

/* /dev/kvm being there proves little on some machines: QEMU opens it and then hangs
 * once the guest leaves real mode. So the probe boots a kernel under KVM with early
 * printk on a serial socketpair and waits (bounded) for its first line. The verdict is
 * kept for the machine's boot in <run dir>/kvm-probe, so only one deploy pays. */
static const char *
probe_kvm (const char *kernel, char **why)
{
  int sp[2], errp[2] = { -1, -1 };
  pid_t pid;
  loom_error_t err = NULL;
  loom_autoclose int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  char buf[4096];
  size_t got = 0;
  bool ok = false;
  double end;
  int status;
  char *argv[] = { LOOM_VM_QEMU,
                   "-nodefaults",
                   "-no-user-config",
                   "-display",
                   "none",
                   "-accel",
                   "kvm",
                   "-cpu",
                   "host",
                   "-m",
                   "64",
                   "-no-reboot",
                   "-chardev",
                   "socket,id=s,fd=3",
                   "-serial",
                   "chardev:s",
                   "-kernel",
                   (char *) kernel,
                   "-append",
                   "earlyprintk=serial,ttyS0 console=ttyS0 panic=-1 rdinit=/nonexistent",
                   NULL };

  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      *why = loom_xasprintf ("no usable /dev/kvm (%s)", strerror (errno));
      return "tcg";
    }
  if (kernel == NULL)
    {
      *why = loom_xstrdup ("no kernel to probe KVM with (the built-in guest is not built)");
      return "tcg";
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    {
      *why = loom_xasprintf ("socketpair: %s", strerror (errno));
      return "tcg";
    }
  if (pipe2 (errp, O_CLOEXEC | O_NONBLOCK) < 0)
    errp[0] = errp[1] = -1;
  pid = spawn_fds (argv, -1, &sp[1], 1, errp[1] >= 0 ? errp[1] : devnull, &err);
  close (sp[1]);
  if (errp[1] >= 0)
    close (errp[1]);
  if (pid < 0)
    {
      *why = loom_error_text (err);
      loom_error_release (&err);
      close (sp[0]);
      return "tcg";
    }
  end = loom_now () + PROBE_TIMEOUT_MS / 1000.0;
  while (!ok)
    {
      struct pollfd p = { .fd = sp[0], .events = POLLIN };
      int left = (int) ((end - loom_now ()) * 1000);
      ssize_t r;
      if (left <= 0 || poll (&p, 1, left) <= 0)
        break;
      r = read (sp[0], buf + got, sizeof buf - 1 - got);
      if (r <= 0)
        break;
      got += r;
      buf[got] = '\0';
      ok = strstr (buf, "Linux version") != NULL;
      if (got > sizeof buf / 2)
        {
          memmove (buf, buf + got - 64, 64);
          got = 64;
        }
    }
  close (sp[0]);
  kill (pid, SIGKILL);
  wait_child (pid, 5000, &status);
  if (!ok)
    {
      /* QEMU's own words when it gave up (an assertion, a failed MSR), else the time. */
      char msg[512];
      ssize_t r = errp[0] >= 0 ? read (errp[0], msg, sizeof msg - 1) : -1;
      char *last, *nl;
      if (r > 0)
        {
          msg[r] = '\0';
          while (r > 0 && msg[r - 1] == '\n')
            msg[--r] = '\0';
          last = (nl = strrchr (msg, '\n')) ? nl + 1 : msg;
          *why = loom_xasprintf ("QEMU under KVM failed: %s", last);
        }
      else
        *why = loom_xasprintf ("a KVM guest did not get to its first kernel line within %.1f s",
                               PROBE_TIMEOUT_MS / 1000.0);
    }
  if (errp[0] >= 0)
    close (errp[0]);
  return ok ? "kvm" : "tcg";
}

static const char *
kvm_verdict (struct vms *v, const char *kernel)
{
  loom_autofree char *cache = loom_xasprintf ("%s/kvm-probe", loom_run_dir ());
  loom_autofree char *boot = NULL, *text = NULL;
  char *nl;

  if (v->kvm_verdict)
    return v->kvm_verdict;
  if (loom_read_file ("/proc/sys/kernel/random/boot_id", &boot, NULL, NULL) == 0)
    {
      if ((nl = strchr (boot, '\n')))
        *nl = '\0';
      if (loom_read_file (cache, &text, NULL, NULL) == 0
          && strncmp (text, boot, strlen (boot)) == 0)
        {
          const char *rest = text + strlen (boot);
          if (strncmp (rest, " kvm", 4) == 0)
            return v->kvm_verdict = "kvm";
          if (strncmp (rest, " tcg", 4) == 0)
            {
              char *why = strchr (rest + 1, ' ');
              v->kvm_why = loom_xstrdup (why ? why + 1 : "an earlier probe failed");
              if ((nl = strchr (v->kvm_why, '\n')))
                *nl = '\0';
              return v->kvm_verdict = "tcg";
            }
        }
    }
  v->kvm_verdict = probe_kvm (kernel, &v->kvm_why);
  if (boot && kernel)
    {
      loom_autofree char *line
          = loom_xasprintf ("%s %s %s\n", boot, v->kvm_verdict, v->kvm_why ? v->kvm_why : "");
      loom_write_file (cache, line, strlen (line), NULL);
    }
  loom_sup_log ("KVM probe: %s%s%s", v->kvm_verdict, v->kvm_why ? ": " : "",
                v->kvm_why ? v->kvm_why : "");
  return v->kvm_verdict;
}

/* ---- console ---------------------------------------------------------------------- */

static void
viewer_drop (struct loom_sup *s, struct vm *vm, int i)
{
  loom_sup_unwatch (s, vm->viewers[i]);
  close (vm->viewers[i]);
  vm->viewers[i] = -1;
}

static void
on_viewer (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct vm *vm = ctx;
  char buf[4096];
  ssize_t r;
  int i;

  for (i = 0; i < MAX_VIEWERS && vm->viewers[i] != fd; i++)
    ;
  if (i == MAX_VIEWERS)
    return;
  r = read (fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (r <= 0)
    {
      viewer_drop (s, vm, i);
      return;
    }
  /* Keystrokes go to the guest; with no guest running they have nowhere to go. */
  if (vm->serial >= 0)
    (void) !send (vm->serial, buf, r, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
on_console_accept (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct vm *vm = ctx;
  int c = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;
  loom_error_t err = NULL;

  if (c < 0)
    return;
  for (i = 0; i < MAX_VIEWERS && vm->viewers[i] >= 0; i++)
    ;
  if (i == MAX_VIEWERS)
    {
      static const char full[] = "netloom: too many viewers on this console\r\n";
      (void) !send (c, full, sizeof full - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      close (c);
      return;
    }
  if (loom_sup_watch (s, c, EPOLLIN, on_viewer, vm, &err) < 0)
    {
      loom_error_release (&err);
      close (c);
      return;
    }
  vm->viewers[i] = c;
  {
    int size = 1 << 20;
    setsockopt (c, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (vm->pid == 0)
    {
      static const char off[] = "netloom: the VM is powered off (netloom node LAB NODE start)\r\n";
      (void) !send (c, off, sizeof off - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
}

static void
on_serial (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct vm *vm = ctx;
  char buf[16384];
  ssize_t r = read (fd, buf, sizeof buf);
  int i;

  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (r <= 0)
    {
      /* QEMU is going; its exit is reported by the child watch. */
      loom_sup_unwatch (s, fd);
      return;
    }
  if (vm->log_fd >= 0)
    (void) !write (vm->log_fd, buf, r);
  for (i = 0; i < MAX_VIEWERS; i++)
    if (vm->viewers[i] >= 0 && send (vm->viewers[i], buf, r, MSG_DONTWAIT | MSG_NOSIGNAL) < 0
        && errno != EAGAIN)
      viewer_drop (s, vm, i);
  /* A viewer that cannot keep up (its megabyte of socket buffer is full) misses output
   * rather than holding up the guest or the others; the log has everything. */
}

/* ---- QMP -------------------------------------------------------------------------- */

static int
qmp_send (struct vm *vm, const char *cmd, unsigned *id)
{
  char line[256];
  int n;

  vm->qmp_id++;
  n = snprintf (line, sizeof line, "{\"execute\": \"%s\", \"id\": %u}\n", cmd, vm->qmp_id);
  if (id)
    *id = vm->qmp_id;
  return send (vm->qmp, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) == n ? 0 : -1;
}

/* One message from QEMU: the greeting, a reply or an event. Returns the reply's id (or 0
 * for anything else); *ok tells whether a reply was a "return". */
static unsigned
qmp_message (struct vm *vm, json_t *msg, bool *ok)
{
  const char *event = json_string_value (json_object_get (msg, "event"));
  json_t *ret = json_object_get (msg, "return");

  if (json_object_get (msg, "QMP") && vm->qmp_state == QMP_GREETING)
    {
      if (qmp_send (vm, "qmp_capabilities", NULL) == 0)
        vm->qmp_state = QMP_CAPS;
      return 0;
    }
  if (event)
    {
      if (strcmp (event, "STOP") == 0)
        snprintf (vm->status, sizeof vm->status, "paused");
      else if (strcmp (event, "RESUME") == 0)
        snprintf (vm->status, sizeof vm->status, "running");
      else if (strcmp (event, "SHUTDOWN") == 0)
        snprintf (vm->status, sizeof vm->status, "shutdown");
      return 0;
    }
  if (vm->qmp_state == QMP_CAPS && ret)
    {
      /* QEMU runs the guest from the start (no -S); query-status confirms. */
      vm->qmp_state = QMP_READY;
      snprintf (vm->status, sizeof vm->status, "running");
      qmp_send (vm, "query-status", NULL);
      return 0;
    }
  if (json_is_object (ret) && json_object_get (ret, "status"))
    snprintf (vm->status, sizeof vm->status, "%s",
              json_string_value (json_object_get (ret, "status")));
  *ok = ret != NULL;
  if (!*ok)
    {
      const char *desc
          = json_string_value (json_object_get (json_object_get (msg, "error"), "desc"));
      loom_sup_log ("vm %s: QMP: %s", vm->node, desc ? desc : "error");
    }
  return (unsigned) json_integer_value (json_object_get (msg, "id"));
}

/* Reads what QMP has; handles each complete line. Returns -1 at EOF, else the id of
 * the last reply seen (0: none). */
static long
qmp_read (struct vm *vm, bool *ok)
{
  long last = 0;
  ssize_t r;
  char *nl;

  r = read (vm->qmp, vm->qmp_buf + vm->qmp_len, sizeof vm->qmp_buf - 1 - vm->qmp_len);
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (r <= 0)
    return -1;
  vm->qmp_len += r;
  vm->qmp_buf[vm->qmp_len] = '\0';
  while ((nl = strchr (vm->qmp_buf, '\n')))
    {
      json_t *msg;
      *nl = '\0';
      msg = json_loads (vm->qmp_buf, JSON_DISABLE_EOF_CHECK, NULL);
      if (msg)
        {
          unsigned id = qmp_message (vm, msg, ok);
          if (id)
            last = id;
          json_decref (msg);
        }
      vm->qmp_len -= nl + 1 - vm->qmp_buf;
      memmove (vm->qmp_buf, nl + 1, vm->qmp_len + 1);
    }
  if (vm->qmp_len >= sizeof vm->qmp_buf - 1)
    vm->qmp_len = 0; /* a line longer than we ever expect: drop it */
  return last;
}

static void
on_qmp (struct loom_sup *s, void *ctx, int fd, uint32_t events)
{
  struct vm *vm = ctx;
  bool ok = false;
  if (qmp_read (vm, &ok) < 0)
    loom_sup_unwatch (s, fd);
}

/* Sends a command and handles what QMP says until its reply comes (bounded): QEMU
 * answers stop/cont/system_reset within milliseconds. */
static int
qmp_call (struct vm *vm, const char *cmd, loom_error_t *err)
{
  unsigned id;
  double end = loom_now () + 5;
  bool ok = false;

  if (vm->pid == 0 || vm->qmp < 0 || vm->qmp_state != QMP_READY)
    return loom_error_make (err, 0, "node %s: the VM is not running", vm->node);
  if (qmp_send (vm, cmd, &id) < 0)
    return loom_error_make (err, errno, "node %s: QMP %s", vm->node, cmd);
  for (;;)
    {
      struct pollfd p = { .fd = vm->qmp, .events = POLLIN };
      int left = (int) ((end - loom_now ()) * 1000);
      long got;
      if (left <= 0 || poll (&p, 1, left) <= 0)
        return loom_error_make (err, ETIMEDOUT, "node %s: QEMU does not answer %s", vm->node, cmd);
      got = qmp_read (vm, &ok);
      if (got < 0)
        return loom_error_make (err, 0, "node %s: QEMU went away during %s", vm->node, cmd);
      if (got == (long) id)
        break;
    }
  if (!ok)
    return loom_error_make (err, 0, "node %s: QEMU refused %s (see the supervisor log)", vm->node,
                            cmd);
  return 0;
}

/* ---- starting and stopping one VM -------------------------------------------------- */

static char *
build_cmdline (json_t *conf)
{
  const char *append = json_string_value (json_object_get (conf, "append"));
  const char *host = json_string_value (json_object_get (conf, "hostname"));
  size_t len = 0, cap = 512, i, k;
  char *out = loom_xmalloc (cap);
  json_t *nic, *a, *r;

#define ADD(...)                                                                                   \
  do                                                                                               \
    {                                                                                              \
      int need_ = snprintf (out + len, cap - len, __VA_ARGS__);                                    \
      if ((size_t) need_ >= cap - len)                                                             \
        {                                                                                          \
          cap = len + need_ + 512;                                                                 \
          out = loom_xrealloc (out, cap);                                                          \
          snprintf (out + len, cap - len, __VA_ARGS__);                                            \
        }                                                                                          \
      len += need_;                                                                                \
    }                                                                                              \
  while (0)

  out[0] = '\0';
  if (append && *append)
    ADD ("%s ", append);
  ADD ("console=ttyS0");
  json_array_foreach (json_object_get (conf, "nics"), i, nic)
    {
      int mtu = (int) json_integer_value (json_object_get (nic, "mtu"));
      ADD (" netloom.if=%s,%s", json_string_value (json_object_get (nic, "mac")),
           json_string_value (json_object_get (nic, "name")));
      if (mtu)
        ADD (",mtu=%d", mtu);
      json_array_foreach (json_object_get (nic, "addresses"), k, a)
        ADD (",%s", json_string_value (a));
    }
  json_array_foreach (json_object_get (conf, "routes"), i, r)
    ADD (" netloom.route=%s,%s", json_string_value (json_object_get (r, "dst")),
         json_string_value (json_object_get (r, "gateway")));
  if (host)
    ADD (" netloom.hostname=%s", host);
#undef ADD
  return out;
}

/* Opens a netlink socket inside a namespace (for the TAPs' links and wires). */
static struct nl_sock *
ns_nl_open (int nsfd, loom_error_t *err)
{
  loom_autoclose int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  struct nl_sock *sk;

  if (self < 0)
    return loom_error_make (err, errno, "open own namespace"), NULL;
  if (loom_netns_enter (nsfd, err) < 0)
    return NULL;
  sk = loom_nl_open (err);
  if (loom_netns_enter (self, NULL) < 0)
    abort (); /* stuck in a node's namespace: nothing after this would be right */
  return sk;
}

/* What a VM needs before QEMU can start, made once: its directory, the overlay disk,
 * the console socket, the TAPs and their wires. */
static int
vm_prepare (struct loom_sup *s, struct vm *vm, loom_error_t *err)
{
  loom_autofree char *vmsdir = loom_xasprintf ("%s/vms", loom_sup_statedir (s));
  loom_autofree char *sock = loom_xasprintf ("%s/console.sock", vm->dir);
  loom_autofree char *logdir = loom_xasprintf ("%s/logs", loom_sup_labdir (s));
  loom_autofree char *clog = loom_xasprintf ("%s/%s.console.log", logdir, vm->node);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  loom_autoclose int nsfd = -1;
  struct nl_sock *sk = NULL;
  struct stat st;
  size_t i;
  int r = 0;

  if (vm->prepared)
    return 0;
  if (stat (vmsdir, &st) < 0 && loom_sup_journal (s, "dir", vmsdir, err) < 0)
    return -1;
  if (stat (vm->dir, &st) < 0)
    {
      if (loom_sup_journal (s, "tree", vm->dir, err) < 0)
        return -1;
      if (loom_mkdir_p (vmsdir, 0755, err) < 0 || loom_mkdir_p (vm->dir, 0700, err) < 0)
        return -1;
    }
  if (vm->image && stat (vm->disk, &st) < 0)
    {
      /* The base is only read: every write of the guest lands in the overlay. */
      loom_autofree char *base = NULL;
      char real[PATH_MAX];
      loom_autofree char *out = loom_xasprintf ("%s/qemu-img.log", vm->dir);
      loom_autoclose int ofd = open (out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      char *argv[] = {
        "qemu-img", "create", "-q",     "-f", "qcow2", "-F", (char *) image_format (vm->image),
        "-b",       NULL,     vm->disk, NULL
      };
      pid_t pid;
      int status = 0;

      base = loom_xstrdup (realpath (vm->image, real) ? real : vm->image);
      argv[8] = base;
      if (ofd < 0)
        return loom_error_make (err, errno, "open %s", out);
      pid = spawn_fds (argv, -1, NULL, 0, ofd, err);
      if (pid < 0)
        return loom_error_wrap (err, "node %s: overlay disk", vm->node);
      if (wait_child (pid, 60000, &status) < 0 || !WIFEXITED (status) || WEXITSTATUS (status))
        {
          loom_autofree char *t = file_tail (out, 300);
          unlink (vm->disk);
          return loom_error_make (err, 0, "node %s: qemu-img could not make an overlay of %s: %s",
                                  vm->node, vm->image, *t ? t : "(no message)");
        }
    }
  if (vm->log_fd < 0)
    {
      loom_mkdir_p (logdir, 0755, NULL);
      if (loom_sup_journal (s, "file", clog, err) < 0)
        return -1;
      if (loom_sup_journal (s, "file", vm->qemu_log, err) < 0)
        return -1;
      vm->log_fd = open (clog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      free (vm->log_path);
      vm->log_path = loom_xstrdup (clog);
      if (vm->log_fd < 0)
        return loom_error_make (err, errno, "open %s", clog);
    }
  if (vm->listen_fd < 0)
    {
      if (strlen (sock) >= sizeof addr.sun_path)
        return loom_error_make (err, ENAMETOOLONG, "console socket %s", sock);
      strcpy (addr.sun_path, sock);
      unlink (sock);
      vm->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (vm->listen_fd < 0 || bind (vm->listen_fd, (struct sockaddr *) &addr, sizeof addr) < 0
          || listen (vm->listen_fd, 8) < 0)
        return loom_error_make (err, errno, "listen on %s", sock);
      /* The console is a root shell in the guest: root only (the directory is 0700). */
      if (loom_sup_watch (s, vm->listen_fd, EPOLLIN, on_console_accept, vm, err) < 0)
        return -1;
    }

  nsfd = loom_netns_open (vm->ns, err);
  if (nsfd < 0)
    return loom_error_wrap (err, "node %s", vm->node);
  sk = ns_nl_open (nsfd, err);
  if (sk == NULL)
    return loom_error_wrap (err, "node %s", vm->node);
  for (i = 0; i < vm->n_nics && r == 0; i++)
    {
      struct nic *nic = &vm->nics[i];
      char name[16];

      if (nic->tap_fd >= 0)
        continue;
      /* tap<n>: the lab's interface names are the guest's; these never meet them. */
      snprintf (name, sizeof name, "tap%u", (unsigned) (i & 0xffff));
      nic->tap_fd = loom_tap_create (nsfd, name, true, &nic->tap_ifindex, err);
      if (nic->tap_fd < 0)
        r = -1;
      else if (loom_nl_link_set_up (sk, nic->tap_ifindex, true, err) < 0)
        r = -1;
      else if (nic->veth)
        {
          /* A wire to a TAP of an earlier supervisor (gone with its fds) would take the
           * frames first: u32 filters pile up at one priority rather than replace. */
          loom_tc_filter_del (sk, nic->veth, true, LOOM_TC_PRIO_WIRE, NULL);
          if (loom_tc_mirred_wire (sk, nic->tap_ifindex, nic->veth, err) < 0)
            r = -1;
        }
      if (r < 0)
        loom_error_wrap (err, "node %s: %s", vm->node, nic->name);
    }
  loom_nl_close (sk);
  if (r < 0)
    return -1;
  vm->prepared = true;
  return 0;
}

/* Starts QEMU (not waiting for it: see vm_wait_ready). */
static int
vm_spawn (struct loom_sup *s, struct vm *vm, loom_error_t *err)
{
  struct vms *v = vm->owner;
  loom_autofree char *vnc = loom_xasprintf ("unix:%s/vnc.sock", vm->dir);
  loom_autofree char *name = loom_xasprintf ("%s-%s", loom_sup_lab (s), vm->node);
  loom_autofree char *mem = loom_xasprintf ("%d", vm->memory_mib);
  loom_autofree char *smp = loom_xasprintf ("%d", vm->cpus);
  loom_autofree char *drive = NULL;
  loom_autoclose int nsfd = -1, out = -1;
  char **argv = NULL, **owned = NULL;
  size_t n = 0, n_owned = 0, i;
  int ser[2] = { -1, -1 }, qmp[2] = { -1, -1 };
  int *fds = NULL;
  size_t n_fds = 0;
  pid_t pid;

  if (strcmp (vm->accel_want, "tcg") == 0)
    vm->accel = "tcg";
  else
    {
      const char *k = kvm_verdict (v, vm->kernel);
      if (strcmp (vm->accel_want, "kvm") == 0 && strcmp (k, "kvm") != 0)
        return loom_error_make (err, 0,
                                "node %s: accel kvm was asked for, but KVM does not work on "
                                "this machine (%s); use accel: auto or tcg",
                                vm->node, v->kvm_why ? v->kvm_why : "probe failed");
      vm->accel = k;
      if (strcmp (k, "tcg") == 0)
        loom_sup_log ("vm %s: KVM is not usable (%s): running under TCG (slower)", vm->node,
                      v->kvm_why ? v->kvm_why : "probe failed");
    }

  out = open (vm->qemu_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0)
    return loom_error_make (err, errno, "open %s", vm->qemu_log);
  nsfd = loom_netns_open (vm->ns, err);
  if (nsfd < 0)
    return loom_error_wrap (err, "node %s", vm->node);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ser) < 0
      || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) < 0)
    {
      int e = errno;
      if (ser[0] >= 0)
        close (ser[0]), close (ser[1]);
      return loom_error_make (err, e, "socketpair");
    }

#define ARG(x) LOOM_PUSH (argv, n, (char *) (x))
#define OWN(x)                                                                                     \
  ({                                                                                               \
    char *o_ = (x);                                                                                \
    LOOM_PUSH (owned, n_owned, o_);                                                                \
    o_;                                                                                            \
  })
  ARG (LOOM_VM_QEMU);
  ARG ("-name");
  ARG (name);
  ARG ("-nodefaults");
  ARG ("-no-user-config");
  ARG ("-display");
  ARG ("none");
  ARG ("-vga");
  ARG ("std");
  ARG ("-vnc");
  ARG (vnc);
  ARG ("-accel");
  ARG (vm->accel);
  if (strcmp (vm->accel, "kvm") == 0)
    {
      ARG ("-cpu");
      ARG ("host");
    }
  ARG ("-m");
  ARG (mem);
  ARG ("-smp");
  ARG (smp);
  /* fds 3 and 4 in QEMU: the serial port and the QMP monitor. */
  LOOM_PUSH (fds, n_fds, ser[1]);
  LOOM_PUSH (fds, n_fds, qmp[1]);
  ARG ("-chardev");
  ARG ("socket,id=serial0,fd=3");
  ARG ("-serial");
  ARG ("chardev:serial0");
  ARG ("-chardev");
  ARG ("socket,id=qmp,fd=4");
  ARG ("-mon");
  ARG ("chardev=qmp,mode=control");
  if (vm->kernel)
    {
      ARG ("-kernel");
      ARG (vm->kernel);
      if (vm->initrd)
        {
          ARG ("-initrd");
          ARG (vm->initrd);
        }
      ARG ("-append");
      ARG (vm->cmdline);
    }
  if (vm->image)
    {
      drive = loom_xasprintf ("file=%s,if=virtio,format=qcow2,cache=writeback", vm->disk);
      ARG ("-drive");
      ARG (drive);
    }
  /* The NICs in the lab file's order, each on its TAP (fds 5, 6, ...). */
  for (i = 0; i < vm->n_nics; i++)
    {
      ARG ("-netdev");
      ARG (OWN (loom_xasprintf ("tap,id=net%zu,fd=%zu,vhost=off", i, 3 + n_fds)));
      LOOM_PUSH (fds, n_fds, vm->nics[i].tap_fd);
      ARG ("-device");
      ARG (OWN (loom_xasprintf ("virtio-net-pci,netdev=net%zu,mac=%s", i, vm->nics[i].mac)));
    }
  ARG (NULL);
#undef ARG
#undef OWN

  pid = spawn_fds (argv, nsfd, fds, n_fds, out, err);
  close (ser[1]);
  close (qmp[1]);
  free (argv);
  free (fds);
  for (i = 0; i < n_owned; i++)
    free (owned[i]);
  free (owned);
  if (pid < 0)
    {
      close (ser[0]);
      close (qmp[0]);
      return loom_error_wrap (err, "node %s", vm->node);
    }
  set_nonblock (ser[0]);
  set_nonblock (qmp[0]);
  vm->pid = pid;
  vm->pidfd = pidfd_open (pid);
  vm->serial = ser[0];
  vm->qmp = qmp[0];
  vm->qmp_state = QMP_GREETING;
  vm->qmp_len = 0;
  vm->expect_exit = false;
  vm->boot_offset = vm->log_fd >= 0 ? (long long) lseek (vm->log_fd, 0, SEEK_END) : 0;
  snprintf (vm->status, sizeof vm->status, "starting");
  return 0;
}

static void
on_exit_ (struct loom_sup *s, void *ctx, pid_t pid, int status)
{
  struct vm *vm = ctx;

  if (pid != vm->pid)
    return; /* an earlier run of this VM */
  if (!vm->expect_exit)
    loom_sup_log ("vm %s: QEMU exited (%s %d)", vm->node,
                  WIFSIGNALED (status) ? "signal" : "status",
                  WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
  vm_close_run (s, vm);
  snprintf (vm->status, sizeof vm->status, "shutdown");
}

/* Everything of one QEMU run: its fds and watches (the TAPs, the console socket and the
 * viewers stay). */
static void
vm_close_run (struct loom_sup *s, struct vm *vm)
{
  if (vm->serial >= 0)
    {
      char buf[16384];
      ssize_t r;
      /* The guest's last words (a panic) go to the log too. */
      while ((r = read (vm->serial, buf, sizeof buf)) > 0)
        if (vm->log_fd >= 0)
          (void) !write (vm->log_fd, buf, r);
      loom_sup_unwatch (s, vm->serial);
      close (vm->serial);
    }
  if (vm->qmp >= 0)
    {
      loom_sup_unwatch (s, vm->qmp);
      close (vm->qmp);
    }
  if (vm->pidfd >= 0)
    close (vm->pidfd);
  vm->serial = vm->qmp = vm->pidfd = -1;
  vm->qmp_state = QMP_NONE;
  vm->pid = 0;
}

/* Waits (bounded, on the QMP sockets and pidfds) until every VM in @list is ready (QMP
 * answered) or has failed. The serial output meanwhile goes to the logs. */
static int
vm_wait_ready (struct loom_sup *s, struct vm **list, size_t n, loom_error_t *err)
{
  double end = loom_now () + START_TIMEOUT_MS / 1000.0;
  struct pollfd *p = loom_xcalloc (3 * n + 1, sizeof *p);
  size_t i;
  int r = 0;

  for (;;)
    {
      size_t np = 0, waiting = 0;
      int left;

      for (i = 0; i < n; i++)
        {
          struct vm *vm = list[i];
          if (vm->pid == 0 || vm->qmp_state == QMP_READY)
            continue;
          waiting++;
          p[np++] = (struct pollfd){ .fd = vm->qmp, .events = POLLIN };
          p[np++] = (struct pollfd){ .fd = vm->serial, .events = POLLIN };
          p[np++] = (struct pollfd){ .fd = vm->pidfd, .events = POLLIN };
        }
      if (waiting == 0)
        break;
      left = (int) ((end - loom_now ()) * 1000);
      if (left <= 0)
        {
          for (i = 0; i < n && r == 0; i++)
            if (list[i]->pid && list[i]->qmp_state != QMP_READY)
              r = loom_error_make (err, ETIMEDOUT, "node %s: QEMU did not start within %d s",
                                   list[i]->node, START_TIMEOUT_MS / 1000);
          break;
        }
      if (poll (p, np, left) < 0 && errno != EINTR)
        {
          r = loom_error_make (err, errno, "poll");
          break;
        }
      for (i = 0; i < n; i++)
        {
          struct vm *vm = list[i];
          struct pollfd pf = { .fd = vm->pidfd, .events = POLLIN };
          bool ok = false;
          char buf[16384];
          ssize_t got;

          if (vm->pid == 0 || vm->qmp_state == QMP_READY)
            continue;
          while ((got = read (vm->serial, buf, sizeof buf)) > 0)
            (void) !write (vm->log_fd, buf, got);
          if (qmp_read (vm, &ok) < 0 || (vm->pidfd >= 0 && poll (&pf, 1, 0) > 0))
            {
              /* QEMU is gone before it was ready: say why, from its own words. */
              int status = 0;
              pid_t pid = vm->pid;
              loom_autofree char *t = NULL;
              if (wait_child (pid, 5000, &status) < 0)
                status = -1;
              vm_close_run (s, vm);
              t = file_tail (vm->qemu_log, 400);
              snprintf (vm->status, sizeof vm->status, "failed");
              if (r == 0)
                r = loom_error_make (
                    err, 0, "node %s: QEMU exited (%s %d) before the VM started: %s%s%s%s",
                    vm->node, WIFSIGNALED (status) ? "signal" : "status",
                    WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status),
                    *t ? t : "(no message; see the supervisor log)", vm->kernel ? " (kernel " : "",
                    vm->kernel ? vm->kernel : "", vm->kernel ? ")" : "");
            }
        }
    }
  free (p);
  if (r < 0)
    return -1;
  /* From here on the supervisor's loop carries each one. */
  for (i = 0; i < n; i++)
    {
      struct vm *vm = list[i];
      if (vm->pid == 0)
        continue;
      loom_sup_child (s, vm->pid, on_exit_, vm);
      if (loom_sup_watch (s, vm->serial, EPOLLIN, on_serial, vm, err) < 0
          || loom_sup_watch (s, vm->qmp, EPOLLIN, on_qmp, vm, err) < 0)
        return -1;
      loom_sup_log ("vm %s: QEMU %d started (%s, %d MiB, %d CPU%s)", vm->node, (int) vm->pid,
                    vm->accel, vm->memory_mib, vm->cpus, vm->cpus == 1 ? "" : "s");
    }
  return 0;
}

/* Powers a VM off: QMP quit (or SIGTERM), then SIGKILL if it does not go. */
static void
vm_kill (struct loom_sup *s, struct vm *vm)
{
  struct pollfd p = { .fd = vm->pidfd, .events = POLLIN };

  if (vm->pid == 0)
    return;
  vm->expect_exit = true;
  if (vm->qmp_state != QMP_READY || qmp_send (vm, "quit", NULL) < 0)
    kill (vm->pid, SIGTERM);
  if (vm->pidfd < 0 || poll (&p, 1, 3000) <= 0)
    {
      kill (vm->pid, SIGKILL);
      if (vm->pidfd >= 0)
        poll (&p, 1, 3000);
    }
  /* Reaped by the supervisor's SIGCHLD handling, which calls on_exit_ (a no-op then). */
  loom_sup_log ("vm %s: powered off", vm->node);
  vm_close_run (s, vm);
  snprintf (vm->status, sizeof vm->status, "shutdown");
}

static void
vm_free (struct loom_sup *s, struct vm *vm)
{
  size_t i;
  int k;

  vm_kill (s, vm);
  for (k = 0; k < MAX_VIEWERS; k++)
    if (vm->viewers[k] >= 0)
      viewer_drop (s, vm, k);
  if (vm->listen_fd >= 0)
    {
      loom_autofree char *sock = loom_xasprintf ("%s/console.sock", vm->dir);
      loom_sup_unwatch (s, vm->listen_fd);
      close (vm->listen_fd);
      unlink (sock);
    }
  for (i = 0; i < vm->n_nics; i++)
    {
      if (vm->nics[i].tap_fd >= 0)
        close (vm->nics[i].tap_fd);
      free (vm->nics[i].name);
    }
  free (vm->nics);
  if (vm->log_fd >= 0)
    close (vm->log_fd);
  free (vm->node);
  free (vm->ns);
  free (vm->dir);
  free (vm->qemu_log);
  free (vm->log_path);
  free (vm->cmdline);
  free (vm->kernel);
  free (vm->initrd);
  free (vm->image);
  free (vm->disk);
  free (vm->accel_want);
}

static char *
dup_or_null (json_t *v)
{
  return json_is_string (v) ? loom_xstrdup (json_string_value (v)) : NULL;
}

static int
vms_start (struct loom_sup *s, void **priv, loom_error_t *err)
{
  struct vms *v = loom_xcalloc (1, sizeof *v);
  struct vm **list;
  json_t *n;
  size_t i, k, n_start = 0;
  int r = 0;

  v->sup = s;
  *priv = v;
  json_array_foreach (json_object_get (loom_sup_state (s), "nodes"), i, n)
    {
      json_t *conf = json_object_get (n, "vm"), *nic;
      struct vm vm = { 0 };
      int j;

      if (!json_is_object (conf))
        continue;
      vm.owner = v;
      vm.node = loom_xstrdup (json_string_value (json_object_get (n, "name")));
      vm.ns = loom_xstrdup (json_string_value (json_object_get (n, "netns")));
      vm.dir = loom_xasprintf ("%s/vms/%s", loom_sup_statedir (s), vm.node);
      vm.qemu_log = loom_xasprintf ("%s/logs/%s.qemu.log", loom_sup_labdir (s), vm.node);
      vm.kernel = dup_or_null (json_object_get (conf, "kernel"));
      vm.initrd = dup_or_null (json_object_get (conf, "initrd"));
      vm.image = dup_or_null (json_object_get (conf, "image"));
      vm.disk = loom_xasprintf ("%s/disk.qcow2", vm.dir);
      vm.accel_want = dup_or_null (json_object_get (conf, "accel"));
      if (vm.accel_want == NULL)
        vm.accel_want = loom_xstrdup ("auto");
      vm.memory_mib = (int) json_integer_value (json_object_get (conf, "memory_mib"));
      vm.cpus = (int) json_integer_value (json_object_get (conf, "cpus"));
      if (vm.memory_mib <= 0)
        vm.memory_mib = (int) (LOOM_VM_MEMORY_DEFAULT >> 20);
      if (vm.cpus <= 0)
        vm.cpus = 1;
      if (vm.kernel)
        vm.cmdline = build_cmdline (conf);
      vm.serial = vm.qmp = vm.pidfd = vm.log_fd = vm.listen_fd = -1;
      for (j = 0; j < MAX_VIEWERS; j++)
        vm.viewers[j] = -1;
      snprintf (vm.status, sizeof vm.status, "shutdown");
      json_array_foreach (json_object_get (conf, "nics"), k, nic)
        {
          struct nic c = { 0 };
          c.name = loom_xstrdup (json_string_value (json_object_get (nic, "name")));
          snprintf (c.mac, sizeof c.mac, "%s", json_string_value (json_object_get (nic, "mac")));
          c.veth = (int) json_integer_value (json_object_get (nic, "ifindex"));
          c.tap_fd = -1;
          LOOM_PUSH (vm.nics, vm.n_nics, c);
        }
      LOOM_PUSH (v->vms, v->n, vm);
      if (vm.cmdline && strlen (vm.cmdline) > CMDLINE_MAX)
        return loom_error_make (err, E2BIG,
                                "node %s: the guest's kernel command line is %zu bytes, more "
                                "than the kernel takes (%d)",
                                vm.node, strlen (vm.cmdline), CMDLINE_MAX);
    }
  /* Pointers into v->vms are stable from here on (no more pushes). */
  list = loom_xcalloc (v->n + 1, sizeof *list);
  for (i = 0; i < v->n && r == 0; i++)
    {
      struct vm *vm = &v->vms[i];
      json_t *node = NULL, *x;
      size_t j;
      json_array_foreach (json_object_get (loom_sup_state (s), "nodes"), j, x)
        if (strcmp (json_string_value (json_object_get (x, "name")), vm->node) == 0)
          node = x;
      r = vm_prepare (s, vm, err);
      /* A VM stopped by `netloom node stop` stays off when the supervisor comes back. */
      if (r == 0 && !json_is_true (json_object_get (node, "stopped")))
        {
          r = vm_spawn (s, vm, err);
          if (r == 0)
            list[n_start++] = vm;
        }
    }
  /* All of them boot at once; wait for them together. */
  if (r == 0)
    r = vm_wait_ready (s, list, n_start, err);
  else
    {
      loom_error_t e = NULL;
      vm_wait_ready (s, list, n_start, &e);
      loom_error_release (&e);
    }
  free (list);
  return r;
}

static void
vms_stop (struct loom_sup *s, void *priv)
{
  struct vms *v = priv;
  size_t i;

  if (v == NULL)
    return;
  /* All at once: SIGTERM everyone, then wait (each bounded). */
  for (i = 0; i < v->n; i++)
    if (v->vms[i].pid)
      {
        v->vms[i].expect_exit = true;
        kill (v->vms[i].pid, SIGTERM);
      }
  for (i = 0; i < v->n; i++)
    vm_free (s, &v->vms[i]);
  free (v->vms);
  free (v->kvm_why);
  free (v);
}

static struct vm *
find_vm (struct vms *v, const char *node)
{
  size_t i;
  for (i = 0; v && node && i < v->n; i++)
    if (strcmp (v->vms[i].node, node) == 0)
      return &v->vms[i];
  return NULL;
}

static int
vms_node_set (struct loom_sup *s, void *priv, const char *node, bool start, loom_error_t *err)
{
  struct vms *v = priv;
  struct vm *vm = find_vm (v, node);

  if (vm == NULL)
    return 0;
  if (!start)
    {
      vm_kill (s, vm);
      return 0;
    }
  if (vm->pid)
    return 0; /* running already */
  if (vm_prepare (s, vm, err) < 0 || vm_spawn (s, vm, err) < 0)
    return -1;
  return vm_wait_ready (s, &vm, 1, err);
}

static json_t *
vms_handle (struct loom_sup *s, void *priv, const char *cmd, json_t *req, bool privileged)
{
  static const struct
  {
    const char *cmd, *qmp, *done;
  } verbs[] = {
    { "vm-suspend", "stop", "paused" },
    { "vm-resume", "cont", "running" },
    { "vm-reset", "system_reset", NULL },
  };
  struct vms *v = priv;
  const char *node = json_string_value (json_object_get (req, "node"));
  struct vm *vm;
  loom_error_t err = NULL;
  size_t i;

  for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (cmd, verbs[i].cmd) == 0)
      break;
  if (i == sizeof verbs / sizeof verbs[0])
    return NULL;
  vm = find_vm (v, node);
  if (vm == NULL)
    return json_pack ("{s:b, s:s++}", "ok", 0, "error", "node ", node ? node : "?",
                      " is not a VM (suspend, resume and reset are for VMs)");
  if (qmp_call (vm, verbs[i].qmp, &err) < 0)
    {
      loom_autofree char *t = loom_error_text (err);
      loom_error_release (&err);
      return json_pack ("{s:b, s:s}", "ok", 0, "error", t);
    }
  if (verbs[i].done)
    snprintf (vm->status, sizeof vm->status, "%s", verbs[i].done);
  loom_sup_log ("vm %s: %s", vm->node, verbs[i].qmp);
  return json_pack ("{s:b, s:s}", "ok", 1, "status", vm->status);
}

static void
vms_status (struct loom_sup *s, void *priv, json_t *out)
{
  struct vms *v = priv;
  json_t *all = json_object ();
  size_t i;

  if (v == NULL || v->n == 0)
    {
      json_decref (all);
      return;
    }
  for (i = 0; i < v->n; i++)
    {
      struct vm *vm = &v->vms[i];
      json_t *o = json_pack ("{s:s, s:i, s:i}", "status", vm->pid ? vm->status : "shutdown",
                             "memory_mib", vm->memory_mib, "cpus", vm->cpus);
      json_object_set_new (o, "pid", vm->pid ? json_integer (vm->pid) : json_null ());
      json_object_set_new (o, "accel", vm->accel ? json_string (vm->accel) : json_null ());
      json_object_set_new (o, "console", json_pack ("s+", vm->dir, "/console.sock"));
      json_object_set_new (o, "vnc", json_pack ("s+", vm->dir, "/vnc.sock"));
      json_object_set_new (o, "log", vm->log_path ? json_string (vm->log_path) : json_null ());
      json_object_set_new (o, "boot_offset", json_integer (vm->boot_offset));
      json_object_set_new (all, vm->node, o);
    }
  json_object_set_new (out, "vms", all);
}

const struct loom_service loom_service_vms = {
  .name = "vms",
  .start = vms_start,
  .stop = vms_stop,
  .handle = vms_handle,
  .node_set = vms_node_set,
  .status = vms_status,
};
